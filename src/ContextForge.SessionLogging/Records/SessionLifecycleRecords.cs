using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Records;

/// <summary>A session was opened (<c>SessionStart</c>).</summary>
public sealed record SessionStarted : SessionRecord
{
    /// <summary>Creates the record; <see cref="SessionRecord.Timestamp"/> is the start time.</summary>
    public SessionStarted(DateTimeOffset startTime, string correlationId, string sessionName, string sessionType, string methodology)
        : base(startTime)
    {
        StartTime = startTime.ToUniversalTime();
        CorrelationId = correlationId;
        SessionName = sessionName;
        SessionType = sessionType;
        Methodology = methodology;
    }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; init; }

    /// <summary>The session's name (may be empty).</summary>
    public string SessionName { get; init; }

    /// <summary>The session type.</summary>
    public string SessionType { get; init; }

    /// <summary>When the session started, UTC.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>The methodology.</summary>
    public string Methodology { get; init; }

    /// <summary>The W3C trace id (the session id without dashes); absent in journals written before it existed.</summary>
    public string? TraceId { get; init; }

    /// <summary>The session's span id in the starting process.</summary>
    public string? SpanId { get; init; }

    /// <summary>The session this one was started from.</summary>
    public string? ParentSessionId { get; init; }

    /// <summary><c>process</c> (ends with its process) or <c>detached</c> (open until <c>cfsession end</c>).</summary>
    public string? SessionLifetime { get; init; }

    /// <summary>The parent session's activity id: the provider event's related activity id (not journaled; the parent's own SessionStart holds it).</summary>
    internal Guid? ParentActivityId { get; init; }

    /// <summary>Whether a provider listener was enabled when it was written (<c>etw_correlation.etw_emitted</c>).</summary>
    public bool? ProviderEnabled { get; init; }

    internal override EventContract Contract => EventContracts.SessionStart;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        f[JournalFields.SessionName] = SessionName;
        f[JournalFields.SessionType] = SessionType;
        f[JournalFields.StartTime] = RecordTime.Format(StartTime);
        f[JournalFields.Methodology] = Methodology;
        f[JournalFields.CorrelationId] = CorrelationId;
        if (TraceId is not null) f[JournalFields.TraceId] = TraceId;
        if (SpanId is not null) f[JournalFields.SpanId] = SpanId;
        if (!string.IsNullOrEmpty(ParentSessionId)) f[JournalFields.ParentSessionId] = ParentSessionId;
        if (SessionLifetime is not null) f[JournalFields.SessionLifetime] = SessionLifetime;
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
        f[JournalFields.EtwCorrelation] = RecordTime.EtwCorrelation(context, null, null);
    }

    internal static SessionStarted Read(SessionEvent e) =>
        new(FieldReader.Time(e.Fields[JournalFields.StartTime]) ?? e.Timestamp, e.GetString(JournalFields.CorrelationId) ?? e.SessionId,
            e.GetString(JournalFields.SessionName) ?? string.Empty, e.GetString(JournalFields.SessionType) ?? string.Empty,
            e.GetString(JournalFields.Methodology) ?? string.Empty)
        {
            Timestamp = e.Timestamp,
            TraceId = e.GetString(JournalFields.TraceId),
            SpanId = e.GetString(JournalFields.SpanId),
            ParentSessionId = e.GetString(JournalFields.ParentSessionId),
            SessionLifetime = e.GetString(JournalFields.SessionLifetime),
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
            ProviderEnabled = RecordTime.ProviderEnabled(e),
        };
}

