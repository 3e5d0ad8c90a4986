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

    /// <summary>Reads an integer field, or null when absent or not a number.</summary>
    public long? GetInt64(string field) => Fields[field] is JsonValue v ? ToInt64(v) : null;

    /// <summary>Reads a floating-point field, or null when absent or not a number.</summary>
    public double? GetDouble(string field) => Fields[field] is JsonValue v ? ToDouble(v) : null;

    // A value read from a file is backed by a JsonElement (any numeric TryGetValue works); a value built in memory
    // holds its CLR type (an int answers only to int), so both forms are handled.
    private static long? ToInt64(JsonValue v)
    {
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out uint ui)) return ui;
        if (v.TryGetValue(out short sh)) return sh;
        if (v.TryGetValue(out byte b)) return b;
        if (v.TryGetValue(out ulong ul) && ul <= long.MaxValue) return (long)ul;
        return ToDouble(v) is { } d && d >= long.MinValue && d <= long.MaxValue ? (long)d : null;
    }

    private static double? ToDouble(JsonValue v)
    {
        if (v.TryGetValue(out double d)) return d;
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out uint ui)) return ui;
        if (v.TryGetValue(out ulong ul)) return ul;
        if (v.TryGetValue(out float f)) return f;
        if (v.TryGetValue(out decimal m)) return (double)m;
        if (v.TryGetValue(out short sh)) return sh;
        if (v.TryGetValue(out byte b)) return b;
        return null;
    }

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
