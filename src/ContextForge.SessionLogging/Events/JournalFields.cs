namespace ContextForge.SessionLogging.Events;

/// <summary>The snake_case field names used in the journal, the index and the inspection JSON.</summary>
internal static class JournalFields
{
#pragma warning disable CS1591 // The names document themselves; docs/journal-format.md describes each one.
    public const string SessionName = "session_name";
    public const string SessionType = "session_type";
    public const string Methodology = "methodology";
    public const string StartTime = "start_time";
    public const string EndTime = "end_time";
    public const string DurationMs = "duration_ms";
    public const string CorrelationId = "correlation_id";
    public const string ParentSessionId = "parent_session_id";
    public const string OperationId = "operation_id";
    public const string OperationName = "operation_name";
    public const string ParentOperationId = "parent_operation_id";
    /// <summary>A shell command's link to the <c>cfsession run</c> inside it that recorded its output.</summary>
    public const string LinkedOperationId = "linked_operation_id";
    public const string OperationKind = "operation_kind";
    public const string Command = "command";
    public const string Arguments = "arguments";
    public const string Cwd = "cwd";
    public const string ExitCode = "exit_code";
    public const string Signal = "signal";
    public const string CaptureMode = "capture_mode";
    public const string OutputLength = "output_length";
    public const string Output = "output";
    public const string OutputBlob = "output_blob";
    public const string OutputStream = "output_stream";
    public const string OutputOffset = "output_offset";
    public const string OutputSample = "output_sample";
    public const string OutputPlain = "output_plain";
    public const string IntegrityHash = "integrity_hash";
    public const string StderrLength = "stderr_length";
    public const string OutputTruncated = "output_truncated";
    public const string OutputReceivedLength = "output_received_length";
    public const string StderrTruncated = "stderr_truncated";
    public const string StderrReceivedLength = "stderr_received_length";
    public const string Stderr = "stderr";
    public const string StderrBlob = "stderr_blob";
    public const string StderrHash = "stderr_hash";
    public const string Provenance = "provenance";
    public const string EtwCorrelation = "etw_correlation";
    public const string Error = "error";
    public const string ErrorType = "error_type";
    public const string AchievementId = "achievement_id";
    public const string AchievementType = "achievement_type";
    public const string Description = "description";
    public const string Evidence = "evidence";
    public const string Timestamp = "timestamp";
    public const string OperationCount = "operation_count";
    public const string FailedOperationCount = "failed_operation_count";
    public const string AchievementCount = "achievement_count";
    public const string Status = "status";
    public const string DroppedEvents = "dropped_events";
    /// <summary><c>false</c> when the output's bytes could not be stored (full disk); its length and hash are still recorded.</summary>
    public const string OutputStored = "output_stored";
    /// <summary>As <see cref="OutputStored"/>, for stderr.</summary>
    public const string StderrStored = "stderr_stored";
    public const string MilestoneName = "milestone_name";
    public const string TraceId = "trace_id";
    public const string SpanId = "span_id";
    public const string ParentSpanId = "parent_span_id";
    public const string SessionLifetime = "session_lifetime";
    public const string OperationStatus = "operation_status";
#pragma warning restore CS1591
}
