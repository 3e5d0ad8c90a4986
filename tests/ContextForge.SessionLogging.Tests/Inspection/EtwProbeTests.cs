using ContextForge.SessionLogging.Inspection;

namespace ContextForge.SessionLogging.Tests.Inspection;

/// <summary>
/// The probe finds this process's own diagnostic endpoint (the runtime's <c>dotnet-diagnostic-{pid}-{key}-socket</c>)
/// by its exact name, the one the runtime made, not a stale endpoint an earlier process with the same pid left.
/// </summary>
public sealed class EtwProbeTests
{
    [Fact]
    public void The_probe_names_the_endpoint_of_this_process_that_exists_in_the_temp_directory()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics") == "0"
            || Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics_IPC") == "0") return;
        string tmp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        var result = EtwProbe.Probe();
        Assert.True(result.Available, result.Detail);
        Assert.Equal("EventPipe", result.Mechanism);
        const string prefix = "diagnostic endpoint ";
        Assert.StartsWith(prefix, result.Detail);
        string socket = result.Detail[prefix.Length..];
        Assert.True(File.Exists(socket), socket);
        // The key is this process's start time in clock ticks since boot: field 22 of /proc/self/stat.
        string stat = File.ReadAllText("/proc/self/stat");
        string startTime = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        Assert.Equal(Path.Join(tmp, $"dotnet-diagnostic-{Environment.ProcessId}-{startTime}-socket"), socket);
    }
}
