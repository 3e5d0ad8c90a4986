using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Pipeline;

/// <summary>
/// The one way an event is recorded. A typed record goes through fixed stages, in this order:
/// <list type="number">
/// <item>build: the record's journal fields (its contract row), stamped with the session's activity id and whether a
/// provider listener is enabled;</item>
/// <item>redaction: secrets in every string field replaced, <c>redactions</c> recorded;</item>
/// <item>journal: the line appended; it assigns <see cref="SessionEvent.Sequence"/>;</item>
/// <item>provider sinks: <c>ContextForge.SessionLogging</c> for the typed events, <c>ContextForge.UnifiedTelemetry</c> for
/// custom events, log entries and milestones;</item>
/// <item>sinks of the user's own (<see cref="Sessions.SessionLoggingOptions.Sinks"/>);</item>
/// <item>post-commit observers (session counts, milestones, the user's observers), only for events the journal stored.</item>
/// </list>
/// No stage throws to the producer: a failure is counted as dropped and reported through <see cref="SelfDiagnostics"/>.
/// </summary>
internal sealed class SessionEventPipeline
{
    private readonly string _sessionId;
    private readonly Guid _activityId;
    private readonly SecretRedactor? _redactor;
    private readonly JournalWriter? _journal;
    private readonly SessionLoggingProviderSink? _sessionProvider;
    private readonly UnifiedTelemetryProviderSink? _unifiedProvider;
    private readonly IReadOnlyList<GuardedSink> _userSinks;
    private readonly IReadOnlyList<ISessionEventObserver> _observers;

    public SessionEventPipeline(string sessionId, Guid activityId, SecretRedactor? redactor, JournalWriter? journal, bool emitToSessionProvider,
        IEnumerable<ISessionEventSink> userSinks, IEnumerable<ISessionEventObserver> observers)
    {
        _sessionId = sessionId;
        _activityId = activityId;
        _redactor = redactor;
        _journal = journal;
        // SessionLoggingOptions.EmitToProvider governs the typed provider only: custom events, log entries and
        // milestones exist to be traced, so they always go to the unified provider (when someone listens).
        if (emitToSessionProvider) _sessionProvider = new SessionLoggingProviderSink(SessionLoggingEventSource.Log);
        _unifiedProvider = new UnifiedTelemetryProviderSink(UnifiedTelemetryEventSource.Log);
        _userSinks = userSinks.Select(s => new GuardedSink(s)).ToList();
        _observers = [.. observers];
    }

    /// <summary>
    /// The pipeline of events recorded outside any session (<see cref="UnifiedTelemetry"/> with no current session):
    /// the built-in redaction and the unified provider, nothing journaled.
    /// </summary>
    public static SessionEventPipeline Sessionless { get; } =
        new(string.Empty, Guid.Empty, SecretRedactor.BuiltIn, journal: null, emitToSessionProvider: false, [], []);

    /// <summary>True when the provider that would carry this record has a listener for it.</summary>
    public bool IsProviderEnabled(SessionRecord record) => record.Contract.Provider switch
    {
        Contract.EventContracts.SessionLoggingProvider => _sessionProvider?.IsEnabledFor(record.Level, record.Keywords) ?? false,
        Contract.EventContracts.UnifiedTelemetryProvider => _unifiedProvider?.IsEnabledFor(record.Level, record.Keywords) ?? false,
        _ => false,
    };

    /// <summary>Records one event; <paramref name="streamTallies"/> are what redaction already replaced in captured streams.</summary>
    public SessionEvent Emit(SessionRecord record, params RedactionTally?[] streamTallies)
    {
        var fields = new JsonObject();
        record.WriteFields(fields, new RecordContext(_activityId, IsProviderEnabled(record)));
        var e = SessionEvent.FromPipeline(record, _sessionId, _activityId, fields);
        if (_redactor is not null) FieldRedaction.Apply(fields, _redactor, streamTallies);
        _journal?.Emit(e);
        switch (record.Contract.Provider)
        {
            case Contract.EventContracts.SessionLoggingProvider: _sessionProvider?.Emit(e); break;
            case Contract.EventContracts.UnifiedTelemetryProvider: _unifiedProvider?.Emit(e); break;
        }
        foreach (var sink in _userSinks) sink.Emit(e);
        if (_journal is not null && e.Sequence > 0)
        {
            foreach (var observer in _observers)
            {
                try
                {
                    observer.OnCommitted(e);
                }
                catch (Exception ex)
                {
                    SelfDiagnostics.Log.ObserverFailed(observer.GetType().Name, e.Name, ex.Message);
                }
            }
        }
        return e;
    }

    /// <summary>Every sink's counts, journal first.</summary>
    public IReadOnlyList<SinkStatistics> Statistics
    {
        get
        {
            var list = new List<SinkStatistics>();
            if (_journal is not null) list.Add(_journal.Statistics);
            if (_sessionProvider is not null) list.Add(_sessionProvider.Statistics);
            if (_unifiedProvider is not null) list.Add(_unifiedProvider.Statistics);
            list.AddRange(_userSinks.Select(s => s.Statistics));
            return list;
        }
    }

    /// <summary>A user's sink: an exception it throws is counted as a drop of that sink and reported, never passed on.</summary>
    private sealed class GuardedSink(ISessionEventSink inner) : ISessionEventSink
    {
        private long _thrown;
        private string? _lastError;

        public void Emit(SessionEvent sessionEvent)
        {
            try
            {
                inner.Emit(sessionEvent);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _thrown);
                _lastError = ex.Message;
                SelfDiagnostics.Log.EventDropped(inner.GetType().Name, sessionEvent.Name, ex.Message);
            }
        }

        public SinkStatistics Statistics
        {
            get
            {
                var s = inner.Statistics;
                long thrown = Interlocked.Read(ref _thrown);
                return thrown == 0 ? s : s with { Received = s.Received + thrown, Dropped = s.Dropped + thrown, LastError = _lastError ?? s.LastError };
            }
        }
    }
}
