using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Milestones;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Milestones;

/// <summary>
/// Milestone rules from a real milestones.json, evaluated as real sessions record: each fires exactly once per
/// scope, at the event that reaches it, and not for near misses.
/// </summary>
public sealed class MilestoneRulesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<string> _warnings = [];

    public void Dispose() => _dir.Dispose();

    private SessionManager Manager(string config)
    {
        File.WriteAllText(_dir.Combine(MilestoneConfig.FileName), config);
        return new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false, Warning = _warnings.Add });
    }

    private List<SessionEvent> Milestones(string sessionId) =>
        [.. JournalFiles.ReadSession(_dir.Path, sessionId).Events.Where(e => e.Name == UnifiedTelemetry.MilestoneReachedEventName)];

    private const string FiveGreen = """
        {
          // five green test runs in one session
          "milestones": [
            { "name": "five_green", "kind": "achievements", "achievement_type": "tests_passed", "count": 5 },
          ]
        }
        """;

    [Fact]
    public void N_achievements_of_a_type_fire_once_at_the_Nth_and_other_types_do_not_count()
    {
        var manager = Manager(FiveGreen);
        using var session = manager.Start();
        for (int i = 0; i < 4; i++) session.LogAchievement("tests_passed", $"run {i}");
        session.LogAchievement("build_fixed", "not a test run");
        session.LogAchievement("build_fixed", "not a test run");
        Assert.Empty(Milestones(session.Id)); // near miss: 4 of the type, 6 in all

        var fifth = session.LogAchievement("tests_passed", "run 5");
        session.LogAchievement("tests_passed", "run 6");

        var reached = Assert.Single(Milestones(session.Id));
        Assert.Equal("five_green", reached.GetString(JournalFields.MilestoneName));
        Assert.Equal(SessionKeywords.Milestone, reached.Keywords);
        Assert.Equal(EventLevel.Informational, reached.Level);
        Assert.Equal("achievements", reached.GetString("rule_kind"));
        Assert.Equal("session", reached.GetString("scope"));
        Assert.Equal(5, reached.GetInt64("count"));
        Assert.Equal(5, reached.GetInt64("threshold"));
        Assert.Equal("tests_passed", reached.GetString(JournalFields.AchievementType));
        Assert.Equal(fifth.AchievementId, reached.GetString(JournalFields.AchievementId));
        Assert.Equal("AchievementLogged", reached.GetString("trigger_event"));
        var events = JournalFiles.ReadSession(_dir.Path, session.Id).Events;
        int at = events.ToList().FindIndex(e => e.Name == UnifiedTelemetry.MilestoneReachedEventName);
        Assert.Equal(fifth.AchievementId, events[at - 1].GetString(JournalFields.AchievementId));
    }

    [Fact]
    public void A_session_scoped_milestone_is_reached_again_in_another_session_but_once_in_each()
    {
        var manager = Manager(FiveGreen);
        string first, second;
        using (var s1 = manager.Start()) { first = s1.Id; for (int i = 0; i < 7; i++) s1.LogAchievement("tests_passed", "x"); }
        using (var s2 = manager.Start()) { second = s2.Id; for (int i = 0; i < 5; i++) s2.LogAchievement("tests_passed", "x"); }

        Assert.Single(Milestones(first));
        Assert.Single(Milestones(second));
        Assert.Equal(2, new MilestoneStore(new DataDirectory(_dir.Path)).ReadAll().Count(r => r.Name == "five_green"));
    }

    [Fact]
    public void An_all_time_operation_count_fires_once_at_the_Nth_operation_across_sessions()
    {
        var manager = Manager("""{ "milestones": [ { "name": "three_ops", "kind": "operations", "count": 3, "scope": "all_time" } ] }""");
        string first, second;
        using (var s1 = manager.Start())
        {
            first = s1.Id;
            s1.Capture("one", _ => { }); s1.Capture("two", _ => { });
        }
        Assert.Empty(Milestones(first));
        using (var s2 = manager.Start())
        {
            second = s2.Id;
            var third = s2.Capture("three", _ => { });
            s2.Capture("four", _ => { });
            var reached = Assert.Single(Milestones(second));
            Assert.Equal(third.OperationId, reached.GetString(JournalFields.OperationId));
            Assert.Equal(3, reached.GetInt64("count"));
            Assert.Equal("all_time", reached.GetString("scope"));
        }
        using (var s3 = manager.Start()) { s3.Capture("five", _ => { }); Assert.Empty(Milestones(s3.Id)); }
    }

    private const string FourGreenAllTime = """{ "milestones": [ { "name": "four_green_ever", "kind": "achievements", "achievement_type": "tests_passed", "count": 4, "scope": "all_time" } ] }""";

    [Fact]
    public void An_all_time_achievement_milestone_counts_its_type_across_sessions_from_the_history_index()
    {
        var manager = Manager(FourGreenAllTime);
        string second;
        using (var s1 = manager.Start())
        {
            s1.LogAchievement("tests_passed", "a"); s1.LogAchievement("build_fixed", "other type"); s1.LogAchievement("tests_passed", "b");
        }
        Assert.True(File.Exists(_dir.Combine("index.sqlite"))); // counted through the index, caught up from the journals
        using (var s2 = manager.Start())
        {
            second = s2.Id;
            s2.LogAchievement("build_fixed", "other type");
            s2.LogAchievement("tests_passed", "c");
            Assert.Empty(Milestones(second)); // 3 of the type, 5 in all
            var fourth = s2.LogAchievement("tests_passed", "d");
            var reached = Assert.Single(Milestones(second));
            Assert.Equal(fourth.AchievementId, reached.GetString(JournalFields.AchievementId));
            Assert.Equal(4, reached.GetInt64("count"));
            Assert.Equal("tests_passed", reached.GetString(JournalFields.AchievementType));
        }
    }

    [Fact]
    public void An_all_time_milestone_is_counted_from_the_journals_when_the_index_cannot_be_opened()
    {
        var manager = Manager(FourGreenAllTime);
        Directory.CreateDirectory(_dir.Combine("index.sqlite")); // a directory where the index file should be
        using var session = manager.Start();
        for (int i = 0; i < 3; i++) session.LogAchievement("tests_passed", $"run {i}");
        Assert.Empty(Milestones(session.Id));
        var fourth = session.LogAchievement("tests_passed", "run 3");
        var reached = Assert.Single(Milestones(session.Id));
        Assert.Equal(fourth.AchievementId, reached.GetString(JournalFields.AchievementId));
        Assert.Equal(4, reached.GetInt64("count"));
    }

    [Fact]
    public void The_first_clean_session_fires_at_its_end_and_failed_or_empty_sessions_do_not()
    {
        var manager = Manager("""{ "milestones": [ { "name": "first_clean", "kind": "clean_session" } ] }""");
        string failed, empty, clean, laterClean;
        using (var s = manager.Start())
        {
            failed = s.Id;
            s.Capture("ok", _ => { });
            Assert.Throws<InvalidOperationException>(() => s.Capture("boom", _ => throw new InvalidOperationException("boom")));
        }
        using (var s = manager.Start()) empty = s.Id;
        using (var s = manager.Start()) { clean = s.Id; s.Capture("ok", _ => { }); }
        using (var s = manager.Start()) { laterClean = s.Id; s.Capture("ok", _ => { }); }

        Assert.Empty(Milestones(failed));
        Assert.Empty(Milestones(empty));
        var reached = Assert.Single(Milestones(clean));
        Assert.Equal("SessionEnd", reached.GetString("trigger_event"));
        Assert.Equal(1, reached.GetInt64(JournalFields.OperationCount));
        Assert.Equal(0, reached.GetInt64(JournalFields.FailedOperationCount));
        Assert.Equal(SessionEventNames.SessionEnd, JournalFiles.ReadSession(_dir.Path, clean).Events[^2].Name);
        Assert.Empty(Milestones(laterClean));
    }

    [Fact]
    public void Two_processes_racing_for_a_milestone_reach_it_once()
    {
        var manager = Manager("""{ "milestones": [ { "name": "two_any", "kind": "achievements", "count": 2 } ] }""");
        using var owner = manager.Start();
        // A second writer of the same session (as a second cfsession process would be): both see count >= 2.
        using var other = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false }).Join(owner.Id);
        Parallel.For(0, 8, i => (i % 2 == 0 ? owner : other).LogAchievement("any", "x"));

        Assert.Single(Milestones(owner.Id));
    }

    [Fact]
    public void MilestoneReached_from_a_rule_is_emitted_on_the_unified_provider_with_its_evidence()
    {
        var manager = Manager("""{ "milestones": [ { "name": "one_any", "kind": "achievements", "count": 1 } ] }""");
        using var listener = new RecordingEventListener(UnifiedTelemetry.ProviderName, EventLevel.Verbose, (EventKeywords)0x8);
        using var session = manager.Start();
        var record = session.LogAchievement("any", "x");

        var e = Assert.Single(listener.Events, e => TracePayload.Flatten(e.PayloadNames!, e.Payload!)[0].Value as string == "one_any");
        var fields = TracePayload.Flatten(e.PayloadNames!, e.Payload!).ToDictionary(f => f.Key, f => f.Value);
        Assert.Equal(record.AchievementId, fields[JournalFields.AchievementId]);
        Assert.Equal(1L, fields["count"]);
        Assert.Equal(session.Id, fields[JournalFields.CorrelationId]);
    }

    [Fact]
    public void A_malformed_config_gives_one_line_naming_the_file_and_line_and_recording_continues_without_milestones()
    {
        var manager = Manager("{\n  \"milestones\": [\n    { \"name\": \"x\", \"kind\": \"achievements\" \"count\": 1 }\n  ]\n}\n");
        using (var session = manager.Start())
        {
            session.LogAchievement("any", "still recorded");
            Assert.Empty(Milestones(session.Id));
            Assert.Single(JournalFiles.ReadSession(_dir.Path, session.Id).Events, e => e.Name == SessionEventNames.AchievementLogged);
        }
        string warning = Assert.Single(_warnings);
        Assert.DoesNotContain('\n', warning);
        Assert.StartsWith($"milestones disabled: {_dir.Combine(MilestoneConfig.FileName)}:3: ", warning);
    }

    [Theory]
    [InlineData("""{ "milestones": [ { "name": "a", "kind": "streak", "count": 1 } ] }""", 1, "unknown kind 'streak' (expected achievements, operations or clean_session)")]
    [InlineData("{\n \"milestones\": [\n  { \"name\": \"a\", \"kind\": \"operations\", \"count\": 2 },\n  { \"name\": \"b\", \"kind\": \"operations\", \"count\": 0 }\n ]\n}", 4, "milestone 'b': \"count\" must be a whole number of at least 1")]
    [InlineData("{\n \"milestones\": [\n  { \"name\": \"a\", \"kind\": \"operations\", \"count\": 2 },\n  { \"name\": \"a\", \"kind\": \"clean_session\" }\n ]\n}", 4, "milestone 'a' is defined twice")]
    [InlineData("""{ "milestones": [ { "name": "a", "kind": "operations", "count": 1, "scope": "week" } ] }""", 1, "unknown scope 'week' (expected session or all_time)")]
    [InlineData("""{ "milestones": [ { "kind": "operations", "count": 1 } ] }""", 1, "a milestone needs a \"name\" string")]
    [InlineData("""[ 1, 2 ]""", 1, "expected an object with a \"milestones\" array")]
    public void Config_problems_are_reported_with_their_line(string config, int line, string problem)
    {
        string path = _dir.Combine(MilestoneConfig.FileName);
        File.WriteAllText(path, config);

        var (definitions, error) = MilestoneConfig.Load(path);

        Assert.Empty(definitions);
        Assert.Equal($"{path}:{line}: {problem}", error);
    }

    [Fact]
    public void Without_a_config_file_sessions_carry_no_milestone_engine()
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });
        Assert.Null(manager.LoadMilestones());
        Assert.Equal(([], null), MilestoneConfig.Load(_dir.Combine(MilestoneConfig.FileName)) is var (d, e) ? (d.ToArray(), e) : default);
    }
}
