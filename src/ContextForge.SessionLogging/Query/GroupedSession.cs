using System.Text.Json.Serialization;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Query;

/// <summary>
/// The grouped form of a session (history <c>--group-by correlation</c>, inspect's <c>cross_session_context</c>):
/// <c>{correlation_id, session_name, session_type, session_start, status, terminal_captures, achievements,
/// session_events}</c>.
/// </summary>
public sealed class GroupedSession
{
    internal GroupedSession() { }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; internal init; } = "";

    /// <summary>The session's name (empty when it has none).</summary>
    public string SessionName { get; internal init; } = "";

    /// <summary>The session's type.</summary>
    public string SessionType { get; internal init; } = "";

    /// <summary>When the session started (UTC, ISO 8601), or null when nothing says.</summary>
    public string? SessionStart { get; internal init; }

    /// <summary><c>open</c>, <c>ended</c> or <c>abandoned</c>.</summary>
    public string Status { get; internal init; } = "";

    /// <summary>The session's operations, in recorded order.</summary>
    public IReadOnlyList<GroupedOperation> TerminalCaptures { get; internal init; } = [];

    /// <summary>The session's achievements, in recorded order.</summary>
    public IReadOnlyList<GroupedAchievement> Achievements { get; internal init; } = [];

    /// <summary>The seed's <c>session_events</c>: the session's lifecycle (SessionStart, SessionEnd) and its own events (MilestoneReached, LogEntry, app events), in recorded order.</summary>
    public IReadOnlyList<GroupedSessionEvent> SessionEvents { get; internal init; } = [];
}

/// <summary>A lifecycle or custom event of a session in the grouped form: <c>{event, timestamp, fields}</c>.</summary>
public sealed class GroupedSessionEvent
{
    internal GroupedSessionEvent() { }

    /// <summary>The event name (<c>SessionStart</c>, <c>SessionEnd</c>, <c>MilestoneReached</c>, <c>LogEntry</c>, an app event's name).</summary>
    public string Event { get; internal init; } = "";

    /// <summary>When it was recorded (UTC, ISO 8601).</summary>
    public string Timestamp { get; internal init; } = "";

    /// <summary>Its fields (journal names), without the provenance.</summary>
    public System.Text.Json.Nodes.JsonObject Fields { get; internal init; } = [];
}

/// <summary>An operation in the grouped form.</summary>
public sealed class GroupedOperation
{
    internal GroupedOperation() { }

    /// <summary>The operation id.</summary>
    public string? OperationId { get; internal init; }

    /// <summary>The command line or capture name.</summary>
    public string? OperationName { get; internal init; }

    /// <summary>The recorded start time, as journaled.</summary>
    public string? StartTime { get; internal init; }

    /// <summary>How long it ran, in milliseconds.</summary>
    public double? DurationMs { get; internal init; }

    /// <summary>Its exit code; null for an in-process capture.</summary>
    public long? ExitCode { get; internal init; }

    /// <summary><c>TerminalCapture</c> or <c>TerminalCaptureFailed</c>.</summary>
    public string Event { get; internal init; } = "";
}

/// <summary>An achievement in the grouped form.</summary>
public sealed class GroupedAchievement
{
    internal GroupedAchievement() { }

    /// <summary>The achievement id (<c>ACH-xxxxxxxx-NNN</c>).</summary>
    public string? AchievementId { get; internal init; }

    /// <summary>Its type.</summary>
    public string? AchievementType { get; internal init; }

    /// <summary>Its description.</summary>
    public string? Description { get; internal init; }

    /// <summary>When it was logged, as journaled.</summary>
    public string? Timestamp { get; internal init; }
}

/// <summary>
/// A session found in recorded traces (<c>trace query</c>), grouped by correlation id:
/// <c>{correlation_id, session_start, terminal_captures, achievements, traces}</c>. <c>session_start</c> comes from the
/// same builder as <see cref="GroupedSession.SessionStart"/>; the entries carry what a trace records.
/// </summary>
public sealed class TracedSession
{
    internal TracedSession() { }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; internal init; } = "";

    /// <summary>The session's name, from its SessionStart; null when the traces hold no SessionStart (not part of the JSON form).</summary>
    [JsonIgnore]
    public string? SessionName { get; internal init; }

    /// <summary>The session's type, from its SessionStart; null when the traces hold no SessionStart (not part of the JSON form).</summary>
    [JsonIgnore]
    public string? SessionType { get; internal init; }

    /// <summary>When the session started (UTC, ISO 8601); null when the traces hold no SessionStart.</summary>
    public string? SessionStart { get; internal init; }

    /// <summary>The session's operations found in the traces, oldest first.</summary>
    public IReadOnlyList<TracedOperation> TerminalCaptures { get; internal init; } = [];

    /// <summary>The session's achievements found in the traces, oldest first.</summary>
    public IReadOnlyList<TracedAchievement> Achievements { get; internal init; } = [];

    /// <summary>The session's lifecycle and custom events found in the traces, oldest first (as in <see cref="GroupedSession.SessionEvents"/>).</summary>
    public IReadOnlyList<GroupedSessionEvent> SessionEvents { get; internal init; } = [];

    /// <summary>The trace files (names) that hold its events.</summary>
    public IReadOnlyList<string> Traces { get; internal init; } = [];

    /// <summary>A list of traced sessions as indented JSON (an array).</summary>
    public static string ToJson(IReadOnlyList<TracedSession> sessions) => QueryJson.Serialize(sessions);
}

