using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>Recording could not start or could not finish (no diagnostic endpoint, diagnostics disabled, OS not supported).</summary>
public sealed class TraceUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Records a process's ContextForge providers over EventPipe. Two ways, both real runtime features:
/// the <c>DOTNET_EnableEventPipe</c> variables on a child (<see cref="ChildEnvironment"/>: the runtime records from
/// its start to its exit, no race with the first event), or a session on a running process through its diagnostic
/// endpoint (<see cref="AttachAsync"/>, what dotnet-trace does).
/// </summary>
internal static class EventPipeRecording
{
    /// <summary>Set on a <c>cfsession run</c> child of <c>trace record</c>: its command must not inherit the EventPipe variables.</summary>
    public const string RecordingMarkerVariable = "CFSESSION_TRACE_OUTPUT";

    /// <summary>The variables a recording child gets; <see cref="InheritedVariables"/> are removed again for its command.</summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment(string outputPath) => new Dictionary<string, string>
    {
        ["DOTNET_EnableEventPipe"] = "1",
        ["DOTNET_EventPipeOutputPath"] = outputPath,
        ["DOTNET_EventPipeConfig"] = TraceProviders.EventPipeConfig,
        // Rundown (method and module names for stacks) is of no use for these events and slows exit.
        ["DOTNET_EventPipeRundown"] = "0",
        [RecordingMarkerVariable] = outputPath,
    };

    /// <summary>What a recording child removes from its command's environment, so a .NET command does not write the same file.</summary>
    public static readonly IReadOnlyList<string> InheritedVariables =
        ["DOTNET_EnableEventPipe", "DOTNET_EventPipeOutputPath", "DOTNET_EventPipeConfig", "DOTNET_EventPipeRundown", RecordingMarkerVariable];

    /// <summary>The one-line reason EventPipe is off in an environment, or null when nothing disables it.</summary>
    public static string? DisabledReason(Func<string, string?> environment)
    {
        foreach (string variable in new[] { "DOTNET_EnableDiagnostics", "COMPlus_EnableDiagnostics" })
        {
            if (environment(variable) == "0") return $"EventPipe is disabled ({variable}=0)";
        }
        return null;
    }

    /// <summary>The providers as a DiagnosticsClient session asks for them.</summary>
    public static IReadOnlyList<EventPipeProvider> Providers =>
        TraceProviders.Names.Select(n => new EventPipeProvider(n, TraceProviders.Level, TraceProviders.AllKeywords)).ToList();

    /// <summary>
    /// Records process <paramref name="processId"/> into <paramref name="outputPath"/> until the process exits,
    /// <paramref name="duration"/> passes, or <paramref name="cancellationToken"/> is cancelled (Ctrl+C); the file
    /// is a complete .nettrace in every case. Returns true when the process exited (the stream ended by itself).
    /// </summary>
    public static async Task<bool> AttachAsync(int processId, string outputPath, TimeSpan? duration, int circularBufferMB, CancellationToken cancellationToken)
    {
        EventPipeSession session;
        try
        {
            var client = new DiagnosticsClient(processId);
            session = await client.StartEventPipeSessionAsync(Providers, requestRundown: false, circularBufferMB, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or ServerErrorException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            throw new TraceUnavailableException($"cannot attach to process {processId}: {ex.Message} (not a running .NET process, or its diagnostics are disabled with DOTNET_EnableDiagnostics=0)", ex);
        }
        using (session)
        {
            await using var file = new FileStream(outputPath, FileMode.Create, FileAccess.Write, FileShare.Read);
            // Drain the stream continuously: the runtime's buffer is circular and drops what is not read in time.
            Task copy = session.EventStream.CopyToAsync(file, CancellationToken.None);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (duration is { } d) stop.CancelAfter(d);
            var stopped = new TaskCompletionSource();
            await using (stop.Token.Register(() => stopped.TrySetResult()))
            {
                bool exited = await Task.WhenAny(copy, stopped.Task).ConfigureAwait(false) == copy;
                if (!exited)
                {
                    try
                    {
                        await session.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is ServerNotAvailableException or IOException or TimeoutException or EndOfStreamException)
                    {
                        // The process exited while stopping: the stream ends on its own.
                    }
                }
                await copy.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
                return exited;
            }
        }
    }
}
