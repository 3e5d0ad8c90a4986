using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Pipeline;

/// <summary>
/// Sends the typed events (SessionStart, SessionEnd, TerminalCapture, TerminalCaptureFailed, AchievementLogged) to the
/// <c>ContextForge.SessionLogging</c> provider, with the values and string cut the contract table gives.
/// </summary>
internal sealed class SessionLoggingProviderSink(SessionLoggingEventSource source) : ISessionEventSink
{
    private long _received, _stored, _notEnabled, _truncated;

    // EventSource reports no per-write failure; events a trace session loses are counted by the session itself (the
    // trace's lost-event count), so this sink's own drop count is always 0.
    public SinkStatistics Statistics => new("provider", Interlocked.Read(ref _received), Interlocked.Read(ref _stored), 0, null)
    {
        Truncated = Interlocked.Read(ref _truncated),
        NotEnabled = Interlocked.Read(ref _notEnabled),
    };

    /// <summary>True when a listener (ETW, EventPipe or an EventListener) would receive this event.</summary>
    public bool IsEnabledFor(EventLevel level, SessionKeywords keywords) => source.IsEnabled(level, (EventKeywords)keywords);

    public void Emit(SessionEvent e)
    {
        Interlocked.Increment(ref _received);
        if (!IsEnabledFor(e.Level, e.Keywords))
        {
            Interlocked.Increment(ref _notEnabled);
            return;
        }
        var contract = EventContracts.For(e.Name);
        var v = contract.ProviderValues(e, out bool truncated);
        switch (contract.EventId)
        {
            case 1: source.SessionStart((string)v[0], (string)v[1], (DateTime)v[2], (Guid)v[3], (string)v[4], (string)v[5]); break;
            case 2: source.SessionEnd((string)v[0], (double)v[1], (int)v[2], (int)v[3], (int)v[4], (string)v[5]); break;
            case 3: source.TerminalCapture((string)v[0], (string)v[1], (uint)v[2], (uint)v[3], (string)v[4], (string)v[5], (int)v[6], (string)v[7]); break;
            case 4: source.TerminalCaptureFailed((string)v[0], (string)v[1], (string)v[2], (string)v[3]); break;
            case 5: source.AchievementLogged((string)v[0], (string)v[1], (string)v[2], (string)v[3], (uint)v[4]); break;
        }
        Interlocked.Increment(ref _stored);
        if (truncated) Interlocked.Increment(ref _truncated);
    }
}
