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
            string? socket = Directory.EnumerateFiles(tmp, $"dotnet-diagnostic-{Environment.ProcessId}-*-socket").FirstOrDefault();
            return socket is not null
                ? new(true, mechanism, $"diagnostic endpoint {socket}")
                : new(false, mechanism, $"no diagnostic endpoint for pid {Environment.ProcessId} in {tmp}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new(false, mechanism, $"cannot look for the diagnostic endpoint: {ex.Message}");
        }
    }
}
