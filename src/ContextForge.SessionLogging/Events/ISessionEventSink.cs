namespace ContextForge.SessionLogging.Events;

/// <summary>
/// A stage that stores or forwards events: the journal, the two providers, or a sink of your own added with
/// <see cref="Sessions.SessionLoggingOptions.Sinks"/>. The pipeline calls it once per event, after redaction and after
/// the journal (so <see cref="SessionEvent.Sequence"/> is set when the journal stored the event).
/// </summary>
public interface ISessionEventSink
{
    /// <summary>Stores or forwards one event. Should not throw for an I/O failure but count it as dropped; an exception is caught, counted and reported.</summary>
    void Emit(SessionEvent sessionEvent);

    /// <summary>How many events this sink received, stored, skipped as not enabled, and dropped.</summary>
    SinkStatistics Statistics { get; }
}

/// <summary>
/// Receives each event after it was committed (stored by the journal and sent to the sinks): milestones, and later the
/// team-store push. An observer sees only events the journal stored; an exception it throws is caught, reported
/// through self-diagnostics and never reaches the code that recorded the event.
/// </summary>
public interface ISessionEventObserver
{
    /// <summary>Called once per committed event, on the thread that recorded it.</summary>
    void OnCommitted(SessionEvent sessionEvent);
}

/// <summary>Counts of one sink: <c>received = stored + not enabled + dropped</c>, always.</summary>
/// <param name="Name">The sink's name, for reports.</param>
/// <param name="Received">Events handed to the sink.</param>
/// <param name="Stored">Events the sink stored or forwarded.</param>
/// <param name="Dropped">Events the sink could not store.</param>
/// <param name="LastError">The last failure, when any event was dropped.</param>
public sealed record SinkStatistics(string Name, long Received, long Stored, long Dropped, string? LastError)
{
    /// <summary>
    /// Stored events sent with a field cut to the sink's size limit (the provider: a string over 4,096 characters,
    /// which ETW would otherwise drop whole); the cut value ends in <c>…[truncated]</c>.
    /// </summary>
    public long Truncated { get; init; }

    /// <summary>Events not forwarded because nobody asked for them (a provider with no listener enabled for their level and keywords).</summary>
    public long NotEnabled { get; init; }
}
