using System.Runtime.Versioning;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Session;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>
/// Windows: records the ContextForge providers into an .etl file through a real ETW session (TraceEvent's
/// <see cref="TraceEventSession"/>; needs an elevated prompt, as logman and WPR do). Elsewhere the
/// <see cref="Start"/> call says why in one line.
/// </summary>
internal sealed class EtwRecording : IDisposable
{
    private readonly IDisposable _session;

    private EtwRecording(IDisposable session) => _session = session;

    /// <summary>Why ETW recording is impossible here, or null on Windows.</summary>
    public static string? UnavailableReason =>
        OperatingSystem.IsWindows() ? null : $"ETW is Windows-only (this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}); use EventPipe (.nettrace)";

    /// <summary>Starts an ETW session writing <paramref name="etlPath"/> with both providers enabled.</summary>
    public static EtwRecording Start(string etlPath)
    {
        if (!OperatingSystem.IsWindows()) throw new TraceUnavailableException(UnavailableReason!);
        return StartOnWindows(etlPath);
    }

    [SupportedOSPlatform("windows")]
    private static EtwRecording StartOnWindows(string etlPath)
    {
        if (TraceEventSession.IsElevated() != true)
            throw new TraceUnavailableException("an ETW session needs an elevated (administrator) prompt");
        var session = new TraceEventSession($"cfsession-{Environment.ProcessId}", etlPath);
        try
        {
            foreach (string provider in TraceProviders.Names)
                session.EnableProvider(provider, TraceEventLevel.Verbose, (ulong)TraceProviders.AllKeywords);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return new EtwRecording(session);
    }

    /// <summary>Stops the session and closes the .etl file.</summary>
    public void Dispose() => _session.Dispose();
}
