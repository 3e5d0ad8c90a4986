using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tests.Telemetry;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Tests.Tracing;

/// <summary>
/// Each session's provider events carry the session's activity id (the journal's <c>activity_id</c>) in the event
/// header, and a child session's SessionStart carries its parent's as the related activity id: checked in-process
/// with an EventListener and on real dotnet-trace recordings read with TraceEvent.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class ActivityIdTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    [Fact]
    public void Provider_events_carry_the_sessions_activity_id_and_a_child_start_its_parents_as_related()
    {
        using var listener = new HeaderListener();
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = Data });
        Guid before = EventSource.CurrentThreadActivityId;

        using var parent = manager.Start("parent", "test");
        using var child = manager.Start("child", "test", parentSessionId: parent.Id);
        child.LogAchievement("built", "ok");
        child.End();
        parent.End();

        Assert.Equal(before, EventSource.CurrentThreadActivityId);
        var events = listener.Events.ToList();
        var parentStart = events.First(e => e.EventName == "SessionStart" && e.Payload.Contains(parent.Id));
        var childEvents = events.Where(e => e.Payload.Contains(child.Id)).ToList();
        Assert.Equal(["SessionStart", "AchievementLogged", "SessionEnd"], childEvents.Select(e => e.EventName));
        Assert.All(childEvents, e => Assert.Equal(child.ActivityId, e.ActivityId));
        Assert.Equal(parent.ActivityId, parentStart.ActivityId);
        Assert.Equal(Guid.Empty, parentStart.RelatedActivityId);
        Assert.Equal(parent.ActivityId, childEvents[0].RelatedActivityId);
        Assert.Equal(Guid.Empty, childEvents[1].RelatedActivityId);
    }

    /// <summary>
    /// Reads the header ids while the event is written: <see cref="EventWrittenEventArgs.ActivityId"/> is read from
    /// the thread lazily, so it must not be looked at after the write has put the thread's own id back.
    /// </summary>
    private sealed class HeaderListener : EventListener
    {
        public sealed record Header(string EventName, Guid ActivityId, Guid RelatedActivityId, IReadOnlyList<object?> Payload);

        public System.Collections.Concurrent.ConcurrentQueue<Header> Events { get; } = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == SessionLoggingEventSource.ProviderName) EnableEvents(source, EventLevel.Informational, (EventKeywords)0xF);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventSource.Name == SessionLoggingEventSource.ProviderName)
                Events.Enqueue(new Header(e.EventName ?? "", e.ActivityId, e.RelatedActivityId, e.Payload?.ToList() ?? []));
        }
    }

    [Fact]
    public async Task Dotnet_trace_recording_shows_the_sessions_activity_id_in_every_header_and_the_parents_as_related_activity_id()
    {
        var parent = await InProcessCli.RunAsync(Data, null, "start", "--name", "parent");
        Assert.Equal(0, parent.ExitCode);
        string parentId = Assert.Single(JournalFiles.SessionIds(Data));
        Guid parentActivity = JournalFiles.ReadSession(Data, parentId).Events.Single().ActivityId;

        // A child session (start under CFSESSION_ID) and a session of its own (run), each in its own recording.
        string childTrace = _dir.Combine("child.nettrace"), runTrace = _dir.Combine("run.nettrace");
        await TraceTestSupport.DotnetTraceCollectAsync(Data, childTrace, "ContextForge.SessionLogging:0xF:4", ["start", "--name", "child"],
            new Dictionary<string, string?> { ["CFSESSION_ID"] = parentId }, expectedExitCode: 0);
        await TraceTestSupport.DotnetTraceCollectAsync(Data, runTrace, "ContextForge.SessionLogging:0xF:4", ["run", "--no-pty", "--", "true"], expectedExitCode: 0);

        var child = Assert.Single(TraceReader.Read(childTrace).Events);
        Guid childActivity = JournalFiles.ReadSession(Data, child.Event.SessionId).Events.Single(e => e.Name == SessionEventNames.SessionStart).ActivityId;
        Assert.Equal("SessionStart", child.Event.Name);
        Assert.Equal(childActivity, child.HeaderActivityId);
        Assert.Equal(parentActivity, child.RelatedActivityId);

        var run = TraceReader.Read(runTrace).Events;
        Assert.Equal(["SessionStart", "TerminalCapture", "SessionEnd"], run.Select(e => e.Event.Name));
        Guid runActivity = JournalFiles.ReadSession(Data, run[0].Event.SessionId).Events.Single(e => e.Name == SessionEventNames.SessionStart).ActivityId;
        Assert.NotEqual(childActivity, runActivity);
        Assert.All(run, e => Assert.Equal(runActivity, e.HeaderActivityId));
        Assert.All(run, e => Assert.Equal(Guid.Empty, e.RelatedActivityId));

        // trace read shows both.
        var shown = await InProcessCli.RunAsync(Data, null, "trace", "read", childTrace, "--json");
        var start = TraceTestSupport.Json(shown.Stdout)["events"]![0]!;
        Assert.Equal(childActivity.ToString("D"), start["header_activity_id"]!.GetValue<string>());
        Assert.Equal(parentActivity.ToString("D"), start["related_activity_id"]!.GetValue<string>());
    }
}
