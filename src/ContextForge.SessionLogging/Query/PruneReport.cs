namespace ContextForge.SessionLogging.Query;

/// <summary>
/// Which sessions prune selects. A session is selected when any rule selects it; at least one rule must be given.
/// An open session is never removed unless <see cref="Force"/>.
/// </summary>
public sealed record PruneRules
{
    /// <summary>Select sessions whose last event is older than this.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Keep the newest sessions that fit in this many bytes; select the rest.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>Keep the newest N sessions; select the rest.</summary>
    public int? KeepLast { get; init; }

    /// <summary>Also remove open sessions.</summary>
    public bool Force { get; init; }

    /// <summary>Select only: remove nothing.</summary>
    public bool DryRun { get; init; }
}

/// <summary>What prune removed (or would remove). JSON: <c>{schema_version, dry_run, removed, kept_open, bytes_freed, bytes_before}</c>.</summary>
public sealed class PruneReport
{
    internal PruneReport() { }

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>True when nothing was removed (the sessions listed would be).</summary>
    public bool DryRun { get; internal init; }

    /// <summary>The sessions removed (or, in a dry run, selected).</summary>
    public IReadOnlyList<PrunedSession> Removed { get; internal init; } = [];

    /// <summary>Open sessions the rules selected but that were kept (no <see cref="PruneRules.Force"/>).</summary>
    public IReadOnlyList<PrunedSession> KeptOpen { get; internal init; } = [];

    /// <summary>The bytes the removed sessions held.</summary>
    public long BytesFreed { get; internal init; }

    /// <summary>The bytes every session held before.</summary>
    public long BytesBefore { get; internal init; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}

/// <summary>A session prune selected: <c>{session_id, session_name, start_time, last_event_time, bytes, status, reason}</c>.</summary>
public sealed class PrunedSession
{
    internal PrunedSession() { }

    /// <summary>The session (correlation) id.</summary>
    public string SessionId { get; internal init; } = "";

    /// <summary>The session's name.</summary>
    public string SessionName { get; internal init; } = "";

    /// <summary>When it started (UTC, ISO 8601).</summary>
    public string? StartTime { get; internal init; }

    /// <summary>When its last event was recorded (UTC, ISO 8601).</summary>
    public string? LastEventTime { get; internal init; }

    /// <summary>The bytes its directory holds.</summary>
    public long Bytes { get; internal init; }

    /// <summary><c>open</c>, <c>ended</c> or <c>abandoned</c>.</summary>
    public string Status { get; internal init; } = "";

    /// <summary>The rules that selected it, comma-separated: <c>older-than</c>, <c>keep-last</c>, <c>max-size</c>.</summary>
    public string Reason { get; internal init; } = "";
}
