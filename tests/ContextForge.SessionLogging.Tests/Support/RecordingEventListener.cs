using System.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// A real <see cref="EventListener"/> that enables one provider, by name, at a level and keywords, and keeps every
/// event it receives. Events arrive on the thread that wrote them, so the list is guarded by a lock.
/// </summary>
internal sealed class RecordingEventListener : EventListener
{
    /// <summary>EventListener reports keywords with extra high bits (0xF00000000004 for 0x4); keep the low 32.</summary>
    public const long KeywordMask = 0xFFFFFFFF;

    private readonly object _gate = new();
    private readonly List<EventWrittenEventArgs> _events = [];

    // OnEventSourceCreated runs inside the base constructor for sources that already exist, before these fields
    // are set; such sources are enabled by the loop in our constructor instead.
    private readonly string? _providerName;
    private readonly EventLevel _level;
    private readonly EventKeywords _keywords;

    public RecordingEventListener(string providerName, EventLevel level, EventKeywords keywords)
    {
        _providerName = providerName;
        _level = level;
        _keywords = keywords;
        foreach (EventSource source in EventSource.GetSources())
        {
            EnableIfMatching(source);
        }
    }

    /// <summary>A copy of the events received so far, in arrival order.</summary>
    public IReadOnlyList<EventWrittenEventArgs> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The events with this name.</summary>
    public IReadOnlyList<EventWrittenEventArgs> Named(string eventName) =>
        [.. Events.Where(e => e.EventName == eventName)];

    /// <summary>Keywords as the provider declared them (high bits masked off).</summary>
    public static long MaskedKeywords(EventWrittenEventArgs e) => (long)e.Keywords & KeywordMask;

    protected override void OnEventSourceCreated(EventSource eventSource) => EnableIfMatching(eventSource);

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventSource.Name != _providerName)
        {
            return;
        }

        lock (_gate)
        {
            _events.Add(eventData);
        }
    }

    private void EnableIfMatching(EventSource source)
    {
        if (_providerName is not null && source.Name == _providerName)
        {
            EnableEvents(source, _level, _keywords);
        }
    }
}
