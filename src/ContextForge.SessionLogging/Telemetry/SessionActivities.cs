using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// Sessions and operations as <see cref="Activity"/> objects of the <c>ContextForge.SessionLogging</c>
/// <see cref="ActivitySource"/>, so an OpenTelemetry-instrumented app sees each session as one trace. The W3C
/// trace id is the session id without dashes, and a session id is the trace id with dashes put back: each gives
/// the other. An operation's span id is the first 16 hex digits of its operation id, which is also what
/// <c>cfsession run</c> passes to its child in <c>TRACEPARENT</c>.
/// </summary>
public static class SessionActivities
{
    /// <summary>The activity source name (subscribe to it with OpenTelemetry's <c>AddSource</c>).</summary>
    public const string SourceName = "ContextForge.SessionLogging";

    /// <summary>The display name of a session's activity.</summary>
    public const string SessionActivityName = "session";

    /// <summary>The display name of an operation's activity.</summary>
    public const string OperationActivityName = "operation";

    /// <summary>The tag holding the session id on every activity.</summary>
    public const string SessionIdTag = "cfsession.session_id";

    /// <summary>The tag holding the operation id on an operation's activity.</summary>
    public const string OperationIdTag = "cfsession.operation_id";

    internal static readonly ActivitySource Source = new(SourceName, typeof(SessionActivities).Assembly.GetName().Version?.ToString(3));

    /// <summary>The W3C trace id of a session: its id without dashes.</summary>
    public static ActivityTraceId TraceIdFor(string sessionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        if (!Guid.TryParseExact(sessionId, "D", out var id)) throw new ArgumentException($"'{sessionId}' is not a session id.", nameof(sessionId));
        return ActivityTraceId.CreateFromString(id.ToString("N"));
    }

    /// <summary>The session id of a trace: the trace id with dashes (8-4-4-4-12).</summary>
    public static string SessionIdFor(ActivityTraceId traceId) => Guid.ParseExact(traceId.ToHexString(), "N").ToString("D");

    /// <summary>The span id of an operation: the first 16 hex digits of its id.</summary>
    internal static ActivitySpanId SpanIdFor(string operationId) =>
        ActivitySpanId.CreateFromString(operationId.Replace("-", "", StringComparison.Ordinal).AsSpan(0, 16));

    /// <summary>An operation id (a UUID) whose first 16 hex digits are <paramref name="spanId"/>; the rest is random.</summary>
    internal static string OperationIdFor(ActivitySpanId spanId)
    {
        string hex = spanId.ToHexString() + Guid.NewGuid().ToString("N")[16..];
        return Guid.ParseExact(hex, "N").ToString("D");
    }

    /// <summary>The <c>TRACEPARENT</c> this process was given, when it belongs to <paramref name="sessionId"/>'s trace.</summary>
    internal static ActivityContext? InheritedContext(string sessionId)
    {
        string? text = Environment.GetEnvironmentVariable(SessionEnvironment.TraceParent);
        if (text is null || !ActivityContext.TryParse(text, null, isRemote: true, out var context)) return null;
        return context.TraceId == TraceIdFor(sessionId) ? context : null;
    }

    /// <summary>Starts the activity of a session (null when no listener samples it).</summary>
    internal static Activity? StartSession(string sessionId, string name, string type, bool joined)
    {
        if (!Source.HasListeners()) return null;
        var parent = InheritedContext(sessionId) ?? new ActivityContext(TraceIdFor(sessionId), default, ActivityTraceFlags.Recorded);
        var activity = Source.StartActivity(SessionActivityName, ActivityKind.Internal, parent);
        if (activity is null) return null;
        activity.DisplayName = name.Length > 0 ? $"session {name}" : SessionActivityName;
        activity.SetTag(SessionIdTag, sessionId);
        activity.SetTag("cfsession.session_type", type);
        activity.SetTag("cfsession.joined", joined);
        return activity;
    }

    /// <summary>
    /// Starts the activity of an operation under the session's activity (or the inherited TRACEPARENT), and
    /// returns the operation id to use: derived from the activity's span id, or random when nobody listens.
    /// </summary>
    internal static (Activity? Activity, string OperationId) StartOperation(Sessions.Session session, string operationName)
    {
        Activity? activity = null;
        if (Source.HasListeners())
        {
            var current = Activity.Current;
            ActivityContext parent = current is not null && current.TraceId == session.TraceId
                ? current.Context
                : session.ActivityContext;
            activity = Source.StartActivity(OperationActivityName, ActivityKind.Internal, parent);
        }
        string operationId = activity is not null ? OperationIdFor(activity.SpanId) : Guid.NewGuid().ToString("D");
        if (activity is not null)
        {
            activity.DisplayName = operationName;
            activity.SetTag(SessionIdTag, session.Id);
            activity.SetTag(OperationIdTag, operationId);
        }
        return (activity, operationId);
    }

    internal static string Hex(ActivitySpanId span) => span.ToHexString();

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
