namespace ContextForge.SessionLogging.Inspection;

/// <summary>The result of probing whether trace tools can record this process's provider events.</summary>
/// <param name="Available">True when ETW (Windows) or EventPipe (elsewhere) can receive the events.</param>
/// <param name="Mechanism">"ETW" or "EventPipe".</param>
/// <param name="Detail">Why, in one line.</param>
internal sealed record EtwProbeResult(bool Available, string Mechanism, string Detail);

/// <summary>
/// Probes for real, rather than assuming: EventSource support in this build, diagnostics not disabled
/// (<c>DOTNET_EnableDiagnostics=0</c>), and on Linux/macOS the runtime's diagnostic IPC endpoint
/// (<c>dotnet-diagnostic-{pid}-*-socket</c>) that dotnet-trace and DiagnosticsClient connect to.
/// </summary>
internal static class EtwProbe
{
    /// <summary>Probes the current process.</summary>
    public static EtwProbeResult Probe()
    {
        string mechanism = OperatingSystem.IsWindows() ? "ETW" : "EventPipe";
        if (AppContext.TryGetSwitch("System.Diagnostics.Tracing.EventSource.IsSupported", out bool supported) && !supported)
            return new(false, mechanism, "EventSource support is disabled in this build (EventSourceSupport=false)");
        foreach (string variable in new[] { "DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics" })
        {
            if (Environment.GetEnvironmentVariable(variable) == "0")
                return new(false, mechanism, $"diagnostics are disabled ({variable}=0)");
        }
        if (OperatingSystem.IsWindows())
            return new(true, mechanism, "ETW is part of Windows; the provider registers when first used");
        if (Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics_IPC") == "0")
            return new(false, mechanism, "the diagnostic IPC endpoint is disabled (DOTNET_EnableDiagnostics_IPC=0)");
        string tmp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        try
        {
            string? socket = OwnEndpoint(tmp) ?? Directory.EnumerateFiles(tmp, $"dotnet-diagnostic-{Environment.ProcessId}-*-socket").FirstOrDefault();
            return socket is not null
                ? new(true, mechanism, $"diagnostic endpoint {socket}")
                : new(false, mechanism, $"no diagnostic endpoint for pid {Environment.ProcessId} in {tmp}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(false, mechanism, $"cannot look for the diagnostic endpoint: {ex.Message}");
        }
    }

    /// <summary>
    /// This process's endpoint by its exact name, without listing <paramref name="tmp"/> (a shared /tmp holds
    /// thousands of stale endpoints and debug pipes; listing it cost inspect about a millisecond): the runtime names
    /// it <c>dotnet-diagnostic-{pid}-{key}-socket</c>, the key being the process's start time in clock ticks since
    /// boot (field 22 of <c>/proc/self/stat</c>). Null when that cannot be read or no such file exists: the caller
    /// then looks for the pattern.
    /// </summary>
    private static string? OwnEndpoint(string tmp)
    {
        if (!OperatingSystem.IsLinux()) return null;
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/self/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: the fields after it start at the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0) return null;
        string[] after = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // after[0] is field 3 (state), so field 22 (starttime) is after[19].
        if (after.Length < 20 || !ulong.TryParse(after[19], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong startTime)) return null;
        string path = Path.Join(tmp, $"dotnet-diagnostic-{Environment.ProcessId}-{startTime}-socket");
        return File.Exists(path) ? path : null;
    }
}
