using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// Opens, joins and ends sessions. Each <see cref="Session"/> it returns writes to its own journal segment, so any
/// number of processes can record into the same session at once without locking.
/// </summary>
public sealed class SessionManager
{
    /// <summary>The methodology recorded when none is given (the original plan's value).</summary>
    public const string DefaultMethodology = "contextforge_constitutional";

    /// <summary>The session type recorded when none is given.</summary>
    public const string DefaultSessionType = "interactive";

    private readonly SessionLoggingOptions _options;

    /// <summary>Creates a manager over the configured (or default) data directory.</summary>
    public SessionManager(SessionLoggingOptions? options = null)
    {
        _options = options ?? new SessionLoggingOptions();
        Data = _options.DataDirectory is { } dir ? new DataDirectory(dir) : DataDirectory.Default();
        if (_options.Redact)
        {
            Redactor = Redaction.SecretRedactor.Load(Data.Root, _options.RedactionRulesFile, out var notices);
            foreach (string notice in notices) Warn(notice);
        }
    }

    /// <summary>The redactor applied to everything written; null with <see cref="SessionLoggingOptions.Redact"/> off.</summary>
    internal Redaction.SecretRedactor? Redactor { get; }

    /// <summary>The data directory sessions are written to.</summary>
    public DataDirectory Data { get; }

    internal SessionLoggingOptions Options => _options;

    /// <summary>Opens a new session and journals its SessionStart. Disposing the session ends it.</summary>
    /// <param name="name">A human name for the session (optional).</param>
    /// <param name="type">The session type (default <see cref="DefaultSessionType"/>).</param>
    /// <param name="methodology">The methodology (default <see cref="DefaultMethodology"/>).</param>
    /// <param name="parentSessionId">The session this one was started from, if any.</param>
    public Session Start(string? name = null, string? type = null, string? methodology = null, string? parentSessionId = null) =>
        Start(name, type, methodology, parentSessionId, detached: false);

    /// <summary>
    /// <c>session_lifetime</c> of a session that ends with the process that started it (<see cref="Start(string?, string?, string?, string?)"/>,
    /// a <c>run</c> without a session): once that process is gone without SessionEnd, the session is abandoned.
    /// </summary>
    internal const string ProcessLifetime = "process";

    /// <summary><c>session_lifetime</c> of a session that stays open between processes until <c>cfsession end</c> (<c>cfsession start</c>).</summary>
    internal const string DetachedLifetime = "detached";

    /// <summary>Opens a session; <paramref name="detached"/>: it outlives this process (<c>cfsession start</c>) and the caller must <see cref="Session.Detach"/> it.</summary>
    internal Session Start(string? name, string? type, string? methodology, string? parentSessionId, bool detached, string? sessionId = null)
    {
        string id = sessionId ?? Guid.NewGuid().ToString("D");
        var activityId = Guid.NewGuid();
        var start = DateTimeOffset.UtcNow;
        var session = new Session(this, id, activityId, start, name ?? string.Empty, type ?? DefaultSessionType, ownsLifetime: true);
        session.Record(new Records.SessionStarted(start, id, session.Name, session.Type, methodology ?? DefaultMethodology)
        {
            TraceId = session.TraceId.ToHexString(),
            SpanId = session.ActivityContext.SpanId.ToHexString(),
            ParentSessionId = string.IsNullOrEmpty(parentSessionId) ? null : parentSessionId,
            ParentActivityId = ParentActivityId(parentSessionId),
            SessionLifetime = detached ? DetachedLifetime : ProcessLifetime,
        });
        return session;
    }

    /// <summary>
    /// Opens a session that lives as long as another process of this host, <paramref name="ownerPid"/> (the shell of
    /// <c>cfsession init</c>): its SessionStart names that process, so readers show it abandoned once that process is
    /// provably gone without a SessionEnd. The returned session is detached (this process does not end it).
    /// </summary>
    internal Session StartOwnedBy(int ownerPid, string? name, string type, string? parentSessionId)
    {
        string id = Guid.NewGuid().ToString("D");
        var activityId = Guid.NewGuid();
        var start = DateTimeOffset.UtcNow;
        var session = new Session(this, id, activityId, start, name ?? string.Empty, type, ownsLifetime: true);
        session.Detach();
        var provenance = CurrentProvenance.Capture(session.ToolName, null, Redactor) with
        {
            Pid = ownerPid,
            ProcessStartTicks = ProcessLiveness.ReadStat(ownerPid) is { } stat ? stat.StartTicks : null,
        };
        session.Record(new Records.SessionStarted(start, id, session.Name, session.Type, DefaultMethodology)
        {
            TraceId = session.TraceId.ToHexString(),
            SpanId = session.ActivityContext.SpanId.ToHexString(),
            ParentSessionId = string.IsNullOrEmpty(parentSessionId) ? null : parentSessionId,
            ParentActivityId = ParentActivityId(parentSessionId),
            SessionLifetime = ProcessLifetime,
            Provenance = provenance,
        });
        return session;
    }

