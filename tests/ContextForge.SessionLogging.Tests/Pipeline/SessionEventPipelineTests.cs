using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tests.Telemetry;
using Spectre.Console;

namespace ContextForge.SessionLogging.Tests.Pipeline;

/// <summary>The pipeline's stages as a user of the library sees them: their own sinks and observers, and the counts.</summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class SessionEventPipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class ListSink : ISessionEventSink
    {
        public List<SessionEvent> Events { get; } = [];

        public void Emit(SessionEvent sessionEvent) => Events.Add(sessionEvent);

        public SinkStatistics Statistics => new("list", Events.Count, Events.Count, 0, null);
    }

    private sealed class ThrowingSink : ISessionEventSink
    {
        public void Emit(SessionEvent sessionEvent) => throw new InvalidOperationException("sink is broken");

        public SinkStatistics Statistics => new("throwing", 0, 0, 0, null);
    }

    private sealed class ListObserver(Func<SessionEvent, bool>? fail = null) : ISessionEventObserver
    {
        public List<SessionEvent> Events { get; } = [];

        public void OnCommitted(SessionEvent sessionEvent)
        {
            Events.Add(sessionEvent);
            if (fail?.Invoke(sessionEvent) == true) throw new InvalidOperationException("observer is broken");
        }
    }

    [Fact]
    public void A_users_sink_receives_every_event_redacted_and_after_the_journal_assigned_its_sequence()
    {
        var sink = new ListSink();
        var options = new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false };
        options.Sinks.Add(sink);
        string secret = "ghp_" + new string('a', 36);
        string id;
        using (var session = new SessionManager(options).Start("sinks"))
        {
            id = session.Id;
            session.Capture("echo", console => console.WriteLine("hello"));
            session.LogAchievement("done", "token " + secret);
            session.LogEvent("Custom", EventLevel.Informational, new Dictionary<string, object?> { ["n"] = 1 });
            var stats = Assert.Single(session.SinkStatistics, s => s.Name == "list");
            Assert.Equal(4, stats.Received);
        }

        var journal = JournalFiles.ReadSession(_dir.Path, id).Events;
        Assert.Equal(journal.Select(e => (e.Name, e.Sequence, e.Segment)), sink.Events.Select(e => (e.Name, e.Sequence, e.Segment)));
        Assert.Equal(["SessionStart", "TerminalCapture", "AchievementLogged", "Custom", "SessionEnd"], sink.Events.Select(e => e.Name));
        Assert.All(sink.Events, e => Assert.True(e.Sequence > 0));
        string description = sink.Events.Single(e => e.Name == "AchievementLogged").GetString("description")!;
        Assert.DoesNotContain(secret, description, StringComparison.Ordinal);
        Assert.Contains("[REDACTED:", description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sink_that_throws_has_its_events_counted_as_dropped_and_recording_goes_on()
    {
        var options = new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false };
        options.Sinks.Add(new ThrowingSink());
        using var listener = new RecordingEventListener(SelfDiagnostics.ProviderName, EventLevel.Verbose, EventKeywords.All);
        string id;
        using (var session = new SessionManager(options).Start("throwing"))
        {
            id = session.Id;
            var record = session.LogAchievement("still_recorded", "the journal has it");
            Assert.StartsWith("ACH-", record.AchievementId, StringComparison.Ordinal);
            var stats = Assert.Single(session.SinkStatistics, s => s.Name == "throwing");
            Assert.Equal((2L, 0L, 2L, "sink is broken"), (stats.Received, stats.Stored, stats.Dropped, stats.LastError));
        }

        Assert.Equal(["SessionStart", "AchievementLogged", "SessionEnd"], JournalFiles.ReadSession(_dir.Path, id).Events.Select(e => e.Name));
        var dropped = listener.Named("EventDropped");
        Assert.Contains(dropped, e => (string?)e.Payload![1] == "AchievementLogged" && (string?)e.Payload[2] == "sink is broken");
    }

    [Fact]
    public void Observers_see_only_committed_events_and_one_that_throws_does_not_reach_the_producer()
    {
        var healthy = new ListObserver();
        var broken = new ListObserver(e => e.Name == "AchievementLogged");
        var options = new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false };
        options.Observers.Add(broken);
        options.Observers.Add(healthy);
        using var listener = new RecordingEventListener(SelfDiagnostics.ProviderName, EventLevel.Verbose, EventKeywords.All);
        using (var session = new SessionManager(options).Start("observed"))
        {
            session.LogAchievement("observed", "seen after commit");
        }

        Assert.Equal(["SessionStart", "AchievementLogged", "SessionEnd"], healthy.Events.Select(e => e.Name));
        Assert.All(healthy.Events, e => Assert.True(e.Sequence > 0));
        Assert.Equal(3, broken.Events.Count);
        Assert.Contains(listener.Named("ObserverFailed"), e => (string?)e.Payload![1] == "AchievementLogged" && (string?)e.Payload[2] == "observer is broken");
    }

    [Fact]
    public void With_no_listener_the_provider_counts_events_as_not_enabled_never_as_stored()
    {
        var options = new SessionLoggingOptions { DataDirectory = _dir.Path };
        using var session = new SessionManager(options).Start("quiet");
        session.LogAchievement("quiet", "nobody listens");
        var provider = Assert.Single(session.SinkStatistics, s => s.Name == "provider");
        // Another test in this collection may have a listener on; without one every event is not-enabled.
        Assert.Equal(provider.Received, provider.Stored + provider.NotEnabled + provider.Dropped);
        if (!SessionLoggingEventSource.Log.IsEnabled()) Assert.Equal((2L, 0L, 2L), (provider.Received, provider.Stored, provider.NotEnabled));
    }

    [Fact]
    public void A_custom_event_is_redacted_with_its_own_sessions_redactor_not_the_current_sessions()
    {
        string secret = "ghp_" + new string('b', 36);
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        var unredacted = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false, Redact = false });
        var redacted = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });
        using var target = unredacted.Start("no-redaction");
        using var current = redacted.Start("redaction");
        Assert.Same(current, Session.Current);

        target.LogEvent("TokenShown", EventLevel.Informational, new Dictionary<string, object?> { ["token"] = secret });

        var traced = TracePayload.Flatten(listener.Named("TokenShown")[0].PayloadNames!, listener.Named("TokenShown")[0].Payload!);
        Assert.Equal(secret, traced.Single(f => f.Key == "token").Value);
    }

    [Fact]
    public void The_library_reports_a_malformed_config_through_self_diagnostics_and_never_on_the_console()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "milestones.json"), "{ \"milestones\": [ { \"name\": \"x\", \"kind\": \"streak\" } ] }");
        using var listener = new RecordingEventListener(SelfDiagnostics.ProviderName, EventLevel.Verbose, EventKeywords.All);
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            using var session = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false }).Start("config");
        }
        finally
        {
            Console.SetError(original);
        }

        Assert.Equal(string.Empty, error.ToString());
        var warning = Assert.Single(listener.Named("Warning"));
        Assert.Contains("milestones.json:1: unknown kind 'streak'", (string)warning.Payload![0]!, StringComparison.Ordinal);
    }
}
