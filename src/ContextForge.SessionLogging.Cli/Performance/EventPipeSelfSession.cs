using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Diagnostics.NETCore.Client;

namespace ContextForge.SessionLogging.Cli.Performance;

/// <summary>
/// A live EventPipe session on this very process (through its diagnostics IPC channel, as dotnet-trace would
/// open one) enabling <c>ContextForge.SessionLogging</c>; the stream is drained and discarded.
/// </summary>
internal sealed class EventPipeSelfSession : IAsyncDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _drain;

    private EventPipeSession Session => _session;

    private EventPipeSelfSession(EventPipeSession session)
    {
        _session = session;
        _drain = Task.Run(() => session.EventStream.CopyToAsync(Stream.Null));
    }

    /// <summary>The <c>eventpipe</c> bench variant.</summary>
    public static ProviderListenerVariant Variant { get; } = new("eventpipe", async cancellationToken =>
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        var provider = new EventPipeProvider(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, -1);
        var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 16, cancellationToken).ConfigureAwait(false);
        return new EventPipeSelfSession(session);
    });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Session.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await _drain.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or IOException or ServerNotAvailableException)
        {
            // The session ends with the process anyway.
        }
        Session.Dispose();
    }
}