    /// <summary>The parent session's activity id, when it is recorded here (a parent we cannot read has none to give).</summary>
    private Guid? ParentActivityId(string? parentSessionId)
    {
        if (string.IsNullOrEmpty(parentSessionId)) return null;
        try
        {
            return ReadSessionStart(parentSessionId)?.ActivityId;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or SessionNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Joins an existing session (for example the one named by <c>CFSESSION_ID</c>): the returned session writes to
    /// a new segment and does not end the session when disposed.
    /// </summary>
    /// <exception cref="SessionNotFoundException">No session with that id has been started here.</exception>
    public Session Join(string sessionId)
    {
        var start = ReadSessionStart(sessionId) ?? throw new SessionNotFoundException(sessionId);
        var record = (Records.SessionStarted)start.ToRecord();
        return new Session(
            this,
            sessionId,
            start.ActivityId,
            record.StartTime,
            record.SessionName,
            record.SessionType.Length > 0 ? record.SessionType : DefaultSessionType,
            ownsLifetime: false,
            RecordedTraceId(record.TraceId));
    }

    /// <summary>The trace a session's SessionStart recorded (none in journals written before trace ids, or when malformed).</summary>
    private static System.Diagnostics.ActivityTraceId? RecordedTraceId(string? hex) =>
        hex is { Length: 32 } && hex.All(char.IsAsciiHexDigitLower) ? System.Diagnostics.ActivityTraceId.CreateFromString(hex) : null;

    /// <summary>
    /// Ends a session from any process (journals SessionEnd with its duration and counts over all segments).
    /// Returns null when the session has already ended.
    /// </summary>
    internal (int Operations, int Achievements)? End(string sessionId)
    {
        var events = JournalReader.ReadSession(Data.SessionDirectory(sessionId)).Events;
        if (events.Any(e => e.Name == SessionEventNames.SessionEnd)) return null;
        using var session = Join(sessionId);
        session.EndOwned();
        var end = JournalReader.ReadSession(Data.SessionDirectory(sessionId)).Events.Last(e => e.Name == SessionEventNames.SessionEnd);
        return end.ToRecord() is Records.SessionEnded ended ? (ended.OperationCount, ended.AchievementCount) : (0, 0);
    }

    /// <summary>True when the session has ended (its SessionEnd is journaled), read from its journal's tail only.</summary>
    internal bool HasEnded(string sessionId) => JournalReader.HasSessionEndNearTail(Data.SessionDirectory(sessionId));

    /// <summary>Finds a session by its full id or a unique prefix of it.</summary>
    /// <exception cref="SessionNotFoundException">No session, or more than one, matches.</exception>
    public string ResolveSessionId(string idOrPrefix)
    {
        string wanted = idOrPrefix.Trim().ToLowerInvariant();
        if (wanted.Length > InputLimits.MaxSessionIdChars)
        {
            // Shown cut to 40 characters; the slice is bounded by the length, which may be as short as 37.
            string shown = idOrPrefix.Length > 40 ? idOrPrefix[..40] + "..." : idOrPrefix;
            throw new SessionNotFoundException(idOrPrefix[..Math.Min(idOrPrefix.Length, 40)], $"'{shown}' ({idOrPrefix.Length} characters) is not a session id or id prefix (at most {InputLimits.MaxSessionIdChars} characters)");
        }
        if (DataDirectory.IsValidSessionId(wanted))
        {
            return Directory.Exists(Data.SessionDirectory(wanted)) ? wanted : throw new SessionNotFoundException(idOrPrefix);
        }
        if (wanted.Length == 0 || !wanted.All(c => char.IsAsciiHexDigitLower(c) || c == '-'))
            throw new SessionNotFoundException(idOrPrefix, $"'{idOrPrefix}' is not a session id or id prefix");
        var matches = Data.EnumerateSessionIds().Where(id => id.StartsWith(wanted, StringComparison.Ordinal)).Take(2).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new SessionNotFoundException(idOrPrefix),
            _ => throw new SessionNotFoundException(idOrPrefix, $"'{idOrPrefix}' matches more than one session; give more characters"),
        };
    }

    internal SessionEvent? ReadSessionStart(string sessionId)
    {
        if (!DataDirectory.IsValidSessionId(sessionId)) return null;
        string dir = Data.SessionDirectory(sessionId);
        return JournalReader.ReadSessionStart(dir);
    }

    private Milestones.MilestoneEngine? _milestones;
    private bool _milestonesLoaded;
    private readonly object _milestonesGate = new();

    /// <summary>
    /// The milestone rules of <c>milestones.json</c> in the data directory, read once per manager; null when there
    /// is no such file or it defines nothing (then recording pays nothing for milestones). A malformed file is
    /// reported once through <see cref="SessionLoggingOptions.Warning"/> and recording continues without milestones.
    /// </summary>
    internal Milestones.MilestoneEngine? LoadMilestones()
    {
        lock (_milestonesGate)
        {
            if (_milestonesLoaded) return _milestones;
            _milestonesLoaded = true;
            var (definitions, error) = Milestones.MilestoneConfig.Load(Path.Combine(Data.Root, Milestones.MilestoneConfig.FileName));
            if (error is not null) Warn($"milestones disabled: {error}");
            _milestones = definitions.Count > 0 ? new Milestones.MilestoneEngine(Data, definitions) : null;
            return _milestones;
        }
    }

    /// <summary>Reports a problem that does not stop recording: to <see cref="SessionLoggingOptions.Warning"/> and the self-diagnostics provider.</summary>
    internal void Warn(string message)
    {
        SelfDiagnostics.Log.Warning(message);
        _options.Warning?.Invoke(message);
    }

    internal static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    internal static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
