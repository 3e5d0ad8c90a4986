using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using Microsoft.Extensions.Logging;

namespace ContextForge.SessionLogging.Extensions.Logging;

/// <summary>Settings of the session logging ILogger provider.</summary>
public sealed class SessionLoggerOptions
{
    /// <summary>The session to record into; null means <see cref="Session.Current"/> at the time of each entry.</summary>
    public Session? Session { get; set; }

    /// <summary>
    /// When there is no current session and <c>CFSESSION_ID</c> names one (the app runs under
    /// <c>cfsession run</c> or after <c>cfsession start</c>), join it on first use. Default: true.
    /// </summary>
    public bool JoinSessionFromEnvironment { get; set; } = true;

    /// <summary>The session id (or unique prefix) to join; null means the value of <c>CFSESSION_ID</c>.</summary>
    public string? JoinSessionId { get; set; }

    /// <summary>Where joined sessions are written; null means the default data directory (<c>CFSESSION_HOME</c>).</summary>
    public string? DataDirectory { get; set; }
}

/// <summary>
/// An <see cref="ILoggerProvider"/> whose loggers record each entry as a <c>LogEntry</c> event in the session
/// (journal + <c>ContextForge.UnifiedTelemetry</c> provider): category, level, event id and name, the formatted
/// message, the message template, structured state and scope values as fields, and the exception.
/// </summary>
[ProviderAlias("SessionLogging")]
public sealed class SessionLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    /// <summary>The event name of a log entry in the journal and on the provider.</summary>
    public const string LogEntryEventName = "LogEntry";

    private readonly SessionLoggerOptions _options;
    private readonly object _gate = new();
    private Session? _joined;
    private bool _joinTried;
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <summary>Creates the provider.</summary>
    public SessionLoggerProvider(SessionLoggerOptions? options = null) => _options = options ?? new SessionLoggerOptions();

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new SessionLogger(this, categoryName);

    /// <inheritdoc/>
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    internal IExternalScopeProvider Scopes => _scopes;

    /// <summary>The session entries go to now, or null (then entries only go to the provider when enabled).</summary>
    internal Session? Target
    {
        get
        {
            if (_options.Session is { } fixedSession) return fixedSession;
            if (Session.Current is { } current) return current;
            if (!_options.JoinSessionFromEnvironment) return null;
            lock (_gate)
            {
                if (_joinTried) return _joined;
                _joinTried = true;
                string? id = _options.JoinSessionId ?? Environment.GetEnvironmentVariable(SessionEnvironment.SessionId);
                if (string.IsNullOrWhiteSpace(id)) return null;
                try
                {
                    var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _options.DataDirectory, ToolName = "ContextForge.SessionLogging.Extensions.Logging" });
                    _joined = manager.Join(manager.ResolveSessionId(id));
                }
                catch (Exception ex) when (ex is SessionNotFoundException or IOException or UnauthorizedAccessException or ArgumentException)
                {
                    _joined = null;
                }
                return _joined;
            }
        }
    }

    /// <summary>Closes a session this provider joined (it is not ended: its owner ends it).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _joined?.Dispose();
            _joined = null;
        }
    }

    internal static EventLevel ToEventLevel(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => EventLevel.Verbose,
        LogLevel.Information => EventLevel.Informational,
        LogLevel.Warning => EventLevel.Warning,
        LogLevel.Error => EventLevel.Error,
        LogLevel.Critical => EventLevel.Critical,
        _ => EventLevel.LogAlways,
    };
}

/// <summary>One category's logger.</summary>
internal sealed class SessionLogger(SessionLoggerProvider provider, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider.Scopes.Push(state);

    public bool IsEnabled(LogLevel logLevel) =>
        logLevel != LogLevel.None
        && (provider.Target is not null || UnifiedTelemetry.IsEnabled(Events.SessionKeywords.Session));

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var fields = new LogFields();
        fields.Add("log_source", "Microsoft.Extensions.Logging");
        fields.Add("category", category);
        fields.Add("log_level", logLevel.ToString());
        fields.Add("event_id", eventId.Id);
        if (!string.IsNullOrEmpty(eventId.Name)) fields.Add("event_name", eventId.Name);
        fields.Add("message", formatter(state, exception));
        if (state is IEnumerable<KeyValuePair<string, object?>> properties)
        {
            foreach (var (key, value) in properties)
            {
                if (key == "{OriginalFormat}") fields.Add("message_template", value?.ToString());
                else fields.AddProperty(key, value);
            }
        }
        var scopeTexts = new List<string>();
        provider.Scopes.ForEachScope((scope, state) =>
        {
            if (scope is null) return;
            string? text = scope.ToString();
            if (scope is IEnumerable<KeyValuePair<string, object?>> scopeProperties)
            {
                var pairs = new List<string>();
                foreach (var (key, value) in scopeProperties)
                {
                    if (key == "{OriginalFormat}") continue;
                    state.Fields.AddProperty(key, value);
                    pairs.Add($"{key}:{value}");
                }
                // A dictionary's ToString is its type name: show its pairs instead.
                if (text is null || text == scope.GetType().ToString()) text = string.Join(", ", pairs);
            }
            state.Texts.Add(text ?? string.Empty);
        }, (Fields: fields, Texts: scopeTexts));
        if (scopeTexts.Count > 0) fields.Add("scopes", string.Join(" => ", scopeTexts));
        if (exception is not null)
        {
            fields.Add("exception_type", exception.GetType().FullName);
            fields.Add("exception_message", exception.Message);
            fields.Add("exception", exception.ToString());
        }
        var level = SessionLoggerProvider.ToEventLevel(logLevel);
        if (provider.Target is { } session) session.TryLogEvent(SessionLoggerProvider.LogEntryEventName, level, fields);
        else UnifiedTelemetry.LogSessionEvent(SessionLoggerProvider.LogEntryEventName, level, fields);
    }
}

/// <summary>Ordered, unique field names: a property that repeats a name already present keeps the first value.</summary>
internal sealed class LogFields : List<KeyValuePair<string, object?>>
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public void Add(string name, object? value)
    {
        if (_names.Add(name)) Add(new KeyValuePair<string, object?>(name, value));
    }

    /// <summary>A structured property: primitive values kept as they are, anything else as its text.</summary>
    public void AddProperty(string name, object? value) => Add(name, value switch
    {
        null or string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or double or float or decimal or DateTime or DateTimeOffset or Guid => value,
        _ => value.ToString(),
    });
}
