using System.Diagnostics;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>
/// Sessions exported through a real OpenTelemetry tracer provider (the SDK and its in-memory exporter) subscribed with
/// <c>AddSessionLoggingInstrumentation()</c>: which trace a session span joins, its parent, and failed operations.
/// </summary>
public sealed class OpenTelemetryExportTests : IDisposable
{
    private const string AmbientSourceName = "ContextForge.SessionLogging.Tests.Ambient";
    private static readonly ActivitySource s_ambient = new(AmbientSourceName);

    private readonly TempDirectory _dir = new();
    private readonly List<Activity> _exported = [];
    private readonly TracerProvider _tracing;

    public OpenTelemetryExportTests()
    {
        // Built before any session starts, as the README says: a session started earlier is never exported.
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSessionLoggingInstrumentation()
            .AddSource(AmbientSourceName)
            .AddInMemoryExporter(_exported)
            .Build()!;
    }

    public void Dispose()
    {
        _tracing.Dispose();
        _dir.Dispose();
    }

    private SessionManager Manager() => new(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });

    private List<Activity> SpansOf(string sessionId)
    {
        _tracing.ForceFlush();
        lock (_exported) return [.. _exported.Where(a => a.GetTagItem(SessionActivities.SessionIdTag) as string == sessionId)];
    }

    [Fact]
    public void AddSessionLoggingInstrumentation_exports_a_session_with_no_ambient_activity_as_the_root_of_the_trace_named_by_its_id()
    {
        Assert.Null(Activity.Current);
        string id;
        using (var session = Manager().Start("rooted"))
        {
            id = session.Id;
            session.Capture("build", _ => { });
        }

        var spans = SpansOf(id);
        var root = Assert.Single(spans, a => a.OperationName == SessionActivities.SessionActivityName);
        Assert.Equal(id.Replace("-", ""), root.TraceId.ToHexString());
        Assert.Equal(default, root.ParentSpanId);
        var build = Assert.Single(spans, a => a.DisplayName == "build");
        Assert.Equal(root.TraceId, build.TraceId);
        Assert.Equal(root.SpanId, build.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, build.Status);
        Assert.Empty(build.Events);
    }

    [Fact]
    public void A_session_started_under_an_ambient_activity_is_its_child_in_its_trace_and_operations_are_children_of_the_session_span()
    {
        string id;
        ActivityTraceId ambientTrace;
        ActivitySpanId ambientSpan;
        using (var request = s_ambient.StartActivity("request"))
        {
            Assert.NotNull(request);
            ambientTrace = request.TraceId;
            ambientSpan = request.SpanId;
            using var session = Manager().Start("in-request");
            id = session.Id;
            Assert.Equal(ambientTrace, session.TraceId);
            session.Capture("build", _ => { });
        }

        var spans = SpansOf(id);
        var sessionSpan = Assert.Single(spans, a => a.OperationName == SessionActivities.SessionActivityName);
        Assert.Equal(ambientTrace, sessionSpan.TraceId);
        Assert.Equal(ambientSpan, sessionSpan.ParentSpanId);
        var build = Assert.Single(spans, a => a.DisplayName == "build");
        Assert.Equal(ambientTrace, build.TraceId);
        Assert.Equal(sessionSpan.SpanId, build.ParentSpanId);

        // The journal names the same trace and spans, so a span leads to its journal line and back.
        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        var start = events.Single(e => e.Name == SessionEventNames.SessionStart);
        Assert.Equal(ambientTrace.ToHexString(), start.GetString(JournalFields.TraceId));
        Assert.Equal(sessionSpan.SpanId.ToHexString(), start.GetString(JournalFields.SpanId));
        var capture = events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal(ambientTrace.ToHexString(), capture.GetString(JournalFields.TraceId));
        Assert.Equal(build.SpanId.ToHexString(), capture.GetString(JournalFields.SpanId));
        Assert.Equal(sessionSpan.SpanId.ToHexString(), capture.GetString(JournalFields.ParentSpanId));
    }

    [Fact]
    public void A_joined_session_stays_in_the_trace_its_start_recorded_and_links_to_a_foreign_ambient_activity()
    {
        var manager = Manager();
        ActivityTraceId recordedTrace;
        string id;
        using (var request = s_ambient.StartActivity("first request"))
        {
            var owner = manager.Start("owned");
            id = owner.Id;
            recordedTrace = owner.TraceId;
            Assert.Equal(request!.TraceId, recordedTrace);
            owner.Detach();
            owner.Dispose();
        }

        ActivityContext foreign;
        using (var other = s_ambient.StartActivity("second request"))
        {
            foreign = other!.Context;
            using var joined = manager.Join(id);
            Assert.Equal(recordedTrace, joined.TraceId);
        }

        var joinedSpan = SpansOf(id).Single(a => a.OperationName == SessionActivities.SessionActivityName && Equals(a.GetTagItem("cfsession.joined"), true));
        Assert.Equal(recordedTrace, joinedSpan.TraceId);
        Assert.Equal(default, joinedSpan.ParentSpanId);
        var link = Assert.Single(joinedSpan.Links);
        Assert.Equal(foreign.TraceId, link.Context.TraceId);
        Assert.Equal(foreign.SpanId, link.Context.SpanId);
    }

    [Fact]
    public void A_failed_operation_span_has_status_Error_and_an_exception_event_with_type_message_and_stack()
    {
        string id;
        using (var session = Manager().Start("failing"))
        {
            id = session.Id;
            var ex = Assert.Throws<InvalidOperationException>(() => session.Capture("deploy", _ => throw new InvalidOperationException("disk full")));
            Assert.Equal("disk full", ex.Message);
        }

        var deploy = Assert.Single(SpansOf(id), a => a.DisplayName == "deploy");
        Assert.Equal(ActivityStatusCode.Error, deploy.Status);
        Assert.Equal("disk full", deploy.StatusDescription);
        var exception = Assert.Single(deploy.Events);
        Assert.Equal("exception", exception.Name);
        var tags = exception.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("System.InvalidOperationException", tags["exception.type"]);
        Assert.Equal("disk full", tags["exception.message"]);
        Assert.Contains("A_failed_operation_span_has_status_Error", Assert.IsType<string>(tags["exception.stacktrace"]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_scope_disposed_without_Complete_has_status_Error_incomplete_and_no_exception_event()
    {
        string id;
        using (var session = Manager().Start("forgetful"))
        {
            id = session.Id;
            using (session.Capture("upload")) { }
        }

        var upload = Assert.Single(SpansOf(id), a => a.DisplayName == "upload");
        Assert.Equal(ActivityStatusCode.Error, upload.Status);
        Assert.Equal("incomplete", upload.StatusDescription);
        Assert.Empty(upload.Events);
    }
}