/// <summary>A session was closed (<c>SessionEnd</c>), with its duration and counts over all its segments.</summary>
public sealed record SessionEnded : SessionRecord
{
    /// <summary>Creates the record; <see cref="SessionRecord.Timestamp"/> is the end time.</summary>
    public SessionEnded(string correlationId, DateTimeOffset startTime, DateTimeOffset endTime, int operationCount, int failedOperationCount, int achievementCount)
        : base(endTime)
    {
        CorrelationId = correlationId;
        StartTime = startTime.ToUniversalTime();
        EndTime = endTime.ToUniversalTime();
        Duration = RecordTime.Rounded(endTime - startTime);
        OperationCount = operationCount;
        FailedOperationCount = failedOperationCount;
        AchievementCount = achievementCount;
    }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; init; }

    /// <summary>When the session started, UTC.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>When it ended, UTC.</summary>
    public DateTimeOffset EndTime { get; init; }

    /// <summary>End minus start (journaled as <c>duration_ms</c> with 3 decimals).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Captures in the session.</summary>
    public int OperationCount { get; init; }

    /// <summary>Captures that failed or exited non-zero.</summary>
    public int FailedOperationCount { get; init; }

    /// <summary>Achievements in the session.</summary>
    public int AchievementCount { get; init; }

    /// <summary>Always <c>ended</c>.</summary>
    public string Status { get; init; } = "ended";

    /// <summary>Whether a provider listener was enabled when it was written.</summary>
    public bool? ProviderEnabled { get; init; }

    internal override EventContract Contract => EventContracts.SessionEnd;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        f[JournalFields.CorrelationId] = CorrelationId;
        f[JournalFields.StartTime] = RecordTime.Format(StartTime);
        f[JournalFields.EndTime] = RecordTime.Format(EndTime);
        f[JournalFields.DurationMs] = RecordTime.Milliseconds(Duration);
        f[JournalFields.OperationCount] = OperationCount;
        f[JournalFields.FailedOperationCount] = FailedOperationCount;
        f[JournalFields.AchievementCount] = AchievementCount;
        f[JournalFields.Status] = Status;
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
        f[JournalFields.EtwCorrelation] = RecordTime.EtwCorrelation(context, null, null);
    }

    internal static SessionEnded Read(SessionEvent e)
    {
        var start = FieldReader.Time(e.Fields[JournalFields.StartTime]) ?? e.Timestamp;
        var end = FieldReader.Time(e.Fields[JournalFields.EndTime]) ?? e.Timestamp;
        return new(e.GetString(JournalFields.CorrelationId) ?? e.SessionId, start, end,
            (int)(e.GetInt64(JournalFields.OperationCount) ?? 0), (int)(e.GetInt64(JournalFields.FailedOperationCount) ?? 0),
            (int)(e.GetInt64(JournalFields.AchievementCount) ?? 0))
        {
            Timestamp = e.Timestamp,
            Duration = RecordTime.FromMilliseconds(e.GetDouble(JournalFields.DurationMs) ?? 0),
            Status = e.GetString(JournalFields.Status) ?? "ended",
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
            ProviderEnabled = RecordTime.ProviderEnabled(e),
        };
    }
}

/// <summary>Formats shared by the record writers: times, durations, the <c>etw_correlation</c> object.</summary>
internal static class RecordTime
{
    public static string Format(DateTimeOffset t) => Sessions.SessionManager.FormatTime(t);

    /// <summary>Milliseconds with 3 decimals, as every <c>duration_ms</c> is journaled.</summary>
    public static double Milliseconds(TimeSpan d) => Math.Round(d.TotalMilliseconds, 3);

    /// <summary>A duration cut to the journal's precision (whole microseconds), so a record read back equals the one written.</summary>
    public static TimeSpan Rounded(TimeSpan d) => FromMilliseconds(Milliseconds(d));

    public static TimeSpan FromMilliseconds(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    public static JsonObject EtwCorrelation(in RecordContext context, string? idField, string? id)
    {
        var o = new JsonObject
        {
            ["activity_id"] = context.ActivityId.ToString("D"),
            ["etw_emitted"] = context.ProviderEnabled,
        };
        if (idField is not null) o[idField] = id;
        return o;
    }

    public static bool? ProviderEnabled(SessionEvent e) => FieldReader.Boolean(e.Fields[JournalFields.EtwCorrelation]?["etw_emitted"]);
}
