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
        : this(name, timestamp, sessionId, activityId, level, keywords, fields, validate: true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(fields);
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
    public string? GetString(string field) => Records.FieldReader.String(Fields[field]);

    /// <summary>Reads an integer field, or null when absent or not a number.</summary>
    public long? GetInt64(string field) => Records.FieldReader.Int64(Fields[field]);

    /// <summary>Reads a floating-point field, or null when absent or not a number.</summary>
    public double? GetDouble(string field) => Records.FieldReader.Double(Fields[field]);

    /// <summary>
    /// The typed record of this event, read from its fields through the contract table: an event read from a journal
    /// gives back the record that was written (after redaction). An event name the table does not know is a
    /// <see cref="Records.CustomEvent"/>.
    /// </summary>
    public Records.SessionRecord ToRecord() => Contract.EventContracts.For(Name).Read(this);

    /// <summary>The record this event was built from by the pipeline (null for an event read from a file); carries the fields' provider type tags.</summary>
    internal Records.SessionRecord? BuiltFrom { get; private init; }

    /// <summary>The event the pipeline builds for a record; <paramref name="sessionId"/> is empty for an event recorded outside any session.</summary>
    internal static SessionEvent FromPipeline(Records.SessionRecord record, string sessionId, Guid activityId, JsonObject fields) =>
        new(record.EventName, record.Timestamp, sessionId, activityId, record.Level, record.Keywords, fields, validate: false) { BuiltFrom = record };

    private SessionEvent(string name, DateTimeOffset timestamp, string sessionId, Guid activityId, EventLevel level, SessionKeywords keywords, JsonObject fields, bool validate)
    {
        if (validate) ArgumentException.ThrowIfNullOrEmpty(sessionId);
        Name = name;
        Timestamp = timestamp.ToUniversalTime();
        SessionId = sessionId;
        ActivityId = activityId;
        Level = level;
        Keywords = keywords;
        Fields = fields;
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
