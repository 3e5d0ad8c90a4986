using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Telemetry;
using Spectre.Console;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// An open session: captures operations, logs achievements, and (when this process started it) ends the session
/// when disposed. Every record goes to this process's own journal segment and to the provider.
/// </summary>
public sealed class Session : IDisposable
{
    private readonly SessionManager _manager;
    private readonly SessionEventPipeline _pipeline;
    private readonly JournalWriter _journal;
    private readonly EventSourceSink? _provider;
    private bool _ended;
    private int _journaledOperations, _journaledFailedOperations, _journaledAchievements;

    internal Session(SessionManager manager, string id, Guid activityId, DateTimeOffset startTime, string name, string type, bool ownsLifetime)
    {
        _manager = manager;
        Id = id;
        ActivityId = activityId;
        StartTime = startTime;
        Name = name;
        Type = type;
        OwnsLifetime = ownsLifetime;
        _pipeline = manager.CreatePipeline(id, out _journal);
        _provider = _pipeline.Sinks.OfType<EventSourceSink>().FirstOrDefault();
        _milestones = manager.LoadMilestones();
        TraceId = SessionActivities.TraceIdFor(id);
        _activity = SessionActivities.StartSession(id, name, type, joined: !ownsLifetime);
        ActivityContext = _activity?.Context
            ?? SessionActivities.InheritedContext(id)
            ?? new System.Diagnostics.ActivityContext(TraceId, System.Diagnostics.ActivitySpanId.CreateFromString(activityId.ToString("N").AsSpan(0, 16)), System.Diagnostics.ActivityTraceFlags.Recorded);
        _previousCurrent = s_current.Value;
        s_current.Value = this;
    }

    private static readonly AsyncLocal<Session?> s_current = new();
    private readonly Session? _previousCurrent;
    private readonly Milestones.MilestoneEngine? _milestones;
    private readonly System.Diagnostics.Activity? _activity;

    /// <summary>
    /// The session's W3C trace id: its id without dashes (<see cref="SessionActivities.SessionIdFor"/> goes back).
    /// </summary>
    public System.Diagnostics.ActivityTraceId TraceId { get; }

    /// <summary>
    /// The context operations of this process hang under: the session's activity in this process when one is
    /// listened to, else the <c>TRACEPARENT</c> this process inherited for the session, else the session's trace
    /// with a span id taken from its activity id.
    /// </summary>
    internal System.Diagnostics.ActivityContext ActivityContext { get; }

    /// <summary>
    /// The session this code is recording into: the one most recently started or joined in this async flow (and
    /// the flows it starts: tasks, threads, timers created afterwards) and not yet disposed; disposing it makes the
    /// one before it current again. Starting a session in <c>Main</c> makes it current for the whole app; starting
    /// one inside an async method makes it current only inside that method and what it calls.
    /// <see cref="UnifiedTelemetry"/>, the ILogger provider and the Serilog sink journal into it.
    /// </summary>
    public static Session? Current => s_current.Value;

    /// <summary>The session (correlation) id: a lowercase UUIDv4.</summary>
    public string Id { get; }

    /// <summary>The session's activity id, used for ETW / EventPipe correlation.</summary>
    public Guid ActivityId { get; }

    /// <summary>When the session started, UTC.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>The session's name (may be empty).</summary>
    public string Name { get; }

    /// <summary>The session's type.</summary>
    public string Type { get; }

    /// <summary>True when this object started the session and so ends it on dispose; false when it joined one.</summary>
    public bool OwnsLifetime { get; private set; }

    /// <summary>Leaves the session open when this object is disposed (a shell's session, ended later by another process).</summary>
    internal void Detach() => OwnsLifetime = false;

    /// <summary>The journal segment this process writes for the session.</summary>
    public string SegmentPath => _journal.SegmentPath;

    /// <summary>Received / stored / dropped counts of each sink, so no loss is silent.</summary>
    public IReadOnlyList<SinkStatistics> SinkStatistics => _pipeline.Statistics;

    internal DataDirectory Data => _manager.Data;

    internal string ToolName => _manager.Options.ToolName;

