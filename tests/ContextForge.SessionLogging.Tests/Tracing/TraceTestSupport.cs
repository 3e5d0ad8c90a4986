using System.Diagnostics;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Tests.Support;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Tests.Tracing;

/// <summary>Runs only on Windows (ETW).</summary>
internal sealed class WindowsFactAttribute : FactAttribute
{
    public WindowsFactAttribute()
    {
        if (!OperatingSystem.IsWindows()) Skip = "ETW exists only on Windows";
    }
}

/// <summary>Real tools for the trace tests: the pinned dotnet-trace, cfsession as a process, JSON from the CLI.</summary>
internal static class TraceTestSupport
{
    /// <summary>The repository root (holds .config/dotnet-tools.json, so 'dotnet tool run' finds the pinned dotnet-trace).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, ".config", "dotnet-tools.json"))) return dir.FullName;
            }
            throw new InvalidOperationException("no .config/dotnet-tools.json above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>
    /// <c>dotnet tool run dotnet-trace -- collect --providers P -o FILE -- dotnet cfsession.dll ARGS</c>. The first
    /// <c>--</c> is for 'dotnet tool run' (which removes one), the second for dotnet-trace.
    /// </summary>
    public static async Task<int> DotnetTraceCollectAsync(string dataDirectory, string output, string providers, IEnumerable<string> cfsessionArgs,
        IReadOnlyDictionary<string, string?>? environment = null, int? expectedExitCode = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "tool", "run", "dotnet-trace", "--", "collect", "--providers", providers, "-o", output, "--", "dotnet", CfSessionProcess.DllPath })
            psi.ArgumentList.Add(a);
        foreach (string a in cfsessionArgs) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = dataDirectory;
        psi.Environment.Remove("CFSESSION_ID");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(File.Exists(output), $"dotnet-trace wrote no trace (exit {process.ExitCode}): {await stdout} {await stderr}");
        if (expectedExitCode is { } expected)
            Assert.True(process.ExitCode == expected, $"dotnet-trace collect exited {process.ExitCode}, expected {expected}: {await stdout} {await stderr}");
        return process.ExitCode;
    }

    /// <summary>Waits until <paramref name="processId"/> publishes its diagnostic endpoint (what dotnet-trace attaches to).</summary>
    public static Task WaitForDiagnosticEndpointAsync(int processId) =>
        EventPipeRecorder.WaitUntilAsync(() => DiagnosticsClient.GetPublishedProcesses().Contains(processId), TimeSpan.FromSeconds(20),
            $"process {processId} publishes its diagnostic endpoint");

    public static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}
