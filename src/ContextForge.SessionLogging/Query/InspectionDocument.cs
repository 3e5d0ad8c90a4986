using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Query;

/// <summary>
/// The agent-inspection document of one session (schema: docs/schemas/inspection.schema.json): its metadata, its
/// operations and achievements, its other events, whether trace tools can record this process, and the 5 most recent
/// other sessions in the grouped form. The output text itself is left out (<c>output_location</c> says where it is).
/// </summary>
public sealed class InspectionDocument
{
    internal InspectionDocument() { }

    /// <summary>How many other sessions <see cref="CrossSessionContext"/> lists at most.</summary>
    internal const int CrossSessionCount = 5;

    /// <summary>The window <see cref="EtwIntegration.HistoricalSessions"/> counts over.</summary>
    internal static readonly TimeSpan HistoricalWindow = TimeSpan.FromDays(1);

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>When the document was made (UTC, ISO 8601).</summary>
    public string GeneratedAt { get; internal init; } = "";

    /// <summary>The session's metadata.</summary>
    public InspectedSession Session { get; internal init; } = new();

    /// <summary>Its operations (captures), in recorded order.</summary>
    public IReadOnlyList<InspectedOperation> TerminalCaptures { get; internal init; } = [];

    /// <summary>Operations that started and have no capture: running, or interrupted.</summary>
    public IReadOnlyList<IncompleteOperation> IncompleteOperations { get; internal init; } = [];

    /// <summary>Its achievements, in recorded order.</summary>
    public IReadOnlyList<InspectedAchievement> Achievements { get; internal init; } = [];

    /// <summary>Its other events: app events, <c>LogEntry</c>, <c>MilestoneReached</c>.</summary>
    public IReadOnlyList<InspectedEvent> SessionEvents { get; internal init; } = [];

    /// <summary>Whether ETW/EventPipe can record this process, and the session's provider identity.</summary>
    public EtwIntegration EtwIntegration { get; internal init; } = new();

    /// <summary>The most recent other sessions, in the grouped form.</summary>
    public IReadOnlyList<GroupedSession> CrossSessionContext { get; internal init; } = [];

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);

    /// <summary>
    /// The secrets redaction kept out of this session's captures, per rule id (each capture's <c>redactions.patterns</c>,
    /// summed: output, stderr and the command's fields), most frequent first; empty when nothing was redacted.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, long>> RedactedSecrets()
    {
        var totals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var op in TerminalCaptures)
        {
            if (op.Fields["redactions"]?["patterns"] is not JsonObject patterns) continue;
            foreach (var (rule, count) in patterns)
            {
                if (count is JsonValue v && v.TryGetValue(out long n)) totals[rule] = totals.GetValueOrDefault(rule) + n;
                else if (count is JsonValue w && w.TryGetValue(out int i)) totals[rule] = totals.GetValueOrDefault(rule) + i;
            }
        }
        return [.. totals.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)];
    }

    internal static InspectionDocument Build(IHistoryStore index, string sessionId, DateTimeOffset now)
    {
        var summary = SessionSummary.ReadDirectory(sessionId, index.SessionJournals(sessionId));
        var others = index.Sessions(CrossSessionCount, exceptSessionId: sessionId)
            .Select(s => SessionSummary.FromEvents(s.SessionId, index.SessionEvents(s.SessionId).Select(e => e.IntoSessionEvent(s.ActivityId)).ToList()).WithIndexedStatus(s.Status))
            .ToList();
        long historical = index.CountSessionsSince(now - HistoricalWindow, sessionId);
        var row = index.Sessions(1, only: [sessionId]).FirstOrDefault();
        var incomplete = index.IncompleteOperations(sessionId).Select(e => new JournalIndexer.IncompleteOperation(e, ProcessLiveness.Check(e.Fields[JournalFields.Provenance]))).ToList();
        var probe = EtwProbe.Probe();
        var start = summary.Start;
        return new InspectionDocument
        {
            GeneratedAt = SessionManager.FormatTime(now),
            Session = new InspectedSession
            {
                SessionId = summary.Id,
                SessionName = summary.Name,
                SessionType = summary.Type,
                Methodology = start?.GetString(JournalFields.Methodology),
                StartTime = summary.StartTime is { } st ? SessionManager.FormatTime(st) : null,
                EndTime = summary.EndTime is { } et ? SessionManager.FormatTime(et) : null,
                DurationMs = summary.DurationMs is { } d ? Math.Round(d, 3) : null,
                // The index's status: "abandoned" needs the liveness of the session's writers, which the journal alone lacks.
                Status = row?.Status ?? summary.Status,
                OperationCount = summary.Captures.Count,
                FailedOperationCount = summary.FailedOperationCount,
                AchievementCount = summary.Achievements.Count,
                InterruptedOperationCount = incomplete.Count(o => o.State == WriterState.Dead),
                ParentSessionId = start?.GetString(JournalFields.ParentSessionId),
                Provenance = start?.Fields[JournalFields.Provenance]?.DeepClone(),
                JournalProblems = summary.Problems.Select(p => new JournalProblemEntry
                {
                    File = Path.GetFileName(p.Path),
                    Line = p.Line,
                    Kind = p.Kind.ToString(),
                    Message = p.Message,
                }).ToList(),
            },
            TerminalCaptures = summary.Captures.Select(c => new InspectedOperation(c)).ToList(),
            IncompleteOperations = incomplete.Select(o => new IncompleteOperation(o)).ToList(),
            Achievements = summary.Achievements.Select(a => new InspectedAchievement(a.Fields)).ToList(),
            SessionEvents = summary.Events.Where(IsOtherEvent).Select(e => new InspectedEvent
            {
                Event = e.Name,
                Timestamp = SessionManager.FormatTime(e.Timestamp),
                Level = (int)e.Level,
                Keywords = (long)e.Keywords,
                Fields = (JsonObject)e.Fields.DeepClone(),
            }).ToList(),
            EtwIntegration = new EtwIntegration
            {
                EtwAvailable = probe.Available,
                HistoricalSessions = historical,
                EtwProviderName = SessionLoggingEventSource.ProviderName,
                ActivityId = summary.ActivityId.ToString("D"),
                Mechanism = probe.Mechanism,
                ProbeDetail = probe.Detail,
            },
            CrossSessionContext = others.Select(GroupedSessions.Grouped).ToList(),
        };
    }

    /// <summary>Events recorded through UnifiedTelemetry, Session.LogEvent and the logging integrations (MilestoneReached, LogEntry, ...).</summary>
    private static bool IsOtherEvent(SessionEvent e) => e.Name is not (SessionEventNames.SessionStart or SessionEventNames.SessionEnd
        or SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed or SessionEventNames.AchievementLogged
        or SessionEventNames.OperationStarted);
}

