using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Sessions;

/// <summary>A session's lifetime as a library user meets it: completion of capture scopes, async disposal, process exit, use after disposal.</summary>
[Collection("Console")]
public sealed class SessionLifetimeTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SessionManager _manager;

    public SessionLifetimeTests() => _manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_capture_scope_left_by_an_exception_without_Complete_is_recorded_as_failed_incomplete()
    {
        string id;
        CaptureRecord? result;
        using (var session = _manager.Start())
        {
            id = session.Id;
            var scope = session.CaptureOn("deploy", new TestConsole());
            try
            {
                using (scope)
                {
                    scope.Console.WriteLine("uploading");
                    throw new TimeoutException("upload timed out");
                }
            }
            catch (TimeoutException)
            {
            }
            result = scope.Result;
        }

        var e = JournalFiles.ReadSession(_dir.Path, id).Events.Single(x => x.Name.StartsWith("TerminalCapture", StringComparison.Ordinal));
        Assert.Equal(SessionEventNames.TerminalCaptureFailed, e.Name);
        Assert.Equal(CaptureScope.IncompleteError, e.GetString(JournalFields.Error));
        Assert.Equal("uploading\n", e.GetString(JournalFields.Output));
        Assert.False(result!.Succeeded);
    }

    [Fact]
    public void A_completed_scope_is_a_capture_and_the_callback_forms_complete_on_return()
    {
        string id;
        using (var session = _manager.Start())
        {
            id = session.Id;
            using (var scope = session.CaptureOn("build", new TestConsole()))
            {
                scope.Console.WriteLine("ok");
                scope.Complete();
            }
            var result = session.Capture("test", console => console.WriteLine("green"));
            Assert.True(result.Succeeded);
        }

        var captures = JournalFiles.ReadSession(_dir.Path, id).Events.Where(x => x.Name.StartsWith("TerminalCapture", StringComparison.Ordinal)).ToList();
        Assert.Equal([SessionEventNames.TerminalCapture, SessionEventNames.TerminalCapture], captures.Select(c => c.Name));
    }

    [Fact]
    public async Task Await_using_ends_the_session_with_its_counts()
    {
        string id;
        await using (var session = _manager.Start())
        {
            id = session.Id;
            session.LogAchievement("done", "async disposal", new Dictionary<string, object?> { ["n"] = 1 });
        }

        var end = JournalFiles.ReadSession(_dir.Path, id).Events.Last();
        Assert.Equal(SessionEventNames.SessionEnd, end.Name);
        Assert.Equal(1, end.GetInt64(JournalFields.AchievementCount));
    }

    [Fact]
    public void A_session_never_disposed_is_ended_by_the_process_exit_handler()
    {
        var session = _manager.Start("forgotten");

        Session.DisposeOpenSessions(); // what AppDomain.ProcessExit runs

        var events = JournalFiles.ReadSession(_dir.Path, session.Id).Events;
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.SessionEnd], events.Select(e => e.Name));
        Assert.True(session.IsEnded);
    }

    [Fact]
    public void After_disposal_every_recording_method_throws_and_TryLogEvent_reports_false()
    {
        var session = _manager.Start();
        session.Dispose();

        Assert.True(session.IsEnded);
        Assert.Throws<ObjectDisposedException>(() => session.LogAchievement("late", "after dispose"));
        Assert.Throws<ObjectDisposedException>(() => session.LogEvent("Late", EventLevel.Informational, null));
        Assert.Throws<ObjectDisposedException>(() => session.CaptureOn("late", new TestConsole()));
        Assert.False(session.TryLogEvent("Late", EventLevel.Informational, null));
        Assert.Equal(2, JournalFiles.ReadSession(_dir.Path, session.Id).Events.Count);
    }

    [Fact]
    public async Task After_disposal_in_another_flow_UnifiedTelemetry_and_TryLogEvent_never_throw_and_report_every_drop()
    {
        using var listener = new RecordingEventListener(SelfDiagnostics.ProviderName, EventLevel.Verbose, EventKeywords.All);
        var session = _manager.Start("disposed elsewhere");
        await Task.Run(session.Dispose); // a host stopping on another thread

        Assert.Same(session, Session.Current); // this flow still names it
        UnifiedTelemetry.LogSessionEvent("LateUnified", new Dictionary<string, object?> { ["n"] = 1 });
        UnifiedTelemetry.LogAchievementMilestone("late_milestone");
        Assert.False(session.TryLogEvent("LateLogger", EventLevel.Informational, null));
        Assert.Throws<ObjectDisposedException>(() => session.LogEvent("LateDirect", EventLevel.Informational, null));

        var drops = listener.Named("EventDropped").Where(e => (string)e.Payload![0]! == "session " + session.Id).ToList();
        Assert.Equal(["LateUnified", "MilestoneReached", "LateLogger"], drops.Select(e => (string)e.Payload![1]!));
        Assert.All(drops, e => Assert.Equal("the session has ended", (string)e.Payload![2]!));
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.SessionEnd], JournalFiles.ReadSession(_dir.Path, session.Id).Events.Select(e => e.Name));
    }

    [Fact]
    public async Task A_process_default_session_receives_events_from_flows_that_did_not_start_it()
    {
        Session session = await Task.Run(() =>
        {
            var started = _manager.Start("host");
            started.MakeProcessDefault();
            return started; // the starting flow ends here: its AsyncLocal does not reach the caller
        });
        try
        {
            Assert.Same(session, Session.Current);
            await Task.Run(() => UnifiedTelemetry.LogSessionEvent("FromAnotherFlow", new Dictionary<string, object?> { ["ok"] = true }));
        }
        finally
        {
            session.Dispose();
        }

        Assert.NotSame(session, Session.Current);
        Assert.Contains(JournalFiles.ReadSession(_dir.Path, session.Id).Events, e => e.Name == "FromAnotherFlow");
    }
}