    /// <summary>
    /// Starts capturing an operation: the returned scope's <see cref="CaptureScope.Console"/> shows output on
    /// the terminal and records it, and what the code writes to
    /// <see cref="System.Console"/> is recorded too. Disposing the scope journals the capture. Call
    /// <see cref="CaptureScope.Fail"/> when the operation throws, or use <see cref="Capture(string, Action{IAnsiConsole})"/>.
    /// </summary>
    public CaptureScope Capture(string operationName) => Capture(operationName, display: null!);

    /// <summary>Starts capturing an operation whose output is shown on <paramref name="display"/>; see <see cref="Capture(string)"/>.</summary>
    public CaptureScope Capture(string operationName, IAnsiConsole display)
    {
        ArgumentException.ThrowIfNullOrEmpty(operationName);
        ThrowIfEnded();
        return new CaptureScope(this, operationName, display);
    }

    /// <summary>Runs <paramref name="operation"/> inside a capture; an exception emits TerminalCaptureFailed and is rethrown unchanged.</summary>
    public CaptureRecord Capture(string operationName, Action<IAnsiConsole> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var scope = Capture(operationName);
        try
        {
            operation(scope.Console);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            scope.Dispose();
            throw;
        }
        scope.Dispose();
        return scope.Result!;
    }

    /// <summary>Async form of <see cref="Capture(string, Action{IAnsiConsole})"/>.</summary>
    public async Task<CaptureRecord> CaptureAsync(string operationName, Func<IAnsiConsole, Task> operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var scope = Capture(operationName);
        try
        {
            await operation(scope.Console).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.Fail(ex);
            scope.Dispose();
            throw;
        }
        scope.Dispose();
        return scope.Result!;
    }

    /// <summary>
    /// Logs an achievement with id <c>ACH-{first 8 of the session id}-{NNN}</c>; NNN counts per session from 001,
    /// allocated atomically across processes.
    /// </summary>
    /// <param name="achievementType">The kind of outcome, e.g. <c>tests_passed</c>.</param>
    /// <param name="description">What was achieved.</param>
    /// <param name="evidence">Evidence entries: strings, numbers, booleans, timestamps, GUIDs or null.</param>
    public AchievementRecord LogAchievement(string achievementType, string description, IReadOnlyDictionary<string, object?>? evidence = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(achievementType);
        ArgumentNullException.ThrowIfNull(description);
        ThrowIfEnded();
        var evidenceJson = new JsonObject();
        if (evidence is not null)
        {
            foreach (var (key, value) in evidence) evidenceJson[key] = ToJson(value);
        }
        int number = AchievementCounter.Allocate(_manager.Data.AchievementCounterDirectory(Id));
        string achievementId = string.Create(CultureInfo.InvariantCulture, $"ACH-{Id[..8]}-{number:D3}");
        var now = DateTimeOffset.UtcNow;
        var fields = new JsonObject
        {
            [JournalFields.AchievementId] = achievementId,
            [JournalFields.CorrelationId] = Id,
            [JournalFields.AchievementType] = achievementType,
            [JournalFields.Description] = description,
            [JournalFields.Timestamp] = SessionManager.FormatTime(now),
            [JournalFields.Evidence] = evidenceJson,
            [JournalFields.Provenance] = Provenance.Capture(ToolName),
        };
        var etw = EtwCorrelation(EventLevel.Informational, SessionKeywords.Achievement);
        etw[JournalFields.AchievementId] = achievementId;
        fields[JournalFields.EtwCorrelation] = etw;
        Emit(SessionEventNames.AchievementLogged, now, EventLevel.Informational, SessionKeywords.Achievement, fields);
        return new AchievementRecord(achievementId, Id, achievementType, description, now, (JsonObject)evidenceJson.DeepClone());
    }

    /// <summary>Journals what is emitted until the scope ends with one fsync (see <see cref="JournalWriter.GroupCommit"/>).</summary>
    internal IDisposable GroupCommit() => _journal.GroupCommit();

    /// <summary>Ends the session (journals SessionEnd with duration and counts). Only the owner ends it.</summary>
    public void End()
    {
        if (_ended) return;
        _ended = true;
        if (OwnsLifetime)
        {
            // Milestones reached by SessionEnd (clean_session) are journaled right after it.
            _endingNow = true;
            try { EmitSessionEnd(_manager, this, DateTimeOffset.UtcNow); }
            finally { _endingNow = false; }
        }
        _activity?.Stop();
    }