/// <summary>The inspected session's metadata.</summary>
public sealed class InspectedSession
{
    internal InspectedSession() { }

    /// <summary>The session id.</summary>
    public string SessionId { get; internal init; } = "";

    /// <summary>The correlation id (the session id).</summary>
    public string CorrelationId => SessionId;

    /// <summary>The session's name.</summary>
    public string SessionName { get; internal init; } = "";

    /// <summary>The session's type.</summary>
    public string SessionType { get; internal init; } = "";

    /// <summary>The methodology its SessionStart names.</summary>
    public string? Methodology { get; internal init; }

    /// <summary>When it started (UTC, ISO 8601).</summary>
    public string? StartTime { get; internal init; }

    /// <summary>When it ended (UTC, ISO 8601).</summary>
    public string? EndTime { get; internal init; }

    /// <summary>Its duration in milliseconds, rounded to 3 decimals.</summary>
    public double? DurationMs { get; internal init; }

    /// <summary><c>open</c>, <c>ended</c> or <c>abandoned</c>.</summary>
    public string Status { get; internal init; } = "";

    /// <summary>How many operations it recorded.</summary>
    public int OperationCount { get; internal init; }

    /// <summary>How many of them failed.</summary>
    public int FailedOperationCount { get; internal init; }

    /// <summary>How many achievements it recorded.</summary>
    public int AchievementCount { get; internal init; }

    /// <summary>Operations that started and will never have a capture.</summary>
    public int InterruptedOperationCount { get; internal init; }

    /// <summary>The session it was started inside, if any.</summary>
    public string? ParentSessionId { get; internal init; }

    /// <summary>Who recorded it (host, user, pid, tool version, cwd, ...), as its SessionStart journaled it.</summary>
    public JsonNode? Provenance { get; internal init; }

    /// <summary>What reading its journal found wrong (torn or corrupt lines, chain breaks, sequence gaps).</summary>
    public IReadOnlyList<JournalProblemEntry> JournalProblems { get; internal init; } = [];
}

/// <summary>A fault found reading a journal: <c>{file, line, kind, message}</c>.</summary>
public sealed class JournalProblemEntry
{
    internal JournalProblemEntry() { }

    /// <summary>The segment file name.</summary>
    public string File { get; internal init; } = "";

    /// <summary>The 1-based line.</summary>
    public long Line { get; internal init; }

    /// <summary>The kind (<c>TornLastLine</c>, <c>CorruptLine</c>, ...).</summary>
    public string Kind { get; internal init; } = "";

    /// <summary>What is wrong, in one line.</summary>
    public string Message { get; internal init; } = "";
}

/// <summary>
/// An operation of the inspected session: <c>{event, timestamp, ...its journal fields without the output text,
/// output_location}</c>, with <c>exit_code</c>, <c>signal</c> and <c>cwd</c> always present.
/// </summary>
[JsonConverter(typeof(JsonObjectDocumentConverter<InspectedOperation>))]
public sealed class InspectedOperation : IJsonObjectDocument
{
    private static readonly HashSet<string> BulkyFields = [JournalFields.Output, JournalFields.Stderr];

