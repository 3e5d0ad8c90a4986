namespace ContextForge.SessionLogging.Events;

/// <summary>One stage that stores or forwards events (the provider, the journal, later others).</summary>
public interface ISessionEventSink
{
    /// <summary>Stores or forwards one event. Never throws for an I/O failure: counts it as dropped instead.</summary>
    void Emit(SessionEvent sessionEvent);

    /// <summary>How many events this sink received, stored and dropped.</summary>
    SinkStatistics Statistics { get; }
}

/// <summary>Counts of one sink: received = stored + dropped, always.</summary>
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
}
