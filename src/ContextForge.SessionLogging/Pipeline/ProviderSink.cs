using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Pipeline;

/// <summary>
/// A sink that forwards events to an EventSource: an event no listener enabled is counted as not enabled, never as
/// stored. EventSource reports no per-write failure; events a trace session loses are counted by that session (the
/// trace's lost-event count), so a provider sink's own drop count is always 0.
/// </summary>
internal abstract class ProviderSink(string name, EventSource source) : ISessionEventSink
{
    private long _received, _stored, _notEnabled, _truncated;

    public SinkStatistics Statistics => new(name, Interlocked.Read(ref _received), Interlocked.Read(ref _stored), 0, null)
    {
        Truncated = Interlocked.Read(ref _truncated),
        NotEnabled = Interlocked.Read(ref _notEnabled),
    };

    /// <summary>True when a listener (ETW, EventPipe or an EventListener) would receive an event of this level and keywords.</summary>
    public bool IsEnabledFor(EventLevel level, SessionKeywords keywords) => source.IsEnabled(level, (EventKeywords)keywords);

    public void Emit(SessionEvent e)
    {
        Interlocked.Increment(ref _received);
        if (!IsEnabledFor(e.Level, e.Keywords))
        {
            Interlocked.Increment(ref _notEnabled);
            return;
        }
        // The session's activity id goes in the event header (ETW and EventPipe take the thread's), so PerfView and
        // TraceEvent group a session's events by activity; the thread's own activity id is put back afterwards.
        EventSource.SetCurrentThreadActivityId(e.ActivityId, out Guid previous);
        bool truncated;
        try
        {
            truncated = Write(e);
        }
        finally
        {
            EventSource.SetCurrentThreadActivityId(previous);
        }
        Interlocked.Increment(ref _stored);
        if (truncated) Interlocked.Increment(ref _truncated);
    }

    /// <summary>Writes the event to the provider; true when a value had to be cut to the provider's size limit.</summary>
    protected abstract bool Write(SessionEvent e);
}
