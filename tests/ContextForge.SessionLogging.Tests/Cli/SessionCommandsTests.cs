using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>start / end / achievement / sessions, in-process with test consoles.</summary>
public sealed class SessionCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    private async Task<string> StartAsync(params string[] extra)
    {
        var start = await Cli(null, ["start", .. extra]);
        Assert.Equal(0, start.ExitCode);
        Assert.Matches("^export CFSESSION_ID=[0-9a-f-]{36}\n$", start.Stdout);
        return start.Stdout.Trim()["export CFSESSION_ID=".Length..];
    }

    [Fact]
    public async Task Start_prints_the_export_line_for_the_shell_and_journals_SessionStart()
    {
        string id = await StartAsync("--name", "fix-login", "--type", "bugfix");

        var start = JournalFiles.ReadSession(_dir.Path, id).Events.Single();
        Assert.Equal(SessionEventNames.SessionStart, start.Name);
        Assert.Equal("fix-login", start.GetString(JournalFields.SessionName));
        Assert.Equal("bugfix", start.GetString(JournalFields.SessionType));
        Assert.Equal($"set -gx CFSESSION_ID {id}", StartCommandLine("fish", id));
    }

    private static string StartCommandLine(string shell, string id) =>
        ContextForge.SessionLogging.Cli.Commands.StartCommand.ExportLine(shell, id);

    [Fact]
    public async Task End_closes_the_current_session_prints_unset_and_refuses_a_second_end_with_65()
    {
        string id = await StartAsync();
        await Cli(id, "achievement", "a", "b");

        var end = await Cli(id, "end");
        var again = await Cli(id, "end");

        Assert.Equal(0, end.ExitCode);
        Assert.Equal("unset CFSESSION_ID\n", end.Stdout);
        Assert.Equal($"cfsession: ended session {id}: 0 operations, 1 achievements\n", end.Stderr);
        var last = JournalFiles.ReadSession(_dir.Path, id).Events[^1];
        Assert.Equal(SessionEventNames.SessionEnd, last.Name);
        Assert.Equal(1, last.GetInt64(JournalFields.AchievementCount));
        Assert.Equal(65, again.ExitCode);
        Assert.Equal($"cfsession: session {id} has already ended\n", again.Stderr);
    }

    [Fact]
    public async Task Achievement_ids_follow_the_seed_format_and_count_from_001()
    {
        string id = await StartAsync();

        var first = await Cli(id, "achievement", "tests_passed", "Login tests green", "--evidence", "passed:=42", "-e", "suite=login", "-e", "flaky:=false", "-e", "ratio:=0.97");
        var second = await Cli(id, "achievement", "build", "built");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal($"ACH-{id[..8]}-001\n", first.Stdout);
        Assert.Equal($"ACH-{id[..8]}-002\n", second.Stdout);
        var logged = JournalFiles.ReadSession(_dir.Path, id).Events.First(e => e.Name == SessionEventNames.AchievementLogged);
        Assert.Equal("{\"passed\":42,\"suite\":\"login\",\"flaky\":false,\"ratio\":0.97}", logged.Fields[JournalFields.Evidence]!.ToJsonString());
        Assert.Equal("Login tests green", logged.GetString(JournalFields.Description));
    }

    [Theory]
    [InlineData("novalue", "cfsession: malformed --evidence 'novalue': expected key=text or key:=JSON\n")]
    [InlineData("=x", "cfsession: malformed --evidence '=x': expected key=text or key:=JSON\n")]
    [InlineData(":=1", "cfsession: malformed --evidence ':=1': expected key=text or key:=JSON\n")]
    [InlineData("n:=abc", "cfsession: malformed --evidence 'n:=': 'abc' is not JSON ('a' is an invalid start of a value); write n=TEXT for text\n")]
    [InlineData("bad key=x", "cfsession: malformed --evidence 'bad key=x': the key may hold letters, digits, '_', '-' and '.'\n")]
    public async Task Malformed_evidence_is_a_one_line_usage_error_and_loses_nothing(string evidence, string message)
    {
        string id = await StartAsync();
        await Cli(id, "achievement", "first", "kept");
        string segmentsBefore = string.Join("\n", Directory.GetFiles(Path.Combine(_dir.Path, "sessions", id), "*.jsonl").Order().Select(File.ReadAllText));

        var bad = await Cli(id, "achievement", "second", "rejected", "--evidence", evidence);

        Assert.Equal(64, bad.ExitCode);
        Assert.Equal(message, bad.Stderr);
        Assert.Equal(string.Empty, bad.Stdout);
        string segmentsAfter = string.Join("\n", Directory.GetFiles(Path.Combine(_dir.Path, "sessions", id), "*.jsonl").Order().Select(File.ReadAllText));
        Assert.Equal(segmentsBefore, segmentsAfter);
        var next = await Cli(id, "achievement", "third", "numbering continues");
        Assert.Equal($"ACH-{id[..8]}-002\n", next.Stdout);
    }

    [Fact]
    public async Task Achievement_outside_a_session_opens_a_one_shot_session_as_run_does_and_says_so_on_stderr()
    {
        var result = await Cli(null, "achievement", "a", "b");

        Assert.Equal(0, result.ExitCode);
        string id = Assert.Single(JournalFiles.SessionIds(_dir.Path));
        Assert.Equal($"ACH-{id[..8]}-001\n", result.Stdout);
        Assert.Equal($"cfsession: no current session: recorded in a new one-shot session {id} (type achievement, ended at once); pass --session or eval \"$(cfsession start)\" to record in an open one\n", result.Stderr);
        var events = JournalFiles.ReadSession(_dir.Path, id).Events.Select(e => e.Name).ToList();
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.AchievementLogged, SessionEventNames.SessionEnd], events);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("validate")]
    [InlineData("inspect")]
    [InlineData("end")]
    public async Task Commands_taking_a_session_default_to_the_current_one_else_the_newest(string command)
    {
        string older = await StartAsync("--name", "older");
        string newer = await StartAsync("--name", "newer");

        string[] args = command == "end" ? [command] : [command, "--json"];
        var current = await Cli(older, args);
        var newest = await Cli(null, args);

        Assert.Equal(0, current.ExitCode);
        Assert.Equal(0, newest.ExitCode);
        if (command == "end")
        {
            Assert.Contains($"ended session {older}", current.Stderr, StringComparison.Ordinal);
            Assert.Contains($"ended session {newer}", newest.Stderr, StringComparison.Ordinal);
            return;
        }
        var (a, b) = (JsonNode.Parse(current.Stdout)!, JsonNode.Parse(newest.Stdout)!);
        switch (command)
        {
            case "show":
                Assert.Equal(older, a["session_id"]!.GetValue<string>());
                Assert.Equal(newer, b["session_id"]!.GetValue<string>());
                break;
            case "inspect":
                Assert.Equal(older, a["session"]!["session_id"]!.GetValue<string>());
                Assert.Equal(newer, b["session"]!["session_id"]!.GetValue<string>());
                break;
            default: // validate reports findings, not ids: one session checked, not all of them
                Assert.Equal(1, a["sessions_checked"]!.GetValue<int>());
                Assert.Equal(1, b["sessions_checked"]!.GetValue<int>());
                break;
        }
    }

    [Fact]
    public async Task Show_without_a_session_and_without_any_recorded_exits_66_in_one_line()
    {
        var result = await Cli(null, "show");
        Assert.Equal(66, result.ExitCode);
        Assert.Equal($"cfsession: no sessions recorded in {_dir.Path} yet: try 'cfsession run -- echo hello'\n", result.Stderr);
    }

    [Fact]
    public async Task Unknown_session_id_fails_with_66_naming_it()
    {
        var result = await Cli(null, "inspect", "deadbeef");

        Assert.Equal(66, result.ExitCode);
        Assert.Equal("cfsession: no session 'deadbeef' in this data directory\n", result.Stderr);
    }

    [Theory]
    [InlineData(new[] { "history", "--limit", "abc" }, "--limit expects a whole number, got 'abc'")]
    [InlineData(new[] { "sessions", "--limit", "99999999999" }, "--limit expects a whole number, got '99999999999'")]
    [InlineData(new[] { "mcp", "--http", "notaport" }, "--http expects a whole number, got 'notaport'")]
    public async Task A_value_that_is_not_a_number_names_the_option_and_what_it_expects_not_a_dotnet_type(string[] args, string expected)
    {
        var result = await Cli(null, args);

        Assert.Equal(64, result.ExitCode);
        Assert.Equal($"cfsession: {expected} (see 'cfsession --help')\n", result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
    }

    [Theory]
    [InlineData(new[] { "histroy" }, "unknown command 'histroy' (did you mean 'history'?)")]
    [InlineData(new[] { "serch", "needle" }, "unknown command 'serch' (did you mean 'search'?)")]
    [InlineData(new[] { "SESSIONS" }, "unknown command 'SESSIONS' (did you mean 'sessions'?)")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "line\nbreak" }, "unknown command 'line\\u000abreak'")]
    public async Task A_mistyped_command_is_named_with_the_nearest_command_when_one_is_close(string[] args, string expected)
    {
        var result = await Cli(null, args);

        Assert.Equal(64, result.ExitCode);
        Assert.Equal($"cfsession: {expected} (see 'cfsession --help')\n", result.Stderr);
    }

    [Fact]
    public async Task Unknown_option_is_a_usage_error_with_64()
    {
        var result = await Cli(null, "sessions", "--bogus");

        Assert.Equal(64, result.ExitCode);
        Assert.StartsWith("cfsession: ", result.Stderr);
        Assert.EndsWith("(see 'cfsession --help')\n", result.Stderr);
    }

    [Fact]
    public async Task Sessions_lists_newest_first_with_counts_and_last_exit_code()
    {
        string older = await StartAsync("--name", "older");
        await Cli(older, "achievement", "a", "b");
        await Cli(older, "end");
        await Task.Delay(20);
        string newer = await StartAsync("--name", "newer");

        var list = await Cli(null, "sessions", "--json");
        var table = await Cli(null, "sessions");

        var array = JsonNode.Parse(list.Stdout)!.AsArray();
        Assert.Equal([newer, older], array.Select(s => s!["session_id"]!.GetValue<string>()));
        Assert.Equal("open", array[0]!["status"]!.GetValue<string>());
        Assert.Equal("ended", array[1]!["status"]!.GetValue<string>());
        Assert.Equal(1, array[1]!["achievement_count"]!.GetValue<int>());
        Assert.Equal(0, array[1]!["operation_count"]!.GetValue<int>());
        Assert.Null(array[1]!["last_exit_code"]);
        Assert.Contains(newer[..8], table.Stdout);
        Assert.True(table.Stdout.IndexOf(newer[..8], StringComparison.Ordinal) < table.Stdout.IndexOf(older[..8], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sessions_on_an_empty_data_directory_says_how_to_start()
    {
        var result = await Cli(null, "sessions");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"cfsession: no sessions recorded in {_dir.Path} yet: try 'cfsession run -- echo hello'\n", result.Stderr);
    }
}
