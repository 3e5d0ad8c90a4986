using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>What the provider emits for a session equals what the journal stores, field by field.</summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class ProviderJournalCorrelationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Session_api_events_reach_an_EventListener_with_the_journal_values()
    {
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path });
        string id;
        using (var session = manager.Start("listener", "test", "tdd"))
        {
            id = session.Id;
            using (var scope = session.CaptureOn("print", new TestConsole()))
            {
                scope.Console.WriteLine("hello provider");
                scope.Complete();
            }
            Assert.Throws<TimeoutException>(() => session.Capture("fail", _ => throw new TimeoutException("too slow")));
            session.LogAchievement("tests_passed", "green", new Dictionary<string, object?> { ["a"] = 1, ["b"] = "x" });
        }

        var journal = JournalFiles.ReadSession(_dir.Path, id).Events;
        var mine = listener.Events.Where(e => e.Payload!.Contains(id) || e.PayloadNames!.Contains("CorrelationId") && (string)e.Payload![e.PayloadNames.IndexOf("CorrelationId")]! == id).ToList();
        Assert.Equal(journal.Select(e => e.Name), mine.Select(e => e.EventName));

        object? P(EventWrittenEventArgs e, string name) => e.Payload![e.PayloadNames!.IndexOf(name)];

        var start = journal[0];
        var startEvent = mine[0];
        Assert.Equal(id, P(startEvent, "SessionId"));
        Assert.Equal("test", P(startEvent, "SessionType"));
        Assert.Equal(start.ActivityId, P(startEvent, "ActivityId"));
        Assert.Equal("tdd", P(startEvent, "Methodology"));
        Assert.Equal("listener", P(startEvent, "SessionName"));
        Assert.Equal(DateTimeOffset.Parse(start.GetString(JournalFields.StartTime)!, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime, ((DateTime)P(startEvent, "StartTime")!).ToUniversalTime());
        Assert.True(start.Fields[JournalFields.EtwCorrelation]!["etw_emitted"]!.GetValue<bool>());

        var capture = journal[1];
        var captureEvent = mine[1];
        Assert.Equal(capture.GetString(JournalFields.OperationName), P(captureEvent, "OperationName"));
        Assert.Equal(capture.GetString(JournalFields.OperationId), P(captureEvent, "OperationId"));
        Assert.Equal((uint)capture.GetDouble(JournalFields.DurationMs)!.Value, P(captureEvent, "DurationMs"));
        Assert.Equal((uint)capture.GetInt64(JournalFields.OutputLength)!.Value, P(captureEvent, "OutputLength"));
        Assert.Equal("hello provider\n", P(captureEvent, "OutputSample"));
        Assert.Equal(id, P(captureEvent, "CorrelationId"));
        Assert.Equal(capture.GetString(JournalFields.IntegrityHash), P(captureEvent, "IntegrityHash"));
        Assert.Equal(4L, (long)captureEvent.Keywords & 0xFFFFFFFF);

        var failedEvent = mine[2];
        Assert.Equal(EventLevel.Error, failedEvent.Level);
        Assert.Equal("too slow", P(failedEvent, "Error"));
        Assert.Equal(journal[2].GetString(JournalFields.OperationId), P(failedEvent, "OperationId"));

        var achievementEvent = mine[3];
        Assert.Equal($"ACH-{id[..8]}-001", P(achievementEvent, "AchievementId"));
        Assert.Equal("tests_passed", P(achievementEvent, "AchievementType"));
        Assert.Equal("green", P(achievementEvent, "Description"));
        Assert.Equal(2u, P(achievementEvent, "EvidenceKeys"));

        var endEvent = mine[4];
        Assert.Equal(2, P(endEvent, "OperationCount"));
        Assert.Equal(1, P(endEvent, "FailedOperationCount"));
        Assert.Equal(1, P(endEvent, "AchievementCount"));
        Assert.Equal("ended", P(endEvent, "Status"));
        Assert.Equal(journal[4].GetDouble(JournalFields.DurationMs), P(endEvent, "DurationMs"));
    }

    [Fact]
    public async Task Cfsession_process_recorded_over_EventPipe_emits_the_journaled_events_with_equal_fields()
    {
        string trace = _dir.Combine("run.nettrace");
        string data = _dir.Combine("data");
        var run = await CfSessionProcess.RunAsync(data, ["run", "--name", "traced", "--", "sh", "-c", "echo traced-output; exit 4"],
            environment: new Dictionary<string, string?>
            {
                ["DOTNET_EnableEventPipe"] = "1",
                ["DOTNET_EventPipeOutputPath"] = trace,
                ["DOTNET_EventPipeConfig"] = "ContextForge.SessionLogging:0xF:5",
            });
        Assert.Equal(4, run.ExitCode);

        IReadOnlyList<RecordedEvent> recorded;
        using (var fs = File.OpenRead(trace)) recorded = EventPipeRecorder.Decode(fs);
        var events = recorded.Where(e => e.ProviderName == SessionLoggingEventSource.ProviderName).ToList();
        string id = Assert.Single(JournalFiles.SessionIds(data));
        // OperationStarted is journal-only (the provider's contract has no such event): compare the others.
        var journaled = JournalFiles.ReadSession(data, id).Events;
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.OperationStarted, SessionEventNames.TerminalCapture, SessionEventNames.SessionEnd], journaled.Select(e => e.Name));
        var journal = journaled.Where(e => e.Name != SessionEventNames.OperationStarted).ToList();

        Assert.Equal(journal.Select(e => e.Name), events.Select(e => SessionEventNames.Normalize(e.EventName)));
        Assert.Equal(id, events[0].Payload["SessionId"]);
        Assert.Equal("traced", events[0].Payload["SessionName"]);
        Assert.Equal(journal[0].ActivityId, events[0].Payload["ActivityId"]);
        var capture = journal[1];
        Assert.Equal("sh -c 'echo traced-output; exit 4'", events[1].Payload["OperationName"]);
        Assert.Equal(capture.GetString(JournalFields.OperationId), events[1].Payload["OperationId"]);
        Assert.Equal("traced-output\n", events[1].Payload["OutputSample"]);
        Assert.Equal(4, events[1].Payload["ExitCode"]);
        Assert.Equal(capture.GetString(JournalFields.IntegrityHash), events[1].Payload["IntegrityHash"]);
        Assert.Equal(id, events[1].Payload["CorrelationId"]);
        Assert.Equal(1, events[2].Payload["OperationCount"]);
        Assert.Equal(1, events[2].Payload["FailedOperationCount"]);
        Assert.All(journal, e => Assert.True(e.Fields[JournalFields.EtwCorrelation]!["etw_emitted"]!.GetValue<bool>()));
        // Journal and trace timestamps describe the same moments (the trace clock is the same machine's).
        Assert.InRange((events[1].TimeStampUtc - capture.Timestamp.UtcDateTime).Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(2));
    }
}
