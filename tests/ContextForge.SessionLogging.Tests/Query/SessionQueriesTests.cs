using System.Diagnostics.Tracing;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.Query;

/// <summary>The public query API over a real data directory and a real SQLite index.</summary>
public sealed partial class SessionQueriesTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();
    private readonly DataDirectory _data;
    private readonly HistoryGenerator _generator;

    public SessionQueriesTests()
    {
        _data = new DataDirectory(_temp.Path);
        _generator = new HistoryGenerator(_data, seed: 11);
    }

    public void Dispose() => _temp.Dispose();

    private WrittenSession Session(string name, DateTimeOffset start, params OperationSpec[] ops) =>
        _generator.Write(new SessionSpec(name, "command", start, ops, [new AchievementSpec("tests_passed", "green", new JsonObject { ["n"] = 1 })], Host: Environment.MachineName));

    private static IEnumerable<string?> Commands(HistoryDocument history) => history.Events.Select(e => e.Fields[JournalFields.OperationName]?.GetValue<string>());

    [Fact]
    public void History_filtered_by_exit_code_returns_only_those_operations()
    {
        Session("build", Now.AddHours(-2), new OperationSpec("make", 2, "error\n", "/src"), new OperationSpec("make test", 0, "ok\n", "/src"));
        Session("deploy", Now.AddHours(-1), new OperationSpec("kubectl apply", 2, "denied\n", "/ops"));
        using var queries = SessionQueries.Open(_data.Root);

        var history = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal, ExitCode = 2 });

        Assert.Equal(["kubectl apply", "make"], Commands(history));
        Assert.All(history.Events, e => Assert.Equal(2L, e.Fields[JournalFields.ExitCode]!.GetValue<long>()));
    }

    [Fact]
    public void History_filtered_by_failed_returns_the_operations_OperationOutcome_calls_failed()
    {
        Session("mixed", Now.AddHours(-1), new OperationSpec("true", 0, "", "/"), new OperationSpec("false", 1, "", "/"), new OperationSpec("grep x", 1, "", "/"));
        using var queries = SessionQueries.Open(_data);

        var failed = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal, Failed = true });
        var all = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal });

        Assert.Equal(["grep x", "false"], Commands(failed));
        Assert.Equal(failed.Count, all.Events.Count(e => OperationOutcome.IsFailed(
            new SessionEvent(e.Event, e.Timestamp, e.SessionId, Guid.Empty, EventLevel.Informational, SessionKeywords.Terminal, e.Fields))));
    }

    [Fact]
    public void History_filtered_by_command_prefix_and_working_directory_combines_with_and()
    {
        Session("a", Now.AddHours(-2), new OperationSpec("dotnet build", 0, "", "/src/api"), new OperationSpec("dotnet test", 0, "", "/src/web"));
        using var queries = SessionQueries.Open(_data);

        var history = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal, Command = "^dotnet", Cwd = "/src/api" });

        Assert.Equal(["dotnet build"], Commands(history));
    }

    [Fact]
    public void Grouped_history_holds_only_the_matching_operations_and_the_session_start_as_a_timestamp()
    {
        var s = Session("grouped", Now.AddHours(-1), new OperationSpec("ok", 0, "", "/"), new OperationSpec("bad", 3, "", "/"));
        using var queries = SessionQueries.Open(_data);

        var grouped = queries.GroupBySession(queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal, ExitCode = 3 }));

        var session = Assert.Single(grouped.Sessions);
        Assert.Equal(s.Id, session.CorrelationId);
        Assert.Equal("grouped", session.SessionName);
        Assert.Equal("ended", session.Status);
        Assert.Equal(["bad"], session.TerminalCaptures.Select(c => c.OperationName));
        Assert.Empty(session.Achievements);
        Assert.True(DateTimeOffset.TryParse(session.SessionStart, out var start));
        Assert.Equal(s.Spec.Start.ToUnixTimeMilliseconds(), start.ToUnixTimeMilliseconds());
        Assert.Equal(System.Text.Json.JsonValueKind.String, JsonNode.Parse(grouped.ToJson())!["sessions"]![0]!["session_start"]!.GetValueKind());
    }

    [Fact]
    public void Sessions_are_listed_newest_start_first_with_their_counts()
    {
        var older = Session("older", Now.AddHours(-3), new OperationSpec("a", 0, "", "/"));
        var newer = Session("newer", Now.AddHours(-1), new OperationSpec("b", 1, "", "/"), new OperationSpec("c", 0, "", "/"));
        using var queries = SessionQueries.Open(_data);

        var list = queries.Sessions(limit: 0).Sessions;

        Assert.Equal([newer.Id, older.Id], list.Select(s => s.SessionId));
        Assert.Equal((2L, 1L, 0L), (list[0].OperationCount, list[0].AchievementCount, list[0].LastExitCode!.Value));
        Assert.Single(queries.Sessions(limit: 1).Sessions);
    }

    [Fact]
    public void Search_returns_operations_whose_output_holds_every_word_with_the_matching_lines_and_context()
    {
        Session("s", Now.AddHours(-1),
            new OperationSpec("curl api", 7, "connecting\nfatal: connection refused\nretrying\n", "/"),
            new OperationSpec("curl web", 0, "connection ok\n", "/"));
        using var queries = SessionQueries.Open(_data);

        var found = queries.Search("connection refused", new HistoryFilter(), contextLines: 1);

        var result = Assert.Single(found.Results);
        Assert.Equal("curl api", result.Operation.Fields[JournalFields.OperationName]!.GetValue<string>());
        var match = Assert.Single(result.Matches);
        Assert.Equal(("output", 2L, "fatal: connection refused"), (match.StreamName, match.LineNumber, match.Text));
        Assert.Equal(["connecting"], match.Before);
        Assert.Equal(["retrying"], match.After);
        Assert.Equal(["connection", "refused"], found.Terms);
    }

    [Fact]
    public void Search_matches_in_a_large_blob_output_and_its_stderr_are_those_of_the_whole_indexed_text()
    {
        // A 200 KiB output (a blob, read in pieces) with coloured, redrawn lines and matches early, late and in stderr.
        var output = new StringBuilder();
        for (int i = 0; i < 4000; i++)
        {
            output.Append(i % 997 == 3 ? $"\u001b[31mwarning\u001b[0m at step {i}\r\n" : $"step {i} progress 50%\rstep {i} done with some padding text\r\n");
        }
        string stderr = "first\nwarning: from stderr\nlast\n";
        Session("big", Now.AddHours(-1), new OperationSpec("build", 1, output.ToString(), "/", stderr));
        using var queries = SessionQueries.Open(_data);

        foreach (var (around, max) in new[] { (2, 3), (0, 1), (5, 20) })
        {
            var result = Assert.Single(queries.Search("warning", new HistoryFilter(), around, max).Results);
            // What the matches were before the lazy reader: every line of each stream's whole render, scanned in order.
            var expected = new List<(string, long, string, string[], string[])>();
            foreach (var (name, text) in new[] { ("output", output.ToString()), ("stderr", stderr) })
            {
                string rendered = ContextForge.SessionLogging.Capture.TerminalRenderer.Render(text);
                string[] lines = (rendered.EndsWith('\n') ? rendered[..^1] : rendered).Split('\n');
                for (int i = 0; i < lines.Length && expected.Count < max; i++)
                {
                    if (lines[i].Contains("warning", StringComparison.OrdinalIgnoreCase))
                        expected.Add((name, i + 1, lines[i], lines[Math.Max(0, i - around)..i], lines[(i + 1)..Math.Min(lines.Length, i + 1 + around)]));
                }
            }
            Assert.Equal(expected, result.Matches.Select(m => (m.StreamName, m.LineNumber, m.Text, m.Before.ToArray(), m.After.ToArray())));
        }
    }

    [Fact]
    public void Search_pages_of_a_common_word_and_a_rare_one_are_the_newest_matching_operations_in_history_order()
    {
        // 'common' in every other output (ranked by walking the events newest first), 'rare' in three (sorted): both
        // pages must be exactly the matching operations in history's order, with any filter and offset.
        for (int s = 0; s < 6; s++)
        {
            var ops = Enumerable.Range(0, 40).Select(i => s * 40 + i)
                .Select(n => new OperationSpec($"op {n}", n % 3 == 0 ? 1 : 0, (n % 2 == 0 ? "a common line\n" : "other text\n") + (n % 97 == 5 ? "a rare line\n" : ""), "/")).ToArray();
            Session($"s{s}", Now.AddHours(-10 + s), ops);
        }
        using var queries = SessionQueries.Open(_data);
        var all = queries.History(new HistoryFilter { Keywords = SessionKeywords.Terminal, Limit = 0 }).Events
            .Select(e => e.Fields[JournalFields.OperationName]!.GetValue<string>()).ToList();
        int N(string name) => int.Parse(name[3..], System.Globalization.CultureInfo.InvariantCulture);

        foreach (var (word, holds) in new (string, Func<int, bool>)[] { ("common", n => n % 2 == 0), ("rare", n => n % 97 == 5) })
        {
            foreach (var (limit, offset, failed) in new[] { (5, 0, false), (7, 11, false), (4, 2, true), (1, 0, true) })
            {
                var expected = all.Where(name => holds(N(name)) && (!failed || N(name) % 3 == 0)).Skip(offset).Take(limit);
                var found = queries.Search(word, new HistoryFilter { Limit = limit, Offset = offset, Failed = failed });
                Assert.Equal(expected, found.Results.Select(r => r.Operation.Fields[JournalFields.OperationName]!.GetValue<string>()));
            }
        }
    }

    [Fact]
    public void Search_reads_an_output_only_when_its_matches_are_asked_for()
    {
        string big = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i} of a long build log with the needle word\n"));
        var older = Session("older", Now.AddHours(-2), new OperationSpec("build one", 0, big, "/"));
        Session("newer", Now.AddHours(-1), new OperationSpec("build two", 0, big, "/"));
        using var queries = SessionQueries.Open(_data);

        var found = queries.Search("needle", new HistoryFilter());
        // The older hit's blob goes away after the search ranked it, before its matches are read.
        foreach (string blob in Directory.GetFiles(Path.Combine(_data.SessionDirectory(older.Id), "blobs"))) File.Delete(blob);

        Assert.Equal(["build two", "build one"], found.Results.Select(r => r.Operation.Fields[JournalFields.OperationName]!.GetValue<string>()));
        Assert.Equal(3, found.Results[0].Matches.Count);
        Assert.Empty(found.Results[1].Matches);
    }

    [Fact]
    public void Timeline_lists_the_session_events_oldest_first_with_its_counts()
    {
        var s = Session("timeline", Now.AddHours(-1), new OperationSpec("one", 0, "", "/"), new OperationSpec("two", 4, "", "/"));
        using var queries = SessionQueries.Open(_data);

        var timeline = queries.Timeline(s.Id);

        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.TerminalCapture, SessionEventNames.TerminalCapture, SessionEventNames.AchievementLogged, SessionEventNames.SessionEnd],
            timeline.Events.Select(e => e.Event));
        Assert.Equal((2L, 1L, 1L), (timeline.OperationCount!.Value, timeline.FailedOperationCount!.Value, timeline.AchievementCount!.Value));
        Assert.Equal("timeline", timeline.SessionName);
    }

    [Fact]
    public void Operation_output_is_found_by_a_unique_prefix_and_reads_back_the_exact_bytes()
    {
        var s = Session("out", Now.AddHours(-1), new OperationSpec("echo", 0, "hello\n", "/", Stderr: "warn\n"));
        using var queries = SessionQueries.Open(_data);

        var output = queries.FindOperationOutput(s.Id, s.OperationIds[0][..8]);

        Assert.NotNull(output);
        Assert.Equal(s.OperationIds[0], output.OperationId);
        Assert.Equal(["output", "stderr"], output.Outputs.Select(o => o.Name));
        using var reader = new StreamReader(output.Outputs[0].OpenRead(), Encoding.UTF8);
        Assert.Equal("hello\n", reader.ReadToEnd());
        Assert.Null(queries.FindOperationOutput(s.Id, "ffffffff"));
    }

    [Fact]
    public void An_operation_prefix_matching_two_operations_is_refused_as_ambiguous()
    {
        var s = Session("two", Now.AddHours(-1), new OperationSpec("a", 0, "", "/"), new OperationSpec("b", 0, "", "/"));
        using var queries = SessionQueries.Open(_data);

        Assert.Throws<AmbiguousOperationException>(() => queries.FindOperationOutput(s.Id, ""));
    }

    [Fact]
    public void Validate_reports_an_achievement_without_evidence_as_an_error()
    {
        var s = _generator.Write(new SessionSpec("noevidence", "command", Now.AddHours(-1), [], [new AchievementSpec("claimed", "no proof", null)], Host: Environment.MachineName));
        Session("fine", Now.AddHours(-2));
        using var queries = SessionQueries.Open(_data);

        var report = queries.Validate();

        Assert.False(report.Valid);
        Assert.Equal(2, report.SessionsChecked);
        var finding = Assert.Single(report.Findings, f => f.Severity == "error");
        Assert.Equal(("achievement_without_evidence", s.Id), (finding.Kind, finding.SessionId));
        Assert.True(queries.Validate(queries.Sessions(0).Sessions.Single(x => x.SessionName == "fine").SessionId).Valid);
    }

    [Fact]
    public void Prune_dry_run_lists_what_prune_then_removes()
    {
        var old = Session("old", Now.AddDays(-100));
        var recent = Session("recent", Now.AddDays(-1));
        using var queries = SessionQueries.Open(_data);

        var dry = queries.Prune(new PruneRules { OlderThan = TimeSpan.FromDays(90), DryRun = true });
        Assert.True(dry.DryRun);
        Assert.Equal([old.Id], dry.Removed.Select(r => r.SessionId));
        Assert.True(Directory.Exists(_data.SessionDirectory(old.Id)));

        var done = queries.Prune(new PruneRules { OlderThan = TimeSpan.FromDays(90) });
        Assert.Equal([old.Id], done.Removed.Select(r => r.SessionId));
        Assert.False(Directory.Exists(_data.SessionDirectory(old.Id)));
        Assert.Equal([recent.Id], queries.Sessions(0).Sessions.Select(s => s.SessionId));
        Assert.Equal(done.BytesFreed, dry.BytesFreed);
    }

    [Fact]
    public void Prune_without_a_rule_is_refused()
    {
        using var queries = SessionQueries.Open(_data);
        Assert.Throws<ArgumentException>(() => queries.Prune(new PruneRules { DryRun = true }));
    }

    [Fact]
    public void Failed_operation_is_a_failed_capture_or_a_capture_with_a_non_zero_exit_code()
    {
        SessionEvent Event(string name, long? exit) => new(name, Now, "s", Guid.Empty, EventLevel.Informational, SessionKeywords.Terminal,
            exit is { } x ? new JsonObject { [JournalFields.ExitCode] = x } : []);
        Assert.True(OperationOutcome.IsFailed(Event(SessionEventNames.TerminalCaptureFailed, null)));
        Assert.True(OperationOutcome.IsFailed(Event(SessionEventNames.TerminalCapture, 2)));
        Assert.False(OperationOutcome.IsFailed(Event(SessionEventNames.TerminalCapture, 0)));
        Assert.False(OperationOutcome.IsFailed(Event(SessionEventNames.TerminalCapture, null)));
        Assert.False(OperationOutcome.IsFailed(Event(SessionEventNames.SessionEnd, 1)));
    }

    /// <summary>Over the golden history: every read command's --json is the API's document, byte for byte.</summary>
    [Theory]
    [InlineData("sessions")]
    [InlineData("history")]
    [InlineData("history-grouped")]
    [InlineData("history-failed")]
    [InlineData("search")]
    [InlineData("show")]
    [InlineData("inspect")]
    [InlineData("validate")]
    [InlineData("prune-dry-run")]
    public async Task The_api_document_is_exactly_what_the_cli_prints(string command)
    {
        const string Main = "00000001-0001-4001-8001-000000000001";
        string data = _temp.Combine("golden");
        DirectoryTree.Copy(Path.Combine(AppContext.BaseDirectory, "Golden", "data"), data);
        string[] args = command switch
        {
            "sessions" => ["sessions", "--json"],
            "history" => ["history", "--json"],
            "history-grouped" => ["history", "--group-by", "correlation", "--json"],
            "history-failed" => ["history", "--failed", "--json"],
            "search" => ["search", "connection", "--json"],
            "show" => ["show", Main, "--json"],
            "inspect" => ["inspect", Main, "--json"],
            "validate" => ["validate", "--all", "--json"],
            _ => ["prune", "--keep-last", "2", "--dry-run", "--json"],
        };
        var printed = await InProcessCli.RunAsync(data, null, args);

        using var queries = SessionQueries.Open(data);
        // The CLI's default kinds: commands, achievements, milestones (session lines with -k session).
        var limit50 = new HistoryFilter { Limit = 50, Keywords = SessionKeywords.Terminal | SessionKeywords.Achievement | SessionKeywords.Milestone };
        string document = command switch
        {
            "sessions" => queries.Sessions(50).ToJson(),
            "history" => queries.History(limit50).ToJson(),
            "history-grouped" => queries.GroupBySession(queries.History(limit50)).ToJson(),
            "history-failed" => queries.History(limit50 with { Failed = true, Keywords = SessionKeywords.Terminal }).ToJson(),
            "search" => queries.Search("connection", new HistoryFilter { Limit = 20 }).ToJson(),
            "show" => queries.Timeline(Main).ToJson(),
            "inspect" => queries.Inspect(Main).ToJson(),
            "validate" => queries.Validate().ToJson(),
            _ => queries.Prune(new PruneRules { KeepLast = 2, DryRun = true }).ToJson(),
        };

        Assert.Equal(Masked(document) + Environment.NewLine, Masked(printed.Stdout));
    }

    /// <summary>The moment a document was made differs between two calls.</summary>
    private static string Masked(string json) => GeneratedAt().Replace(json, "\"generated_at\": \"<now>\"");

    [GeneratedRegex("\"generated_at\": \"[^\"]*\"")]
    private static partial Regex GeneratedAt();
}
