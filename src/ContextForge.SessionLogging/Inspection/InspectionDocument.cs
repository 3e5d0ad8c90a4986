using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Inspection;

/// <summary>
/// Builds the agent-inspection document for a session (schema: docs/schemas/inspection.schema.json): the session's
/// metadata, its terminal captures and achievements, the seed's <c>etw_integration</c> block and
/// <c>cross_session_context</c> (the 5 most recent other sessions, grouped as session_start / terminal_captures /
/// achievements), the other sessions read from the history index.
/// </summary>
internal static class InspectionDocument
{
    public const int SchemaVersion = 1;
    public const int CrossSessionCount = 5;
    public static readonly TimeSpan HistoricalWindow = TimeSpan.FromDays(1);

    private static readonly HashSet<string> BulkyFields = [JournalFields.Output, JournalFields.Stderr];

    public static JsonObject Build(DataDirectory data, string sessionId, DateTimeOffset now)
    {
        var summary = SessionSummary.Read(data, sessionId);
        // The other sessions come from the index (caught up first), so the document stays fast with a large history.
        using var index = HistoryIndex.Open(data);
        index.CatchUp();
        var others = HistoryQuery.Sessions(index, CrossSessionCount, exceptSessionId: sessionId).Select(s => HistoryQuery.Summary(index, s)).ToList();
        long historical = HistoryQuery.CountSessionsSince(index, now - HistoricalWindow, sessionId);
        var row = HistoryQuery.Session(index, sessionId);
        var incomplete = JournalIndexer.IncompleteOperations(index, sessionId);
        var probe = EtwProbe.Probe();
        var start = summary.Start;

        var session = new JsonObject
        {
            ["session_id"] = summary.Id,
            [JournalFields.CorrelationId] = summary.Id,
            [JournalFields.SessionName] = summary.Name,
            [JournalFields.SessionType] = summary.Type,
            [JournalFields.Methodology] = start?.GetString(JournalFields.Methodology),
            [JournalFields.StartTime] = summary.StartTime is { } st ? SessionManager.FormatTime(st) : null,
            [JournalFields.EndTime] = summary.EndTime is { } et ? SessionManager.FormatTime(et) : null,
            [JournalFields.DurationMs] = summary.DurationMs is { } d ? Math.Round(d, 3) : null,
            // The index's status: "abandoned" needs the liveness of the session's writers, which the journal alone lacks.
            [JournalFields.Status] = row?.Status ?? summary.Status,
            [JournalFields.OperationCount] = summary.Captures.Count,
            [JournalFields.FailedOperationCount] = summary.FailedOperationCount,
            [JournalFields.AchievementCount] = summary.Achievements.Count,
            ["interrupted_operation_count"] = incomplete.Count(o => o.State == WriterState.Dead),
            [JournalFields.ParentSessionId] = start?.GetString(JournalFields.ParentSessionId),
            [JournalFields.Provenance] = start?.Fields[JournalFields.Provenance]?.DeepClone(),
            ["journal_problems"] = new JsonArray(summary.Problems.Select(p => (JsonNode?)new JsonObject
            {
                ["file"] = Path.GetFileName(p.Path),
                ["line"] = p.Line,
                ["kind"] = p.Kind.ToString(),
                ["message"] = p.Message,
            }).ToArray()),
        };

        return new JsonObject
        {
            ["schema_version"] = SchemaVersion,
            ["generated_at"] = SessionManager.FormatTime(now),
            ["session"] = session,
            ["terminal_captures"] = new JsonArray(summary.Captures.Select(c => (JsonNode?)CaptureEntry(c)).ToArray()),
            ["incomplete_operations"] = new JsonArray(incomplete.Select(o => (JsonNode?)IncompleteEntry(o)).ToArray()),
            ["achievements"] = new JsonArray(summary.Achievements.Select(a => (JsonNode?)AchievementEntry(a)).ToArray()),
            ["session_events"] = new JsonArray(summary.Events.Where(IsOtherEvent).Select(e => (JsonNode?)new JsonObject
            {
                ["event"] = e.Name,
                ["timestamp"] = SessionManager.FormatTime(e.Timestamp),
                ["level"] = (int)e.Level,
                ["keywords"] = (long)e.Keywords,
                ["fields"] = e.Fields.DeepClone(),
            }).ToArray()),
            ["etw_integration"] = new JsonObject
            {
                ["etw_available"] = probe.Available,
                ["historical_sessions"] = historical,
                ["etw_provider_name"] = SessionLoggingEventSource.ProviderName,
                ["activity_id"] = summary.ActivityId.ToString("D"),
                ["mechanism"] = probe.Mechanism,
                ["probe_detail"] = probe.Detail,
            },
            ["cross_session_context"] = new JsonArray(others.Select(s => (JsonNode?)s.ToGroupedContext()).ToArray()),
        };
    }

    /// <summary>Events recorded through UnifiedTelemetry, Session.LogEvent and the logging integrations (MilestoneReached, LogEntry, ...).</summary>
    private static bool IsOtherEvent(SessionEvent e) => e.Name is not (SessionEventNames.SessionStart or SessionEventNames.SessionEnd
        or SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed or SessionEventNames.AchievementLogged
        or SessionEventNames.OperationStarted);

    /// <summary>An operation that started and has no capture: its OperationStarted fields, its status, and an unknown exit code.</summary>
    private static JsonObject IncompleteEntry(JournalIndexer.IncompleteOperation operation)
    {
        var entry = new JsonObject { ["event"] = operation.Started.Name, ["timestamp"] = SessionManager.FormatTime(operation.Started.Timestamp) };
        foreach (var (key, value) in operation.Started.Fields) entry[key] = value?.DeepClone();
        entry[JournalFields.OperationStatus] = operation.Status;
        entry[JournalFields.ExitCode] = null;
        entry["file"] = operation.Started.File;
        entry["line"] = operation.Started.Line;
        return entry;
    }

    private static JsonObject CaptureEntry(SessionEvent e)
    {
        var entry = new JsonObject { ["event"] = e.Name, ["timestamp"] = SessionManager.FormatTime(e.Timestamp) };
        foreach (var (key, value) in e.Fields)
        {
            if (BulkyFields.Contains(key)) continue;
            entry[key] = value?.DeepClone();
        }
        // Every entry carries the same keys: in-process captures have no exit code or signal (null), and ran in the
        // recording process's working directory.
        if (!entry.ContainsKey(JournalFields.ExitCode)) entry[JournalFields.ExitCode] = null;
        if (!entry.ContainsKey(JournalFields.Signal)) entry[JournalFields.Signal] = null;
        if (!entry.ContainsKey(JournalFields.Cwd)) entry[JournalFields.Cwd] = e.Fields[JournalFields.Provenance]?[JournalFields.Cwd]?.DeepClone();
        entry["output_location"] = e.GetString(JournalFields.OutputBlob) ?? (e.Fields.ContainsKey(JournalFields.Output) ? "inline" : "none");
        return entry;
    }

    private static JsonObject AchievementEntry(SessionEvent e)
    {
        var entry = new JsonObject();
        foreach (var (key, value) in e.Fields) entry[key] = value?.DeepClone();
        return entry;
    }
}
