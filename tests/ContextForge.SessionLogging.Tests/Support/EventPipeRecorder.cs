using System.Diagnostics;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>One event decoded from an EventPipe stream by TraceEvent, copied out of TraceEvent's reused object.</summary>
/// <param name="ProviderName">The provider, e.g. <c>ContextForge.SessionLogging</c>.</param>
/// <param name="EventName">As TraceEvent spells it: an event whose name ends in Start/Stop reads <c>Session/Start</c>.</param>
/// <param name="Level">The event's level.</param>
/// <param name="Keywords">Keywords with the high bits masked off (low 32 bits).</param>
/// <param name="TimeStampUtc">TraceEvent gives local time; converted to UTC.</param>
/// <param name="PayloadNames">Field names in the order they were written.</param>
/// <param name="Payload">Field name to decoded value, as TraceEvent returns it (no conversion).</param>
internal sealed record RecordedEvent(
    string ProviderName,
    string EventName,
    EventLevel Level,
    long Keywords,
    DateTime TimeStampUtc,
    IReadOnlyList<string> PayloadNames,
    IReadOnlyDictionary<string, object?> Payload);

/// <summary>
/// Records a real EventPipe session on a process (this test process, or a child such as <c>cfsession</c>) through
/// the diagnostics IPC channel, then decodes the stream with TraceEvent's <see cref="EventPipeEventSource"/>.
/// Usage: <see cref="StartAsync"/>, wait until the target has seen the session (for this process,
/// <see cref="WaitUntilAsync"/> on <c>EventSource.IsEnabled()</c>: events written before the provider's enable
/// callback ran are not recorded), emit, then <see cref="StopAsync"/>.
/// </summary>
internal sealed class EventPipeRecorder : IAsyncDisposable
{
    /// <summary>EventPipe reports keywords with extra high bits; keep the low 32.</summary>
    public const long KeywordMask = 0xFFFFFFFF;

    private readonly EventPipeSession _session;
    private readonly MemoryStream _trace = new();
    private readonly Task _copy;
    private bool _stopped;

    private EventPipeRecorder(EventPipeSession session)
    {
        _session = session;
        // The runtime writes into a circular buffer and streams it out; drain it continuously so nothing is dropped.
        _copy = Task.Run(() => _session.EventStream.CopyToAsync(_trace));
    }

    /// <summary>The raw .nettrace bytes recorded; complete only after <see cref="StopAsync"/>.</summary>
    public ReadOnlyMemory<byte> TraceBytes => _trace.GetBuffer().AsMemory(0, (int)_trace.Length);

    /// <summary>Starts a session on <paramref name="processId"/> with the given providers (no rundown).</summary>
    public static async Task<EventPipeRecorder> StartAsync(
        int processId,
        IEnumerable<EventPipeProvider> providers,
        int circularBufferMB = 16,
        CancellationToken cancellationToken = default)
    {
        var client = new DiagnosticsClient(processId);
        EventPipeSession session = await client
            .StartEventPipeSessionAsync(providers, requestRundown: false, circularBufferMB, cancellationToken)
            .ConfigureAwait(false);
        return new EventPipeRecorder(session);
    }

    /// <summary>Starts a session on <paramref name="processId"/> for one provider.</summary>
    public static Task<EventPipeRecorder> StartAsync(
        int processId,
        string providerName,
        EventLevel level,
        long keywords,
        CancellationToken cancellationToken = default) =>
        StartAsync(processId, [new EventPipeProvider(providerName, level, keywords)], cancellationToken: cancellationToken);

    /// <summary>Polls <paramref name="condition"/> until it holds; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the session, waits for the stream to end, and decodes every event in it.</summary>
    public async Task<IReadOnlyList<RecordedEvent>> StopAsync(TimeSpan timeout)
    {
        await StopSessionAsync(timeout).ConfigureAwait(false);
        return Decode(new MemoryStream(_trace.GetBuffer(), 0, (int)_trace.Length, writable: false));
    }

    private async Task StopSessionAsync(TimeSpan timeout)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await Task.Run(_session.Stop).WaitAsync(timeout).ConfigureAwait(false);
        // The stream ends once the runtime has flushed the session.
        await _copy.WaitAsync(timeout).ConfigureAwait(false);
    }

    /// <summary>Decodes a .nettrace stream (from this recorder, a file written by dotnet-trace, or DOTNET_EnableEventPipe).</summary>
    public static IReadOnlyList<RecordedEvent> Decode(Stream nettrace)
    {
        var events = new List<RecordedEvent>();
        using var source = new EventPipeEventSource(nettrace);
        // Self-describing (TraceLogging) events are only surfaced by the dynamic parser.
        source.Dynamic.All += e =>
        {
            string[] names = e.PayloadNames ?? [];
            var payload = new Dictionary<string, object?>(names.Length, StringComparer.Ordinal);
            for (int i = 0; i < names.Length; i++)
            {
                payload[names[i]] = e.PayloadValue(i);
            }

            events.Add(new RecordedEvent(
                e.ProviderName,
                e.EventName,
                (EventLevel)(int)e.Level,
                (long)e.Keywords & KeywordMask,
                e.TimeStamp.ToUniversalTime(),
                names,
                payload));
        };
        source.Process();
        return events;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopSessionAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or ServerNotAvailableException or IOException)
        {
            // The target may already be gone; nothing left to stop.
        }

        _session.Dispose();
        await _trace.DisposeAsync().ConfigureAwait(false);
    }
}
