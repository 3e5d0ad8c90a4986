using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>
/// The <c>ContextForge.UnifiedTelemetry</c> provider through a real EventListener and a real EventPipe session
/// decoded by TraceEvent: exact event names, levels, keywords, and every supported field type after flattening.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class UnifiedTelemetryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly DateTime When = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
    private static readonly Guid Id = new("0f8fad5b-d9cb-469f-a165-70867728950e");

    /// <summary>One field of every supported type, and the value each reads back as after flattening.</summary>
    internal static readonly (string Name, object? Given, object? Decoded)[] EveryType =
    [
        ("text", "héllo \"quoted\" ✓", "héllo \"quoted\" ✓"),
        ("int32", -42, -42L),
        ("int64", 9_000_000_000L, 9_000_000_000L),
        ("byte", (byte)7, 7L),
        ("uint64_big", ulong.MaxValue, ulong.MaxValue),
        ("real", 0.1 + 0.2, 0.1 + 0.2),
        ("single", 1.5f, 1.5),
        ("decimal", 2.25m, 2.25),
        ("not_a_number", double.NaN, double.NaN),
        ("yes", true, true),
        ("no", false, false),
        ("when_utc", When, When),
        // A DateTimeOffset keeps its offset: recorded as the text it is (string), not moved to UTC.
        ("when_offset", new DateTimeOffset(2026, 3, 4, 7, 6, 7, TimeSpan.FromHours(2)), "2026-03-04T07:06:07.0000000+02:00"),
        ("guid", Id, Id),
        ("nothing", null, null),
    ];

    private static Dictionary<string, object?> Fields() => EveryType.ToDictionary(f => f.Name, f => f.Given);

    private static void AssertEveryType(IReadOnlyList<KeyValuePair<string, object?>> flattened, int skip)
    {
        Assert.Equal(EveryType.Select(f => f.Name), flattened.Skip(skip).Select(f => f.Key));
        foreach (var (expected, actual) in EveryType.Zip(flattened.Skip(skip)))
        {
            Assert.Equal(expected.Decoded, actual.Value);
            if (expected.Decoded is not null) Assert.IsType(expected.Decoded.GetType(), actual.Value);
        }
        var when = (DateTime)flattened.Single(f => f.Key == "when_utc").Value!;
        Assert.Equal(DateTimeKind.Utc, when.Kind);
    }

    [Fact]
    public void EventListener_receives_a_session_event_with_its_name_Session_keyword_level_4_and_every_field_type()
    {
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);

        UnifiedTelemetry.LogSessionEvent("BuildFinished", Fields());

        var e = Assert.Single(listener.Named("BuildFinished"));
        Assert.Equal(EventLevel.Informational, e.Level);
        Assert.Equal(0x1, RecordingEventListener.MaskedKeywords(e));
        Assert.Equal(["FieldCount", "Fields", "FieldTypes", "SessionId"], e.PayloadNames);
        Assert.Equal(string.Empty, e.Payload![3]); // no current session
        Assert.Equal(EveryType.Length, e.Payload![0]);
        AssertEveryType(TracePayload.Flatten(e.PayloadNames!, e.Payload!), skip: 0);
    }

    [Fact]
    public void Provider_fields_are_redacted_like_journal_fields()
    {
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        string token = "ghp_" + new ContextForge.SessionLogging.Tests.Redaction.SecretSamples(11).Chars("ABCDEFabcdef0123456789", 36);

        UnifiedTelemetry.LogSessionEvent("DeployFinished", new Dictionary<string, object?> { ["log"] = $"pushed with {token}", ["count"] = 3 });

        var e = Assert.Single(listener.Named("DeployFinished"));
        var fields = TracePayload.Flatten(e.PayloadNames!, e.Payload!);
        Assert.Equal("pushed with [REDACTED:github_token]", fields.Single(f => f.Key == "log").Value);
        Assert.Equal(3L, fields.Single(f => f.Key == "count").Value);
    }

    [Fact]
    public void EventListener_receives_MilestoneReached_with_MilestoneName_first_and_the_Milestone_keyword()
    {
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);

        UnifiedTelemetry.LogAchievementMilestone("five_green_runs", Fields());

        var e = Assert.Single(listener.Named("MilestoneReached"));
        Assert.Equal(EventLevel.Informational, e.Level);
        Assert.Equal(0x8, RecordingEventListener.MaskedKeywords(e));
        Assert.Equal(["MilestoneName", "FieldCount", "Fields", "FieldTypes", "SessionId"], e.PayloadNames);
        var flattened = TracePayload.Flatten(e.PayloadNames!, e.Payload!);
        Assert.Equal(new KeyValuePair<string, object?>("MilestoneName", "five_green_runs"), flattened[0]);
        AssertEveryType(flattened, skip: 1);
    }

    [Fact]
    public void A_listener_for_the_Milestone_keyword_only_does_not_receive_session_events()
    {
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0x8);

        UnifiedTelemetry.LogSessionEvent("NotWanted", new Dictionary<string, object?> { ["a"] = 1 });
        UnifiedTelemetry.LogAchievementMilestone("wanted");

        Assert.Equal(["MilestoneReached"], listener.Events.Select(e => e.EventName));
    }

    [Fact]
    public async Task EventPipe_and_TraceEvent_decode_both_events_and_flattening_gives_every_field_with_its_type()
    {
        await using var recorder = await EventPipeRecorder.StartAsync(Environment.ProcessId, UnifiedTelemetry.ProviderName, EventLevel.Verbose, 0xF);
        await EventPipeRecorder.WaitUntilAsync(() => UnifiedTelemetry.IsEnabled(SessionKeywords.Milestone), Timeout, "the provider is enabled");

        UnifiedTelemetry.LogSessionEvent("BuildFinished", Fields());
        UnifiedTelemetry.LogAchievementMilestone("five_green_runs", Fields());
        var events = (await recorder.StopAsync(Timeout)).Where(e => e.ProviderName == UnifiedTelemetry.ProviderName).ToList();

        Assert.Equal(["BuildFinished", "MilestoneReached"], events.Select(e => e.EventName));
        Assert.Equal([0x1L, 0x8L], events.Select(e => e.Keywords));
        Assert.All(events, e => Assert.Equal(EventLevel.Informational, e.Level));
        // Over EventPipe the runtime nests the payload in one unnamed struct: TraceEvent shows a single field "".
        Assert.All(events, e => Assert.Equal([""], e.PayloadNames));

        var session = TracePayload.Flatten(events[0].PayloadNames, [.. events[0].PayloadNames.Select(n => events[0].Payload[n])]);
        AssertEveryType(session, skip: 0);
        var milestone = TracePayload.Flatten(events[1].PayloadNames, [.. events[1].PayloadNames.Select(n => events[1].Payload[n])]);
        Assert.Equal(new KeyValuePair<string, object?>("MilestoneName", "five_green_runs"), milestone[0]);
        AssertEveryType(milestone, skip: 1);
    }

    [Fact]
    public void With_no_listener_and_no_current_session_a_call_allocates_nothing()
    {
        var fields = new Dictionary<string, object?> { ["a"] = "x", ["b"] = 1L, ["c"] = 2.5, ["d"] = true, ["e"] = Id };
        Assert.Null(Session.Current);
        Assert.False(UnifiedTelemetry.IsEnabled(SessionKeywords.Session | SessionKeywords.Milestone));
        UnifiedTelemetry.LogSessionEvent("Warm", fields);
        UnifiedTelemetry.LogAchievementMilestone("warm", fields);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            UnifiedTelemetry.LogSessionEvent("Cold", fields);
            UnifiedTelemetry.LogAchievementMilestone("cold", fields);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Both_events_are_journaled_in_the_current_session_with_the_names_given_and_the_same_values()
    {
        using var dir = new TempDirectory();
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = dir.Path, EmitToProvider = false });
        string id;
        using (var session = manager.Start("unified"))
        {
            Assert.Same(session, Session.Current);
            id = session.Id;
            UnifiedTelemetry.LogSessionEvent("BuildFinished", Fields());
            UnifiedTelemetry.LogAchievementMilestone("five_green_runs", new Dictionary<string, object?> { ["runs"] = 5, ["session_id"] = "clash" });
        }
        Assert.Null(Session.Current);

        var events = JournalFiles.ReadSession(dir.Path, id).Events;
        var build = Assert.Single(events, e => e.Name == "BuildFinished");
        Assert.Equal(EventLevel.Informational, build.Level);
        Assert.Equal(SessionKeywords.Session, build.Keywords);
        Assert.Equal([.. EveryType.Select(f => f.Name), "provenance"], build.Fields.Select(f => f.Key));
        Assert.Equal(Environment.ProcessId, build.Fields["provenance"]!["pid"]!.GetValue<int>());
        Assert.Equal("héllo \"quoted\" ✓", build.GetString("text"));
        Assert.Equal(-42, build.GetInt64("int32"));
        Assert.Equal(ulong.MaxValue, build.Fields["uint64_big"]!.GetValue<ulong>());
        Assert.Equal(0.1 + 0.2, build.GetDouble("real"));
        Assert.Equal("NaN", build.GetString("not_a_number"));
        Assert.True(build.Fields["yes"]!.GetValue<bool>());
        Assert.Equal("2026-03-04T05:06:07.0000000Z", build.GetString("when_utc"));
        Assert.Equal("2026-03-04T07:06:07.0000000+02:00", build.GetString("when_offset"));
        Assert.Equal(Id.ToString("D"), build.GetString("guid"));
        Assert.Null(build.Fields["nothing"]);

        var milestone = Assert.Single(events, e => e.Name == "MilestoneReached");
        Assert.Equal(SessionKeywords.Milestone, milestone.Keywords);
        Assert.Equal(["milestone_name", "runs", "field_session_id", "provenance"], milestone.Fields.Select(f => f.Key));
        Assert.Equal("five_green_runs", milestone.GetString("milestone_name"));
        Assert.Equal(5, milestone.GetInt64("runs"));
        Assert.Equal("clash", milestone.GetString("field_session_id"));
        Assert.Equal(id, milestone.SessionId);
    }

    [Fact]
    public void The_provider_and_the_journal_give_the_same_fields_and_values_for_one_call()
    {
        using var dir = new TempDirectory();
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = dir.Path, EmitToProvider = false });
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        string id;
        var fields = new Dictionary<string, object?> { ["n"] = 3, ["ok"] = true, ["at"] = When, ["who"] = Id, ["s"] = "x", ["r"] = 1.25 };
        using (var session = manager.Start())
        {
            id = session.Id;
            UnifiedTelemetry.LogSessionEvent("Same", fields);
        }

        var traced = TracePayload.Flatten(listener.Named("Same")[0].PayloadNames!, listener.Named("Same")[0].Payload!);
        var journaled = JournalFiles.ReadSession(dir.Path, id).Events.Single(e => e.Name == "Same");
        Assert.Equal(journaled.Fields.Select(f => f.Key).Where(k => k != "provenance"), traced.Select(f => f.Key));
        Assert.Equal(journaled.GetInt64("n"), (long)traced[0].Value!);
        Assert.Equal(journaled.Fields["ok"]!.GetValue<bool>(), traced[1].Value);
        Assert.Equal(journaled.GetString("at"), SessionManager.FormatTime((DateTime)traced[2].Value!));
        Assert.Equal(journaled.GetString("who"), traced[3].Value!.ToString());
        Assert.Equal(journaled.GetString("s"), traced[4].Value);
        Assert.Equal(journaled.GetDouble("r"), traced[5].Value);
    }

    [Fact]
    public async Task The_trace_reader_turns_an_EventPipe_recording_into_the_same_events_the_journal_holds()
    {
        using var dir = new TempDirectory();
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = dir.Path, EmitToProvider = false });
        await using var recorder = await EventPipeRecorder.StartAsync(Environment.ProcessId, UnifiedTelemetry.ProviderName, EventLevel.Verbose, 0xF);
        await EventPipeRecorder.WaitUntilAsync(() => UnifiedTelemetry.IsEnabled(SessionKeywords.Milestone), Timeout, "the provider is enabled");
        string id;
        using (var session = manager.Start())
        {
            id = session.Id;
            UnifiedTelemetry.LogSessionEvent("BuildFinished", Fields());
            UnifiedTelemetry.LogAchievementMilestone("five_green_runs", new Dictionary<string, object?> { ["runs"] = 5, ["seq"] = "header clash" });
            session.LogEvent("LogEntry", EventLevel.Warning, new Dictionary<string, object?> { ["message"] = "low disk", ["percent"] = 3 });
        }
        UnifiedTelemetry.LogSessionEvent("OutsideAnySession", new Dictionary<string, object?> { ["a"] = 1 });
        await recorder.StopAsync(Timeout);

        var read = ContextForge.SessionLogging.Tracing.TraceReader.Read(new MemoryStream(recorder.TraceBytes.ToArray()), "self.nettrace");

        var traced = read.Events.Where(e => e.Provider == UnifiedTelemetry.ProviderName).Select(e => e.Event).ToList();
        var journaled = JournalFiles.ReadSession(dir.Path, id).Events.Where(e => e.Name is "BuildFinished" or "MilestoneReached" or "LogEntry").ToList();
        Assert.Equal(["BuildFinished", "MilestoneReached", "LogEntry"], traced.Select(e => e.Name));
        Assert.Equal(1, read.Unattributed); // OutsideAnySession: emitted with no session to attribute it to
        foreach (var (t, j) in traced.Zip(journaled))
        {
            Assert.Equal(j.Name, t.Name);
            Assert.Equal(id, t.SessionId);
            Assert.Equal(j.Level, t.Level);
            Assert.Equal(j.Keywords, t.Keywords);
            // The journal adds provenance (who wrote the line); the trace carries the caller's fields only.
            var journalFields = (System.Text.Json.Nodes.JsonObject)j.Fields.DeepClone();
            journalFields.Remove("provenance");
            Assert.Equal(journalFields.ToJsonString(), t.Fields.ToJsonString());
        }
    }
}
