using System.Diagnostics;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Pipeline;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Telemetry;
using Spectre.Console;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// An open session: captures operations, logs achievements, and (when this process started it) ends the session
/// when disposed. Every record goes through the session's pipeline (redaction, this process's own journal segment,
/// the providers, your sinks and observers).
/// </summary>
public sealed class Session : IDisposable, IAsyncDisposable
{
    private static readonly AsyncLocal<Session?> s_current = new();

    // Sessions of this process not yet disposed, ended at process exit so a host that never disposes its session
    // leaves it ended rather than abandoned.
    private static readonly HashSet<Session> s_open = [];
    private static int s_exitHookInstalled;

    private readonly SessionManager _manager;
    private readonly SessionEventPipeline _pipeline;
    private readonly JournalWriter _journal;
    private readonly SessionCounts _counts = new();
    private readonly Session? _previousCurrent;
    private readonly Activity? _activity;
    private bool _ended;
    private bool _endingNow;
    private bool _disposed;

    internal Session(SessionManager manager, string id, Guid activityId, DateTimeOffset startTime, string name, string type, bool ownsLifetime,
        ActivityTraceId? recordedTraceId = null)
    {
        _manager = manager;
        Id = id;
        ActivityId = activityId;
        StartTime = startTime;
        Name = name;
        Type = type;
        OwnsLifetime = ownsLifetime;
        _journal = JournalWriter.ForSession(manager.Data, id, manager.Options.Durability, manager.Options.FsyncInterval);
        var observers = new List<ISessionEventObserver> { _counts };
        if (manager.LoadMilestones() is { } milestones) observers.Add(new Milestones.MilestoneObserver(milestones, this));
        observers.AddRange(manager.Options.Observers);
        _pipeline = new SessionEventPipeline(id, activityId, manager.Redactor, _journal, manager.Options.EmitToProvider, manager.Options.Sinks, observers);
        var (traceId, parent, links) = SessionActivities.PlaceSession(id, recordedTraceId, joined: !ownsLifetime);
        TraceId = traceId;
        _activity = SessionActivities.StartSession(id, name, type, joined: !ownsLifetime, parent, links);
        ActivityContext = _activity?.Context
            ?? SessionActivities.InheritedContext(TraceId)
            ?? new ActivityContext(TraceId, ActivitySpanId.CreateFromString(activityId.ToString("N").AsSpan(0, 16)), ActivityTraceFlags.Recorded);
        _previousCurrent = s_current.Value;
        s_current.Value = this;
        lock (s_open) s_open.Add(this);
        if (Interlocked.Exchange(ref s_exitHookInstalled, 1) == 0) AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeOpenSessions();
    }

