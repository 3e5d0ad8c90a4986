namespace ContextForge.SessionLogging.Events;

/// <summary>
/// The one pipeline every event goes through: the journal first (the source of truth), then the provider and any
/// other sink. A sink that fails counts the event as dropped; the pipeline never throws for a sink's I/O.
/// </summary>
internal sealed class SessionEventPipeline(IReadOnlyList<ISessionEventSink> sinks)
{
    public IReadOnlyList<ISessionEventSink> Sinks { get; } = sinks;

    public void Emit(SessionEvent sessionEvent)
    {
        foreach (var sink in Sinks) sink.Emit(sessionEvent);
    }

    public IReadOnlyList<SinkStatistics> Statistics => Sinks.Select(s => s.Statistics).ToList();
}