    internal InspectedOperation(SessionEvent e)
    {
        Event = e.Name;
        Timestamp = e.Timestamp;
        var fields = new JsonObject();
        foreach (var (key, value) in e.Fields)
        {
            if (BulkyFields.Contains(key)) continue;
            fields[key] = value?.DeepClone();
        }
        // Every entry carries the same keys: in-process captures have no exit code or signal (null), and ran in the
        // recording process's working directory.
        if (!fields.ContainsKey(JournalFields.ExitCode)) fields[JournalFields.ExitCode] = null;
        if (!fields.ContainsKey(JournalFields.Signal)) fields[JournalFields.Signal] = null;
        if (!fields.ContainsKey(JournalFields.Cwd)) fields[JournalFields.Cwd] = e.Fields[JournalFields.Provenance]?[JournalFields.Cwd]?.DeepClone();
        Fields = fields;
        OutputLocation = e.GetString(JournalFields.OutputBlob) ?? (e.Fields.ContainsKey(JournalFields.Output) ? "inline" : "none");
    }

    /// <summary><c>TerminalCapture</c> or <c>TerminalCaptureFailed</c>.</summary>
    public string Event { get; }

    /// <summary>When it was recorded (UTC).</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Its journal fields without the output text.</summary>
    public JsonObject Fields { get; }

    /// <summary>Where the output is: a blob path (<c>blobs/&lt;sha256&gt;.zst</c>), <c>inline</c> or <c>none</c>.</summary>
    public string OutputLocation { get; }

    /// <summary><c>{event, timestamp, ...fields}</c>: a field of the same name as the first two replaces it in place.</summary>
    internal static JsonObject Entry(string name, DateTimeOffset timestamp, JsonObject fields)
    {
        var entry = new JsonObject { ["event"] = name, ["timestamp"] = SessionManager.FormatTime(timestamp) };
        foreach (var (key, value) in fields) entry[key] = value?.DeepClone();
        return entry;
    }

    JsonObject IJsonObjectDocument.ToJsonObject()
    {
        var entry = Entry(Event, Timestamp, Fields);
        entry["output_location"] = OutputLocation;
        return entry;
    }
}

/// <summary>
/// An operation that started and has no capture: <c>{event, timestamp, ...its OperationStarted fields,
/// operation_status, exit_code: null, file, line}</c>.
/// </summary>
[JsonConverter(typeof(JsonObjectDocumentConverter<IncompleteOperation>))]
public sealed class IncompleteOperation : IJsonObjectDocument
{
    internal IncompleteOperation(JournalIndexer.IncompleteOperation operation)
    {
        Started = new EventDocument(operation.Started);
        OperationStatus = operation.Status;
    }

    /// <summary>Its <c>OperationStarted</c> event.</summary>
    public EventDocument Started { get; }

    /// <summary><c>"interrupted"</c> when the process running it is provably gone, else <c>"running"</c>.</summary>
    public string OperationStatus { get; }

    JsonObject IJsonObjectDocument.ToJsonObject()
    {
        var entry = InspectedOperation.Entry(Started.Event, Started.Timestamp, Started.Fields);
        entry[JournalFields.OperationStatus] = OperationStatus;
        entry[JournalFields.ExitCode] = null;
        entry["file"] = Started.File;
        entry["line"] = Started.Line;
        return entry;
    }
}

/// <summary>An achievement of the inspected session: its journal fields (<c>achievement_id</c>, <c>evidence</c>, ...).</summary>
[JsonConverter(typeof(JsonObjectDocumentConverter<InspectedAchievement>))]
public sealed class InspectedAchievement : IJsonObjectDocument
{
    internal InspectedAchievement(JsonObject fields) => Fields = (JsonObject)fields.DeepClone();

    /// <summary>Its journal fields.</summary>
    public JsonObject Fields { get; }

    JsonObject IJsonObjectDocument.ToJsonObject() => (JsonObject)Fields.DeepClone();
}

/// <summary>Another event of the inspected session: <c>{event, timestamp, level, keywords, fields}</c>.</summary>
public sealed class InspectedEvent
{
    internal InspectedEvent() { }

    /// <summary>The event name.</summary>
    public string Event { get; internal init; } = "";

    /// <summary>When it was recorded (UTC, ISO 8601).</summary>
    public string Timestamp { get; internal init; } = "";

    /// <summary>Its EventLevel as a number.</summary>
    public int Level { get; internal init; }

    /// <summary>Its keywords mask.</summary>
    public long Keywords { get; internal init; }

    /// <summary>Its fields.</summary>
    public JsonObject Fields { get; internal init; } = [];
}

/// <summary>Whether trace tools can record this process, and the session's provider identity.</summary>
public sealed class EtwIntegration
{
    internal EtwIntegration() { }

    /// <summary>True when ETW (Windows) or EventPipe (elsewhere) can receive the events.</summary>
    public bool EtwAvailable { get; internal init; }

    /// <summary>How many other sessions started in the last day.</summary>
    public long HistoricalSessions { get; internal init; }

    /// <summary>The provider name.</summary>
    public string EtwProviderName { get; internal init; } = "";

    /// <summary>The session's activity id.</summary>
    public string ActivityId { get; internal init; } = "";

    /// <summary>"ETW" or "EventPipe".</summary>
    public string Mechanism { get; internal init; } = "";

    /// <summary>Why, in one line.</summary>
    public string ProbeDetail { get; internal init; } = "";
}