    /// <summary>Ends (when owned) and closes every session of this process that was never disposed.</summary>
    internal static void DisposeOpenSessions()
    {
        Session[] open;
        lock (s_open) open = [.. s_open];
        foreach (var session in open)
        {
            try
            {
                session.Dispose();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                SelfDiagnostics.Log.Warning($"session {session.Id} could not be ended at process exit: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// The session this code is recording into: the one most recently started or joined in this async flow (and
    /// the flows it starts: tasks, threads, timers created afterwards) and not yet disposed; disposing it makes the
    /// one before it current again. Starting a session in <c>Main</c> makes it current for the whole app; starting
    /// one inside an async method makes it current only inside that method and what it calls.
    /// <see cref="UnifiedTelemetry"/>, the ILogger provider and the Serilog sink journal into it.
    /// </summary>
    public static Session? Current => s_current.Value ?? s_processDefault;

    private static Session? s_processDefault;

    /// <summary>
    /// Makes this session <see cref="Current"/> for every flow of the process that has no session of its own (a host's
    /// session: request handlers and timers run on flows that did not start it), until it is disposed.
    /// </summary>
    public void MakeProcessDefault() => s_processDefault = this;

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

    /// <summary>
    /// The session's W3C trace id: its id without dashes (<see cref="SessionActivities.SessionIdFor"/> goes back),
    /// or, for a session started while an <see cref="Activity"/> was current, that activity's trace id (the
    /// session's span is then a child of that activity). Journaled as <c>trace_id</c> on SessionStart and every capture.
    /// </summary>
    public ActivityTraceId TraceId { get; }

    /// <summary>True when this object started the session and so ends it on dispose; false when it joined one.</summary>
    public bool OwnsLifetime { get; private set; }

    /// <summary>The journal segment this process writes for the session: the session's shared one, or its own when it could not take the shared one's lock.</summary>
    public string SegmentPath => _journal.SegmentPath;

    /// <summary>Received / stored / not-enabled / dropped counts of each sink, so no loss is silent.</summary>
    public IReadOnlyList<SinkStatistics> SinkStatistics => _pipeline.Statistics;

    /// <summary>
    /// The context operations of this process hang under: the session's activity in this process when one is
    /// listened to, else the <c>TRACEPARENT</c> this process inherited for the session, else the session's trace
    /// with a span id taken from its activity id.
    /// </summary>
    internal ActivityContext ActivityContext { get; }

    internal DataDirectory Data => _manager.Data;

    internal string ToolName => _manager.Options.ToolName;

    /// <summary>The redactor in use; null when redaction is off.</summary>
    internal Redaction.SecretRedactor? Redactor => _manager.Redactor;

    /// <summary>Leaves the session open when this object is disposed (a shell's session, ended later by another process).</summary>
    internal void Detach() => OwnsLifetime = false;

    /// <summary>A capture for one output stream of an operation, redacted and capped as configured.</summary>
    internal CapturedOutput CreateCapture(string streamName) =>
        new(streamName, Data.BlobDirectory(Id), _manager.Redactor?.CreateLineRedactor(), _manager.Options.MaxOutputBytes);

    /// <summary>This process's provenance, with <paramref name="cwd"/> when given (a command's own).</summary>
    internal Provenance Provenance(string? cwd = null) => CurrentProvenance.Capture(ToolName, cwd, Redactor);

    /// <summary>
    /// Starts capturing an operation: the returned scope's <see cref="CaptureScope.Console"/> shows output on
    /// the terminal and records it, and what the code writes to <see cref="System.Console"/> is recorded too. Call
    /// <see cref="CaptureScope.Complete"/> when the operation succeeded; disposing the scope journals the capture, as
    /// failed (<c>incomplete</c>) when it was not completed. Or use <see cref="Capture(string, Action{IAnsiConsole})"/>,
    /// which completes when the callback returns.
    /// </summary>
    public CaptureScope Capture(string operationName) => StartCapture(operationName, display: null);

    /// <summary>
    /// Starts capturing an operation whose output is shown on <paramref name="display"/> (a console of your own, a
    /// test console) rather than this process's terminal; see <see cref="Capture(string)"/>.
    /// </summary>
    public CaptureScope CaptureOn(string operationName, IAnsiConsole display)
    {
        ArgumentNullException.ThrowIfNull(display);
        return StartCapture(operationName, display);
    }

    private CaptureScope StartCapture(string operationName, IAnsiConsole? display)
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
            scope.Complete();
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
            scope.Complete();
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
    /// <param name="evidence">Evidence entries (a dictionary, or any sequence of name/value pairs): strings, numbers,
    /// booleans, times, GUIDs, collections, objects or null, recorded as docs/events.md says.</param>
    public AchievementRecord LogAchievement(string achievementType, string description, IEnumerable<KeyValuePair<string, object?>>? evidence = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(achievementType);
        ArgumentNullException.ThrowIfNull(description);
        ThrowIfEnded();
        var fields = FieldValues.From(evidence);
        string achievementId = AchievementIdAllocator.Allocate(Data, Id);
        var record = new AchievementLogged(achievementId, Id, achievementType, description, DateTimeOffset.UtcNow, fields) { Provenance = Provenance() };
        var recorded = Record(record);
        var evidenceJson = new System.Text.Json.Nodes.JsonObject();
        FieldValues.WriteTo(evidenceJson, fields, journalNames: false);
        return new AchievementRecord(achievementId, Id, achievementType, description, record.Timestamp, ReadOnlyJson.Of(evidenceJson))
        {
            EtwCorrelation = recorded?.Fields[Events.JournalFields.EtwCorrelation] is System.Text.Json.Nodes.JsonObject etw ? ReadOnlyJson.Of(etw) : null,
        };
    }

    /// <summary>
    /// Records an event of the caller's own (a log entry, a domain event) in this session: journaled with
    /// <paramref name="fields"/> (names kept as given) and emitted on the <c>ContextForge.UnifiedTelemetry</c>
    /// provider with the Session keyword, like <see cref="UnifiedTelemetry.LogSessionEvent(string, System.Diagnostics.Tracing.EventLevel, IEnumerable{KeyValuePair{string, object}})"/>.
    /// </summary>
    public void LogEvent(string eventName, System.Diagnostics.Tracing.EventLevel level, IEnumerable<KeyValuePair<string, object?>>? fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ThrowIfEnded();
        Record(CustomEvent.Of(eventName, level, DateTimeOffset.UtcNow, FieldValues.From(fields)));
    }

    /// <summary>
    /// <see cref="LogEvent(string, System.Diagnostics.Tracing.EventLevel, IEnumerable{KeyValuePair{string, object}})"/>
    /// for a hot path: the fields in a <see cref="TagList"/> (up to eight without allocating a collection).
    /// </summary>
    public void LogEvent(string eventName, System.Diagnostics.Tracing.EventLevel level, in TagList fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        ThrowIfEnded();
        Record(CustomEvent.Of(eventName, level, DateTimeOffset.UtcNow, FieldValues.From(in fields)));
    }

    /// <summary>
    /// <see cref="LogEvent(string, System.Diagnostics.Tracing.EventLevel, IEnumerable{KeyValuePair{string, object}})"/> for integrations that must never throw (loggers): false, with the drop reported on the
    /// self-diagnostics provider, when the session has ended.
    /// </summary>
    public bool TryLogEvent(string eventName, System.Diagnostics.Tracing.EventLevel level, IEnumerable<KeyValuePair<string, object?>>? fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return Record(CustomEvent.Of(eventName, level, DateTimeOffset.UtcNow, FieldValues.From(fields))) is not null;
    }

    /// <summary>Journals what is recorded until the scope ends with one fsync (see <see cref="JournalWriter.GroupCommit"/>).</summary>
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
            try
            {
                var end = DateTimeOffset.UtcNow;
                var (operations, failed, achievements) = _counts.ForSession(Data.SessionDirectory(Id), SegmentPath, _journal.SharedWithOthers);
                Record(new SessionEnded(Id, StartTime, end, operations, failed, achievements) { Provenance = Provenance() });
            }
            finally { _endingNow = false; }
        }
        StopActivity();
    }

    /// <summary>
    /// Stops the session's activity. Stopping makes the activity's parent current; when the session's activity is not
    /// the current one (disposed in another flow, or a root linked to an ambient activity) what was current stays so.
    /// </summary>
    private void StopActivity()
    {
        if (_activity is null || _activity.IsStopped) return;
        var current = Activity.Current;
        _activity.Stop();
        if (!ReferenceEquals(current, _activity)) Activity.Current = current;
    }

    /// <summary>Ends a joined session on behalf of its owner (<c>cfsession end</c>).</summary>
    internal void EndOwned()
    {
        OwnsLifetime = true;
        End();
    }

    /// <summary>
    /// Ends the session if this object owns it, and closes this process's segment. After disposal (or <see cref="End"/>)
    /// every method that records throws <see cref="ObjectDisposedException"/>; the logging integrations and
    /// <see cref="UnifiedTelemetry"/> never throw: they skip a session that has ended and report the drop on the
    /// self-diagnostics provider. A session never disposed is ended at process exit.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        End();
        StopActivity();
        if (ReferenceEquals(s_current.Value, this)) s_current.Value = _previousCurrent is { _disposed: false } previous ? previous : null;
        _disposed = true;
        Interlocked.CompareExchange(ref s_processDefault, null, this);
        _journal.Dispose();
        lock (s_open) s_open.Remove(this);
    }

    /// <summary>Asynchronous form of <see cref="Dispose"/>, for <c>await using</c>.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>True once the session has ended or this object was disposed: recording methods then throw.</summary>
    public bool IsEnded => _ended || _disposed;

    /// <summary>
    /// Records one typed event through this session's pipeline; the record gets this process's provenance when it
    /// has none. After the session ended (or was disposed) an event is not recorded: it is reported as dropped
    /// through <see cref="SelfDiagnostics"/> and null is returned.
    /// </summary>
    internal SessionEvent? Record(SessionRecord record, params Redaction.RedactionTally?[] streamTallies)
    {
        bool lifecycle = record is SessionStarted or SessionEnded;
        if (!lifecycle && ((_ended && !_endingNow) || _disposed))
        {
            SelfDiagnostics.Log.EventDropped("session " + Id, record.EventName, "the session has ended");
            return null;
        }
        if (record.Provenance is null) record = record with { Provenance = Provenance() };
        return _pipeline.Emit(record, streamTallies);
    }

    private void ThrowIfEnded() => ObjectDisposedException.ThrowIf(IsEnded, this);
}
