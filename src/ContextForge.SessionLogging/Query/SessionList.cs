using System.Text.Json.Serialization;

namespace ContextForge.SessionLogging.Query;

/// <summary>Recorded sessions, newest start first. JSON: an array of <see cref="SessionListItem"/>.</summary>
public sealed class SessionList
{
    internal SessionList(IReadOnlyList<SessionListItem> sessions) => Sessions = sessions;

    /// <summary>The sessions, newest start first.</summary>
    public IReadOnlyList<SessionListItem> Sessions { get; }

    /// <summary>The list as indented JSON (an array).</summary>
    public string ToJson() => QueryJson.Serialize(Sessions);
}

/// <summary>
/// One recorded session as the index knows it: <c>{session_id, session_name, session_type, start_time, end_time,
/// duration_ms, status, operation_count, achievement_count, last_exit_code, interrupted_operation_count}</c>.
/// </summary>
public sealed class SessionListItem
{
    internal SessionListItem() { }

    /// <summary>The session (correlation) id.</summary>
    public string SessionId { get; internal init; } = "";

    /// <summary>The session's name.</summary>
    public string SessionName { get; internal init; } = "";

    /// <summary>The session's type.</summary>
    public string SessionType { get; internal init; } = "";

    /// <summary>When it started (UTC, ISO 8601).</summary>
    public string? StartTime { get; internal init; }

    /// <summary>When it ended (UTC, ISO 8601); null while it has no SessionEnd.</summary>
    public string? EndTime { get; internal init; }

    /// <summary>Its duration in milliseconds, rounded to 3 decimals.</summary>
    public double? DurationMs { get; internal init; }

    /// <summary><c>open</c>, <c>ended</c> or <c>abandoned</c>.</summary>
    public string Status { get; internal init; } = "";

    /// <summary>How many operations it recorded.</summary>
    public long OperationCount { get; internal init; }

    /// <summary>How many achievements it recorded.</summary>
    public long AchievementCount { get; internal init; }

    /// <summary>The exit code of its last operation that had one.</summary>
    public long? LastExitCode { get; internal init; }

    /// <summary>Operations that started and will never have a capture (their process is gone).</summary>
    public long InterruptedOperationCount { get; internal init; }
}

/// <summary>
/// A session's timeline (<c>show</c>): <c>{schema_version, session_id, session_name, session_type, status,
/// interrupted_operation_count, start_time, end_time, duration_ms, events}</c>. An <c>OperationStarted</c> appears in
/// <see cref="Events"/> only while its capture is missing.
/// </summary>
public sealed class SessionTimeline
{
    internal SessionTimeline() { }

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>The session (correlation) id.</summary>
    public string SessionId { get; internal init; } = "";

    /// <summary>The session's name; null when the index has no row for it.</summary>
    public string? SessionName { get; internal init; }

    /// <summary>The session's type.</summary>
    public string? SessionType { get; internal init; }

    /// <summary><c>open</c>, <c>ended</c> or <c>abandoned</c>.</summary>
    public string? Status { get; internal init; }

    /// <summary>Operations that started and will never have a capture.</summary>
    public long? InterruptedOperationCount { get; internal init; }

    /// <summary>When it started (UTC, ISO 8601).</summary>
    public string? StartTime { get; internal init; }

    /// <summary>When it ended (UTC, ISO 8601).</summary>
    public string? EndTime { get; internal init; }

    /// <summary>Its duration in milliseconds.</summary>
    public double? DurationMs { get; internal init; }

    /// <summary>Its events, oldest first.</summary>
    public IReadOnlyList<EventDocument> Events { get; internal init; } = [];

    /// <summary>How many operations it recorded (not part of the JSON form).</summary>
    [JsonIgnore]
    public long? OperationCount { get; internal init; }

    /// <summary>How many of its operations failed (not part of the JSON form).</summary>
    [JsonIgnore]
    public long? FailedOperationCount { get; internal init; }

    /// <summary>How many achievements it recorded (not part of the JSON form).</summary>
    [JsonIgnore]
    public long? AchievementCount { get; internal init; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}