    /// <summary>Ends a joined session on behalf of its owner (<c>cfsession end</c>).</summary>
    internal void EndOwned()
    {
        OwnsLifetime = true;
        End();
    }

    /// <summary>Ends the session if this object owns it, and closes this process's segment.</summary>
    public void Dispose()
    {
        End();
        _activity?.Stop();
        if (ReferenceEquals(s_current.Value, this)) s_current.Value = _previousCurrent is { _disposed: false } previous ? previous : null;
        _disposed = true;
        _journal.Dispose();
    }

    private bool _disposed;
    private bool _endingNow;

    /// <summary>
    /// Records an event of the caller's own (a log entry, a domain event) in this session: journaled with
    /// <paramref name="fields"/> (names kept as given) and emitted on the <c>ContextForge.UnifiedTelemetry</c>
    /// provider with the Session keyword, like <see cref="UnifiedTelemetry.LogSessionEvent(string, EventLevel, IEnumerable{KeyValuePair{string, object}})"/>.
    /// </summary>
    public void LogEvent(string eventName, EventLevel level, IEnumerable<KeyValuePair<string, object?>>? fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        UnifiedTelemetry.EmitSessionEventToProvider(eventName, level, fields, Id);
        LogCustomEvent(eventName, SessionKeywords.Session, null, fields, level);
    }

    /// <summary>
    /// The journal name of a caller's field: the name as given, except that a name the journal line's header uses
    /// (<c>v</c>, <c>event</c>, <c>ts</c>, <c>session_id</c>, ...), <c>milestone_name</c> or <c>provenance</c> gets a
    /// <c>field_</c> prefix.
    /// </summary>
    internal static string JournalFieldName(string name) =>
        Journal.JournalLine.HeaderKeys.Contains(name) || name is JournalFields.MilestoneName or JournalFields.Provenance ? "field_" + name : name;

    /// <summary>
    /// Journals an event emitted through <see cref="UnifiedTelemetry"/> (or a logging integration): the fields
    /// keep the names they were given; a milestone's name goes first as <c>milestone_name</c>.
    /// </summary>
    internal SessionEvent? LogCustomEvent(string eventName, SessionKeywords keywords, string? milestoneName, IEnumerable<KeyValuePair<string, object?>>? fields, EventLevel level = EventLevel.Informational)
    {
        if ((_ended && !_endingNow) || _disposed) return null;
        var json = new JsonObject();
        if (milestoneName is not null) json[JournalFields.MilestoneName] = milestoneName;
        if (fields is not null)
        {
            foreach (var (key, value) in fields) json[JournalFieldName(key)] = UnifiedFieldEncoder.ToJournal(value);
        }
        // Like every journaled event: who recorded it (cfsession validate requires it).
        json[JournalFields.Provenance] = Provenance.Capture(ToolName);
        return Emit(eventName, DateTimeOffset.UtcNow, level, keywords, json);
    }

    internal static void EmitSessionEnd(SessionManager manager, Session session, DateTimeOffset end)
    {
        string sessionDirectory = manager.Data.SessionDirectory(session.Id);
        int operations, failed, achievements;
        if (session.IsOnlySegment(sessionDirectory))
        {
            // This process wrote every line of the session: its own counts are the session's, no re-read needed.
            (operations, failed, achievements) = (session._journaledOperations, session._journaledFailedOperations, session._journaledAchievements);
        }
        else
        {
            var events = JournalReader.ReadSession(sessionDirectory).Events;
            operations = events.Count(e => e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed);
            failed = events.Count(IsFailedOperation);
            achievements = events.Count(e => e.Name == SessionEventNames.AchievementLogged);
        }
        var fields = new JsonObject
        {
            [JournalFields.CorrelationId] = session.Id,
            [JournalFields.StartTime] = SessionManager.FormatTime(session.StartTime),
            [JournalFields.EndTime] = SessionManager.FormatTime(end),
            [JournalFields.DurationMs] = Math.Round((end - session.StartTime).TotalMilliseconds, 3),
            [JournalFields.OperationCount] = operations,
            [JournalFields.FailedOperationCount] = failed,
            [JournalFields.AchievementCount] = achievements,
            [JournalFields.Status] = "ended",
            [JournalFields.Provenance] = Provenance.Capture(session.ToolName),
            [JournalFields.EtwCorrelation] = session.EtwCorrelation(EventLevel.Informational, SessionKeywords.Session),
        };
        session.Emit(SessionEventNames.SessionEnd, end, EventLevel.Informational, SessionKeywords.Session, fields);
    }