/// <summary>An operation as a trace records it.</summary>
public sealed class TracedOperation
{
    internal TracedOperation() { }

    /// <summary><c>TerminalCapture</c> or <c>TerminalCaptureFailed</c>.</summary>
    public string Event { get; internal init; } = "";

    /// <summary>When the event was recorded (UTC, ISO 8601).</summary>
    public string Timestamp { get; internal init; } = "";

    /// <summary>The operation id.</summary>
    public string? OperationId { get; internal init; }

    /// <summary>The command line or capture name.</summary>
    public string? OperationName { get; internal init; }

    /// <summary>How long it ran, in whole milliseconds (the provider's field).</summary>
    public long? DurationMs { get; internal init; }

    /// <summary>Its exit code.</summary>
    public long? ExitCode { get; internal init; }

    /// <summary>The output length in bytes.</summary>
    public long? OutputLength { get; internal init; }

    /// <summary>The error of a failed capture.</summary>
    public string? Error { get; internal init; }
}

/// <summary>An achievement as a trace records it.</summary>
public sealed class TracedAchievement
{
    internal TracedAchievement() { }

    /// <summary>When the event was recorded (UTC, ISO 8601).</summary>
    public string Timestamp { get; internal init; } = "";

    /// <summary>The achievement id.</summary>
    public string? AchievementId { get; internal init; }

    /// <summary>Its type.</summary>
    public string? AchievementType { get; internal init; }

    /// <summary>Its description.</summary>
    public string? Description { get; internal init; }

    /// <summary>How many evidence keys it had (the provider carries the count, not the evidence).</summary>
    public long? EvidenceKeys { get; internal init; }
}

/// <summary>
/// The one builder of the grouped form: a session's events (from the index, the journal or traces) become the head
/// (<c>correlation_id, session_name, session_type, session_start</c>) and its operations and achievements.
/// </summary>
internal static class GroupedSessions
{
    /// <summary>The provider's evidence-count field as the trace reader names it.</summary>
    internal const string EvidenceKeysField = "evidence_keys";

    public static GroupedSession Grouped(SessionSummary s) => new()
    {
        CorrelationId = s.Id,
        SessionName = s.Name,
        SessionType = s.Type,
        SessionStart = StartOf(s),
        Status = s.Status,
        TerminalCaptures = s.Captures.Select(c => new GroupedOperation
        {
            OperationId = c.GetString(JournalFields.OperationId),
            OperationName = c.GetString(JournalFields.OperationName),
            StartTime = c.GetString(JournalFields.StartTime),
            DurationMs = c.GetDouble(JournalFields.DurationMs),
            ExitCode = c.GetInt64(JournalFields.ExitCode),
            Event = c.Name,
        }).ToList(),
        Achievements = s.Achievements.Select(a => new GroupedAchievement
        {
            AchievementId = a.GetString(JournalFields.AchievementId),
            AchievementType = a.GetString(JournalFields.AchievementType),
            Description = a.GetString(JournalFields.Description),
            Timestamp = a.GetString(JournalFields.Timestamp),
        }).ToList(),
        SessionEvents = SessionEventsOf(s),
    };

    /// <summary>The session's lifecycle and custom events (everything but operations and achievements), in recorded order.</summary>
    private static List<GroupedSessionEvent> SessionEventsOf(SessionSummary s) => s.Events
        .Where(e => e.Name is not (SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed or SessionEventNames.AchievementLogged or SessionEventNames.OperationStarted))
        .Select(e =>
        {
            var fields = (System.Text.Json.Nodes.JsonObject)e.Fields.DeepClone();
            fields.Remove(JournalFields.Provenance);
            // Full precision, as the journal and the index keep it: the same whether it comes from the index or the journal.
            return new GroupedSessionEvent { Event = e.Name, Timestamp = SessionManager.FormatTime(e.Timestamp), Fields = fields };
        }).ToList();

    /// <summary>The grouped form of a session's traced events (given oldest first).</summary>
    public static TracedSession Traced(string correlationId, IReadOnlyList<SessionEvent> events, IReadOnlyList<string> traces)
    {
        var s = SessionSummary.FromEvents(correlationId, events);
        return new TracedSession
        {
            CorrelationId = s.Id,
            SessionName = s.Start is null ? null : s.Name,
            SessionType = s.Start is null ? null : s.Type,
            SessionStart = s.Start is null ? null : StartOf(s),
            TerminalCaptures = s.Captures.Select(c => new TracedOperation
            {
                Event = c.Name,
                Timestamp = SessionManager.FormatTime(c.Timestamp),
                OperationId = c.GetString(JournalFields.OperationId),
                OperationName = c.GetString(JournalFields.OperationName),
                DurationMs = c.GetInt64(JournalFields.DurationMs),
                ExitCode = c.GetInt64(JournalFields.ExitCode),
                OutputLength = c.GetInt64(JournalFields.OutputLength),
                Error = c.GetString(JournalFields.Error),
            }).ToList(),
            Achievements = s.Achievements.Select(a => new TracedAchievement
            {
                Timestamp = SessionManager.FormatTime(a.Timestamp),
                AchievementId = a.GetString(JournalFields.AchievementId),
                AchievementType = a.GetString(JournalFields.AchievementType),
                Description = a.GetString(JournalFields.Description),
                EvidenceKeys = a.GetInt64(EvidenceKeysField),
            }).ToList(),
            SessionEvents = SessionEventsOf(s),
            Traces = traces,
        };
    }

    private static string? StartOf(SessionSummary s) => s.StartTime is { } t ? SessionManager.FormatTime(t) : null;
}
