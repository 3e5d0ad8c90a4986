using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Events;

/// <summary>
/// The single in-memory form of everything the engine records. Every sink writes it and every reader gives it
/// back: a write followed by a read returns an equal event.
/// </summary>
public sealed class SessionEvent : IEquatable<SessionEvent>
{
    /// <summary>Creates an event.</summary>
    public SessionEvent(
        string name,
        DateTimeOffset timestamp,
        string sessionId,
        Guid activityId,
        EventLevel level,
        SessionKeywords keywords,
        JsonObject fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        ArgumentNullException.ThrowIfNull(fields);
        Name = name;
        Timestamp = timestamp.ToUniversalTime();
        SessionId = sessionId;
        ActivityId = activityId;
        Level = level;
        Keywords = keywords;
        Fields = fields;
    }

    /// <summary>The event name, the same as the provider event's name (see <see cref="SessionEventNames"/>).</summary>
    public string Name { get; }

    /// <summary>When the event happened, in UTC.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The session (correlation) id the event belongs to.</summary>
    public string SessionId { get; }

    /// <summary>The session's activity id (ETW / EventPipe correlation).</summary>
    public Guid ActivityId { get; }

    /// <summary>The event level (Informational, or Error for failures).</summary>
    public EventLevel Level { get; }

    /// <summary>The provider keywords of the event.</summary>
    public SessionKeywords Keywords { get; }

    /// <summary>Sequence number within the journal segment that stored the event; 0 before it is stored.</summary>
    public long Sequence { get; internal set; }

    /// <summary>The journal segment that stored the event; empty before it is stored.</summary>
    public string Segment { get; internal set; } = string.Empty;

    /// <summary>The event's fields, keyed by their snake_case journal names.</summary>
    public JsonObject Fields { get; }

    /// <summary>Reads a string field, or null when absent.</summary>
    public string? GetString(string field) =>
        Fields[field] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>Reads an integer field, or null when absent.</summary>
    public long? GetInt64(string field) =>
        Fields[field] is JsonValue v && v.TryGetValue(out long l) ? l
        : Fields[field] is JsonValue d && d.TryGetValue(out double dd) ? (long)dd : null;

    /// <summary>Reads a floating-point field, or null when absent.</summary>
    public double? GetDouble(string field) =>
        Fields[field] is JsonValue v && v.TryGetValue(out double d) ? d : null;

    /// <inheritdoc/>
    public bool Equals(SessionEvent? other) =>
        other is not null
        && Name == other.Name
        && Timestamp == other.Timestamp
        && SessionId == other.SessionId
        && ActivityId == other.ActivityId
        && Level == other.Level
        && Keywords == other.Keywords
        && Sequence == other.Sequence
        && Segment == other.Segment
        && JsonNode.DeepEquals(Fields, other.Fields);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SessionEvent);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Timestamp, SessionId, Sequence);

    /// <inheritdoc/>
    public override string ToString() => $"{Timestamp:O} {Name} {SessionId} #{Sequence}";
}
