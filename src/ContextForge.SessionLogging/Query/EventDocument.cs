using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Query;

/// <summary>
/// One recorded event as history, search and the session timeline give it: where it is in the journal, and its
/// journal fields without the inline output text (<c>output_sample</c> holds the first 500 characters). JSON:
/// <c>{event, timestamp, session_id, file, line, seq, ...the event's journal fields}</c>.
/// </summary>
[JsonConverter(typeof(JsonObjectDocumentConverter<EventDocument>))]
public sealed class EventDocument : IJsonObjectDocument
{
    internal EventDocument(IndexedEvent e)
    {
        Event = e.Name;
        Timestamp = e.Timestamp;
        SessionId = e.SessionId;
        File = e.File;
        Line = e.Line;
        Sequence = e.Sequence;
        Fields = e.Fields;
        OperationStatus = e.Name == SessionEventNames.OperationStarted ? e.OperationStatus : null;
    }

    /// <summary>The event name (<c>SessionStart</c>, <c>TerminalCapture</c>, <c>AchievementLogged</c>, ...).</summary>
    public string Event { get; }

    /// <summary>When it was recorded (UTC).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>The session (correlation) id.</summary>
    public string SessionId { get; }

    /// <summary>The segment that holds it, <c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c> under <c>sessions/</c>.</summary>
    public string File { get; }

    /// <summary>The 1-based line in that segment.</summary>
    public long Line { get; }

    /// <summary>The segment's sequence number of the line.</summary>
    public long Sequence { get; }

    /// <summary>The event's journal fields, without the inline <c>output</c>/<c>stderr</c> text.</summary>
    public JsonObject Fields { get; }

    /// <summary>The operation id, for operation events.</summary>
    public string? OperationId => Fields[JournalFields.OperationId] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>
    /// Of an <c>OperationStarted</c> (listed only while its capture is missing): <c>"interrupted"</c> when the process
    /// that ran it is provably gone, else <c>"running"</c>; null for every other event.
    /// </summary>
    public string? OperationStatus { get; }

    JsonObject IJsonObjectDocument.ToJsonObject()
    {
        var o = new JsonObject
        {
            ["event"] = Event,
            ["timestamp"] = SessionManager.FormatTime(Timestamp),
            ["session_id"] = SessionId,
            ["file"] = File,
            ["line"] = Line,
            ["seq"] = Sequence,
        };
        foreach (var (key, value) in Fields) o[key] = value?.DeepClone();
        if (OperationStatus is not null)
        {
            // Its exit code is unknown while the capture is missing.
            o[JournalFields.OperationStatus] = OperationStatus;
            o[JournalFields.ExitCode] = null;
        }
        return o;
    }

    internal JsonObject ToJsonObject() => ((IJsonObjectDocument)this).ToJsonObject();
}

/// <summary>History: the matching events, newest first. JSON: <c>{schema_version, count, events}</c>.</summary>
public sealed class HistoryDocument
{
    internal HistoryDocument(IReadOnlyList<EventDocument> events) => Events = events;

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>How many events matched (after the limit).</summary>
    public int Count => Events.Count;

    /// <summary>The matching events, newest first.</summary>
    public IReadOnlyList<EventDocument> Events { get; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}

/// <summary>History grouped per session (by correlation id). JSON: <c>{schema_version, count, sessions}</c>.</summary>
public sealed class GroupedHistoryDocument
{
    internal GroupedHistoryDocument(IReadOnlyList<GroupedSession> sessions) => Sessions = sessions;

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>How many sessions hold matching events.</summary>
    public int Count => Sessions.Count;

    /// <summary>One entry per session, holding its matching events only, newest session first.</summary>
    public IReadOnlyList<GroupedSession> Sessions { get; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}
