namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>What <c>cfsession report</c> writes: the chosen sessions, built from the public query API only.</summary>
internal sealed record SessionReport(
    string Selection,
    DateTimeOffset GeneratedAt,
    IReadOnlyList<ReportSession> Sessions,
    ReportLimits Limits,
    int OperationsWithOutputLeftOut);

/// <summary>The documented cuts: per-operation output and the whole report's output budget.</summary>
/// <param name="OutputBytesPerOperation">Bytes of each output stream shown (256 KiB by default).</param>
/// <param name="OutputBudgetBytes">Output bytes in the whole report; outputs past it are left out (64 MiB by default).</param>
internal sealed record ReportLimits(int OutputBytesPerOperation, long OutputBudgetBytes)
{
    public static ReportLimits Default { get; } = new(256 * 1024, 64L * 1024 * 1024);
}

/// <summary>One session: its summary, operations (oldest first) and achievements/milestones.</summary>
internal sealed record ReportSession(
    string Id,
    string? Name,
    string? Type,
    string? Status,
    DateTimeOffset? StartTime,
    double? DurationMs,
    int FailedOperationCount,
    IReadOnlyList<ReportOperation> Operations,
    IReadOnlyList<ReportAchievement> Achievements);

/// <summary>How an operation ended.</summary>
internal enum OperationOutcome { Succeeded, Failed, Running, Interrupted }

/// <summary>One operation: what ran, how it ended, and its output (cut at the limit).</summary>
internal sealed record ReportOperation(
    string Id,
    string Name,
    string? Cwd,
    DateTimeOffset Timestamp,
    double? OffsetMs,
    double? DurationMs,
    long? ExitCode,
    OperationOutcome Outcome,
    IReadOnlyList<ReportOutput> Outputs,
    OperationTiming? Timing,
    ReplayCast? Replay = null);

/// <summary>
/// A pty capture made replayable: its shown output split at the recorded chunk boundaries, each chunk's text at the
/// seconds since the operation started (asciicast v2 "o" events), on a terminal of <paramref name="Columns"/> x
/// <paramref name="Rows"/>.
/// </summary>
internal sealed record ReplayCast(int Columns, int Rows, IReadOnlyList<(double Time, string Text)> Events)
{
    public double DurationSeconds => Events.Count == 0 ? 0 : Events[^1].Time;
}

/// <summary>
/// One output stream (<c>output</c> or <c>stderr</c>): the first <see cref="ReportLimits.OutputBytesPerOperation"/>
/// bytes decoded (invalid UTF-8 as U+FFFD), the full size, and why it is not shown when it is not.
/// </summary>
internal sealed record ReportOutput(string Name, string Text, long TotalBytes, bool Cut, string? NotShown);

/// <summary>An achievement or a milestone (an achievement that names one), with its evidence as JSON.</summary>
internal sealed record ReportAchievement(string Id, string Type, string Description, string? MilestoneName, DateTimeOffset Timestamp, string? EvidenceJson);
