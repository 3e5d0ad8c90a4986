using System.Diagnostics;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>Sessions and operations as Activities: trace id = session id, operation span id = operation id prefix.</summary>
public sealed class SessionActivitiesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public SessionActivitiesTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SessionActivities.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (_stopped) _stopped.Add(a); },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _dir.Dispose();
    }

    private List<Activity> Of(string sessionId)
    {
        lock (_stopped) return [.. _stopped.Where(a => a.GetTagItem(SessionActivities.SessionIdTag) as string == sessionId)];
    }

    [Fact]
    public void Session_id_and_trace_id_map_to_each_other()
    {
        const string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        var trace = SessionActivities.TraceIdFor(id);
        Assert.Equal("0f8fad5bd9cb469fa16570867728950e", trace.ToHexString());
        Assert.Equal(id, SessionActivities.SessionIdFor(trace));
        Assert.Throws<ArgumentException>(() => SessionActivities.TraceIdFor("not-a-session"));
    }

    [Fact]
    public void A_session_is_a_root_activity_of_its_trace_and_each_operation_is_a_child_span_named_after_it()
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });
        string id;
        CaptureRecord ok;
        string failedOperationId;
        using (var session = manager.Start("traced"))
        {
            id = session.Id;
            ok = session.Capture("build", _ => { });
            try { session.Capture("deploy", _ => throw new InvalidOperationException("no")); }
            catch (InvalidOperationException) { }
            failedOperationId = JournalFiles.ReadSession(_dir.Path, id).Events.Single(e => e.Name == SessionEventNames.TerminalCaptureFailed).GetString(JournalFields.OperationId)!;
        }

        var activities = Of(id);
        var root = Assert.Single(activities, a => a.OperationName == SessionActivities.SessionActivityName);
        Assert.Equal("session traced", root.DisplayName);
        Assert.Equal(id.Replace("-", ""), root.TraceId.ToHexString());
        Assert.Equal(default, root.ParentSpanId);
        var operations = activities.Where(a => a.OperationName == SessionActivities.OperationActivityName).ToList();
        Assert.Equal(["build", "deploy"], operations.Select(a => a.DisplayName));
        Assert.All(operations, a => Assert.Equal(root.TraceId, a.TraceId));
        Assert.All(operations, a => Assert.Equal(root.SpanId, a.ParentSpanId));
        Assert.Equal(ok.OperationId.Replace("-", "")[..16], operations[0].SpanId.ToHexString());
        Assert.Equal(ok.OperationId, operations[0].GetTagItem(SessionActivities.OperationIdTag));
        Assert.Equal(failedOperationId.Replace("-", "")[..16], operations[1].SpanId.ToHexString());
        Assert.Equal(ActivityStatusCode.Error, operations[1].Status);

        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        var start = events.Single(e => e.Name == SessionEventNames.SessionStart);
        Assert.Equal(root.TraceId.ToHexString(), start.GetString(JournalFields.TraceId));
        Assert.Equal(root.SpanId.ToHexString(), start.GetString(JournalFields.SpanId));
        var capture = events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal(operations[0].SpanId.ToHexString(), capture.GetString(JournalFields.SpanId));
        Assert.Equal(root.SpanId.ToHexString(), capture.GetString(JournalFields.ParentSpanId));
        Assert.Equal(root.TraceId.ToHexString(), capture.GetString(JournalFields.TraceId));
    }

    [Fact]
    public async Task A_child_of_cfsession_run_gets_a_TRACEPARENT_in_the_session_trace_whose_span_is_the_journaled_operation()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "sh", "-c", "echo \"$TRACEPARENT $CFSESSION_ID\""]);

        Assert.Equal(0, run.ExitCode);
        string[] seen = run.StdoutText.Trim().Split(' ');
        var capture = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(capture.SessionId, seen[1]);
        Assert.Equal($"00-{capture.GetString(JournalFields.TraceId)}-{capture.GetString(JournalFields.SpanId)}-01", seen[0]);
        Assert.Equal(SessionActivities.TraceIdFor(capture.SessionId).ToHexString(), capture.GetString(JournalFields.TraceId));
        var start = JournalFiles.Single(_dir.Path, SessionEventNames.SessionStart);
        Assert.Equal(start.GetString(JournalFields.SpanId), capture.GetString(JournalFields.ParentSpanId));
    }
}