    internal JsonObject EtwCorrelation(EventLevel level, SessionKeywords keywords) => new()
    {
        ["activity_id"] = ActivityId.ToString("D"),
        ["etw_emitted"] = _provider?.IsEnabledFor(level, keywords) ?? false,
    };

    internal SessionEvent Emit(string name, DateTimeOffset timestamp, EventLevel level, SessionKeywords keywords, JsonObject fields)
    {
        var e = new SessionEvent(name, timestamp, Id, ActivityId, level, keywords, fields);
        _pipeline.Emit(e);
        if (e.Sequence > 0)
        {
            // Counted only once journaled, exactly as a re-read of the journal would count it.
            if (name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed) Interlocked.Increment(ref _journaledOperations);
            if (IsFailedOperation(e)) Interlocked.Increment(ref _journaledFailedOperations);
            if (name == SessionEventNames.AchievementLogged) Interlocked.Increment(ref _journaledAchievements);
        }
        _milestones?.OnEvent(this, e);
        return e;
    }

    private static bool IsFailedOperation(SessionEvent e) => e.Name == SessionEventNames.TerminalCaptureFailed
        || (e.Name == SessionEventNames.TerminalCapture && e.GetInt64(JournalFields.ExitCode) is { } code && code != 0);

    /// <summary>True when the session directory holds no journal segment but this process's own.</summary>
    private bool IsOnlySegment(string sessionDirectory)
    {
        if (!Directory.Exists(sessionDirectory)) return true;
        foreach (string segment in Directory.EnumerateFiles(sessionDirectory, "*" + JournalReader.SegmentExtension))
        {
            if (!string.Equals(Path.GetFullPath(segment), Path.GetFullPath(SegmentPath), StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private void ThrowIfEnded() => ObjectDisposedException.ThrowIf(_ended, this);

    internal static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        uint ui => JsonValue.Create(ui),
        ulong ul => JsonValue.Create(ul),
        short sh => JsonValue.Create(sh),
        byte by => JsonValue.Create(by),
        double d => double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(d.ToString(CultureInfo.InvariantCulture)),
        float f => float.IsFinite(f) ? JsonValue.Create(f) : JsonValue.Create(f.ToString(CultureInfo.InvariantCulture)),
        decimal m => JsonValue.Create(m),
        DateTimeOffset dto => JsonValue.Create(SessionManager.FormatTime(dto)),
        DateTime dt => JsonValue.Create(SessionManager.FormatTime(dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt, TimeSpan.Zero) : new DateTimeOffset(dt))),
        TimeSpan ts => JsonValue.Create(ts.TotalMilliseconds),
        Guid g => JsonValue.Create(g.ToString("D")),
        Enum en => JsonValue.Create(en.ToString()),
        IFormattable fm => JsonValue.Create(fm.ToString(null, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(value.ToString()),
    };
}

/// <summary>Allocates achievement numbers 001, 002, ... per session across processes with exclusive file creation.</summary>
internal static class AchievementCounter
{
    public static int Allocate(string directory)
    {
        FileSecurity.CreatePrivateDirectory(directory);
        int next = 1;
        foreach (string file in Directory.EnumerateFiles(directory))
        {
            if (int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= next) next = n + 1;
        }
        while (true)
        {
            string path = Path.Combine(directory, next.ToString("D3", CultureInfo.InvariantCulture));
            try
            {
                using (FileSecurity.CreateNewPrivateFile(path)) { }
                return next;
            }
            catch (IOException) when (File.Exists(path))
            {
                next++; // another process took this number first
            }
        }
    }
}
