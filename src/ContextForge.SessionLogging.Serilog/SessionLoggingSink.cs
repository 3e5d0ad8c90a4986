using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using Serilog.Core;
using Serilog.Events;

namespace ContextForge.SessionLogging.Serilog;

/// <summary>
/// A Serilog sink that records each log event as a <c>LogEntry</c> event in the session (journal +
/// <c>ContextForge.UnifiedTelemetry</c> provider), keeping the message template, the rendered message and every
/// property (scalars with their types, structures and sequences as their Serilog text).
/// </summary>
public sealed class SessionLoggingSink : ILogEventSink
{
    /// <summary>The event name of a log entry in the journal and on the provider.</summary>
    public const string LogEntryEventName = "LogEntry";

    private readonly Session? _session;

    /// <summary>Creates the sink; <paramref name="session"/> null means <see cref="Session.Current"/> at each event.</summary>
    public SessionLoggingSink(Session? session = null) => _session = session;

    /// <inheritdoc/>
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var session = _session ?? Session.Current;
        var level = ToEventLevel(logEvent.Level);
        if (session is null && !UnifiedTelemetry.IsEnabled(Events.SessionKeywords.Session)) return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var fields = new List<KeyValuePair<string, object?>>();
        void Add(string name, object? value)
        {
            if (names.Add(name)) fields.Add(new(name, value));
        }
        Add("log_source", "Serilog");
        Add("log_level", logEvent.Level.ToString());
        Add("message", logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture));
        Add("message_template", logEvent.MessageTemplate.Text);
        foreach (var (key, value) in logEvent.Properties)
        {
            Add(key, value is ScalarValue scalar ? Scalar(scalar.Value) : value.ToString());
        }
        if (logEvent.Exception is { } exception)
        {
            Add("exception_type", exception.GetType().FullName);
            Add("exception_message", exception.Message);
            Add("exception", exception.ToString());
        }
        if (session is not null) session.TryLogEvent(LogEntryEventName, level, fields);
        else UnifiedTelemetry.LogSessionEvent(LogEntryEventName, level, fields);
    }

    private static object? Scalar(object? value) => value switch
    {
        null or string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or double or float or decimal or DateTime or DateTimeOffset or Guid => value,
        _ => value.ToString(),
    };

    internal static EventLevel ToEventLevel(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => EventLevel.Verbose,
        LogEventLevel.Information => EventLevel.Informational,
        LogEventLevel.Warning => EventLevel.Warning,
        LogEventLevel.Error => EventLevel.Error,
        _ => EventLevel.Critical,
    };
}
