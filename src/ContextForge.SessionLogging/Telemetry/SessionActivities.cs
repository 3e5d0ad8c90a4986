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

    /// <summary>The <c>TRACEPARENT</c> this process was given, when it belongs to the trace <paramref name="traceId"/>.</summary>
    internal static ActivityContext? InheritedContext(ActivityTraceId traceId)
    {
        string? text = Environment.GetEnvironmentVariable(SessionEnvironment.TraceParent);
        if (text is null || !ActivityContext.TryParse(text, null, isRemote: true, out var context)) return null;
        return context.TraceId == traceId ? context : null;
    }

    /// <summary>
    /// Where a session's span goes. A new session started while an <see cref="Activity"/> is current (a request, a
    /// job, another session) is a child of that activity, in its trace: trace id and parent span both come from it.
    /// A new session with no ambient activity is a root whose trace id is the session id. A joined session stays in
    /// the trace its SessionStart recorded, under the inherited <c>TRACEPARENT</c> of that trace, else under the
    /// ambient activity when it is of that trace, else as a new root span of that trace linked to the ambient one.
    /// The trace id and the parent always come from the same place: never a mixture.
    /// </summary>
    internal static (ActivityTraceId TraceId, ActivityContext Parent, ActivityLink[]? Links) PlaceSession(string sessionId, ActivityTraceId? recordedTraceId, bool joined)
    {
        var ambient = Activity.Current;
        if (!joined)
        {
            return ambient is not null
                ? (ambient.TraceId, ambient.Context, null)
                : (TraceIdFor(sessionId), RootOf(TraceIdFor(sessionId)), null);
        }
        var trace = recordedTraceId ?? TraceIdFor(sessionId);
        if (InheritedContext(trace) is { } inherited) return (trace, inherited, null);
        if (ambient is not null && ambient.TraceId == trace) return (trace, ambient.Context, null);
        return (trace, RootOf(trace), ambient is null ? null : [new ActivityLink(ambient.Context)]);
    }

    /// <summary>A parent context that makes a span a root of <paramref name="traceId"/> (no parent span).</summary>
    private static ActivityContext RootOf(ActivityTraceId traceId) => new(traceId, default, ActivityTraceFlags.Recorded);

    /// <summary>Starts the activity of a session under <paramref name="parent"/> (null when no listener samples it).</summary>
    internal static Activity? StartSession(string sessionId, string name, string type, bool joined, ActivityContext parent, ActivityLink[]? links)
    {
        if (!Source.HasListeners()) return null;
        // A parent without a span makes a root, but Activity.Start would still adopt Activity.Current as the parent
        // (its span id under our trace id: a mixture). So the ambient activity is set aside while the root starts,
        // and stays current afterwards: it is linked, not a parent.
        var ambient = Activity.Current;
        bool root = parent.SpanId == default;
        if (root) Activity.Current = null;
        Activity? activity;
        try
        {
            activity = Source.StartActivity(ActivityKind.Internal, parent, tags: null, links, name: SessionActivityName);
        }
        finally
        {
            if (root && ambient is not null) Activity.Current = ambient;
        }
        if (activity is null) return null;
        activity.DisplayName = name.Length > 0 ? $"session {name}" : SessionActivityName;
        activity.SetTag(SessionIdTag, sessionId);
        activity.SetTag("cfsession.session_type", type);
        activity.SetTag("cfsession.joined", joined);
        return activity;
    }

    /// <summary>
    /// Marks an operation's activity as failed, as the OpenTelemetry semantic conventions ask: status Error with the
    /// message, and an <c>exception</c> event (<c>exception.type</c>, <c>exception.message</c>,
    /// <c>exception.stacktrace</c>) when an exception caused it.
    /// </summary>
    internal static void Failed(Activity? activity, string description, Exception? exception)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, description);
        if (exception is not null) activity.AddException(exception);
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
