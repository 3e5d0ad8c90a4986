using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Milestones;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary><c>cfsession milestones</c> and <c>cfsession milestone</c>, in-process and as the real executable.</summary>
public sealed class MilestoneCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    private async Task<string> StartAsync()
    {
        var start = await Cli(null, "start");
        Assert.Equal(0, start.ExitCode);
        return start.Stdout.Trim()["export CFSESSION_ID=".Length..];
    }

    private const string Config = """
        {
          // the Achievement Engine's milestones
          "milestones": [
            { "name": "two_green", "kind": "achievements", "achievement_type": "tests_passed", "count": 2, "description": "two green runs" },
            { "name": "first_clean", "kind": "clean_session" }
          ]
        }
        """;

    [Fact]
    public async Task Milestones_json_lists_definitions_and_the_milestones_reached_with_evidence()
    {
        File.WriteAllText(_dir.Combine(MilestoneConfig.FileName), Config);
        string id = await StartAsync();
        await Cli(id, "achievement", "tests_passed", "one");
        await Cli(id, "achievement", "tests_passed", "two");

        var result = await Cli(null, "milestones", "--json");

        Assert.Equal(0, result.ExitCode);
        var doc = JsonNode.Parse(result.Stdout)!.AsObject();
        Assert.Equal(_dir.Combine(MilestoneConfig.FileName), doc["config_path"]!.GetValue<string>());
        Assert.Null(doc["config_error"]);
        var definitions = doc["definitions"]!.AsArray();
        Assert.Equal(["two_green", "first_clean"], definitions.Select(d => d!["name"]!.GetValue<string>()));
        Assert.Equal("2 achievement(s) of type tests_passed in one session", definitions[0]!["rule"]!.GetValue<string>());
        Assert.Equal("all_time", definitions[1]!["scope"]!.GetValue<string>());
        var reached = Assert.Single(doc["reached"]!.AsArray());
        Assert.Equal("two_green", reached!["milestone_name"]!.GetValue<string>());
        Assert.Equal(id, reached["session_id"]!.GetValue<string>());
        Assert.False(reached["manual"]!.GetValue<bool>());
        Assert.Equal($"ACH-{id[..8]}-002", reached["evidence"]!["achievement_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Milestone_records_one_by_hand_with_typed_data_and_refuses_a_second_time_with_65()
    {
        string id = await StartAsync();

        var first = await Cli(id, "milestone", "shipped_v1", "--data", "version=1.0.0", "--data", "tickets:=12", "--data", "on_time:=true");
        var again = await Cli(id, "milestone", "shipped_v1");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("shipped_v1\n", first.Stdout);
        Assert.Equal(65, again.ExitCode);
        Assert.Equal($"cfsession: milestone 'shipped_v1' was already reached in session {id}\n", again.Stderr);
        var e = JournalFiles.Single(_dir.Path, "MilestoneReached");
        Assert.Equal("shipped_v1", e.GetString(JournalFields.MilestoneName));
        Assert.Equal("manual", e.GetString("rule_kind"));
        Assert.Equal("1.0.0", e.GetString("version"));
        Assert.Equal(12, e.GetInt64("tickets"));
        Assert.True(e.Fields["on_time"]!.GetValue<bool>());
        var listed = JsonNode.Parse((await Cli(null, "milestones", "--json")).Stdout)!["reached"]!.AsArray();
        Assert.True(Assert.Single(listed)!["manual"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("bad name", "cfsession: malformed milestone name 'bad name': use letters, digits, '_', '-' and '.'\n")]
    [InlineData("ok", "cfsession: malformed --data 'novalue': expected key=text or key:=JSON\n", "--data", "novalue")]
    public async Task Milestone_rejects_a_malformed_name_or_data_with_64(string name, string stderr, params string[] extra)
    {
        string id = await StartAsync();
        var result = await Cli(id, ["milestone", name, .. extra]);
        Assert.Equal(64, result.ExitCode);
        Assert.Equal(stderr, result.Stderr);
    }

    [Fact]
    public async Task Milestone_outside_a_session_opens_a_one_shot_session_and_says_so_on_stderr()
    {
        var result = await Cli(null, "milestone", "x", "--data", "version=1.0");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("x\n", result.Stdout);
        Assert.StartsWith("cfsession: no current session: recorded in a new one-shot session ", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var e = JournalFiles.Single(_dir.Path, "MilestoneReached");
        Assert.Equal("1.0", e.GetString("version"));
        Assert.Single(JournalFiles.ReadSession(_dir.Path, e.SessionId).Events, x => x.Name == SessionEventNames.SessionEnd);
    }

    [Fact]
    public async Task A_malformed_config_is_one_line_with_file_and_line_and_cfsession_run_still_records()
    {
        string path = _dir.Combine(MilestoneConfig.FileName);
        File.WriteAllText(path, "{\n  \"milestones\": [\n    { \"name\": \"x\" \"kind\": \"operations\" }\n  ]\n}\n");

        var list = await Cli(null, "milestones");
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "true"]);

        Assert.Equal(65, list.ExitCode);
        Assert.Matches($"^cfsession: {System.Text.RegularExpressions.Regex.Escape(path)}:3: [^\n]+\n$", list.Stderr);
        Assert.Equal(0, run.ExitCode);
        Assert.Matches($"^cfsession: milestones disabled: {System.Text.RegularExpressions.Regex.Escape(path)}:3: [^\n]+\n", run.Stderr);
        Assert.Equal(0, JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture).GetInt64(JournalFields.ExitCode));
    }

    [Fact]
    public async Task Operations_recorded_by_separate_cfsession_run_processes_reach_an_operation_milestone_once()
    {
        File.WriteAllText(_dir.Combine(MilestoneConfig.FileName), """{ "milestones": [ { "name": "two_ops", "kind": "operations", "count": 2 } ] }""");
        string id = await StartAsync();
        var env = new Dictionary<string, string?> { ["CFSESSION_ID"] = id };
        await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "true"], environment: env);
        Assert.DoesNotContain(JournalFiles.ReadSession(_dir.Path, id).Events, e => e.Name == "MilestoneReached");
        await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "false"], environment: env);
        await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "true"], environment: env);

        var reached = Assert.Single(JournalFiles.ReadSession(_dir.Path, id).Events, e => e.Name == "MilestoneReached");
        Assert.Equal(2, reached.GetInt64("count"));
    }
}
