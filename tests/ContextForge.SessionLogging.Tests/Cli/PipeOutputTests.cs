using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console.Testing;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>
/// Listings read by programs (<c>cfsession sessions | grep bar-session</c>): when stdout is not a terminal, one record
/// per tab-separated line, full ids, nothing wrapped or cut, whatever the width; on a terminal, tables as wide as
/// <c>COLUMNS</c> says.
/// </summary>
public sealed class PipeOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly HistoryGenerator _generator;
    private readonly WrittenSession _bar;

    public PipeOutputTests()
    {
        _generator = new HistoryGenerator(new DataDirectory(_temp.Path), seed: 13);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        _bar = _generator.Write(new SessionSpec("bar-session-with-a-rather-long-name", "command", start,
            [new OperationSpec("echo ok-run-3 and a long tail of arguments that would not fit in eighty columns", 0, "ok\n", "/home/dev/a/deep/project/directory"),
             new OperationSpec("sh -c 'exit 7'", 7, "", "/tmp")],
            [new AchievementSpec("tests_passed", "green", null)], Ended: true, Host: Environment.MachineName));
    }

    public void Dispose() => _temp.Dispose();

    private async Task<(int Code, string Stdout, string Stderr)> Cli(bool terminal, Dictionary<string, string?>? env, params string[] args)
    {
        var output = new TestConsole();
        output.Profile.Width = 80;
        var error = new TestConsole();
        var environment = new Dictionary<string, string?> { ["CFSESSION_HOME"] = _temp.Path };
        if (env is not null) foreach (var (k, v) in env) environment[k] = v;
        int code = await CliApplication.RunAsync(args, new CliContext(output, error, environment, terminal));
        return (code, output.Output, error.Output);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Sessions_piped_to_grep_keep_the_name_and_the_full_id_on_one_line()
    {
        var (code, stdout, _) = await Cli(terminal: false, null, "sessions");
        Assert.Equal(0, code);
        string line = Assert.Single(Lines(stdout), l => l.Contains("bar-session", StringComparison.Ordinal));
        string[] columns = line.Split('\t');
        Assert.Equal(_bar.Id, columns[0]);
        Assert.Equal("bar-session-with-a-rather-long-name", columns[1]);
        Assert.Equal(8, columns.Length);
        Assert.DoesNotContain('…', stdout);
        Assert.DoesNotContain('─', stdout);
    }

    [Fact]
    public async Task History_piped_to_grep_keeps_each_command_whole_on_one_line()
    {
        var (code, stdout, _) = await Cli(terminal: false, null, "history");
        Assert.Equal(0, code);
        string line = Assert.Single(Lines(stdout), l => l.Contains("ok-run-3", StringComparison.Ordinal));
        Assert.Equal(["op", "echo ok-run-3 and a long tail of arguments that would not fit in eighty columns", "0"], line.Split('\t')[2..5]);
        Assert.EndsWith("\t/home/dev/a/deep/project/directory", line, StringComparison.Ordinal);
        Assert.Contains(_bar.Id, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_by_default_lists_commands_and_achievements_and_session_lines_only_with_k_session()
    {
        var (_, stdout, _) = await Cli(terminal: false, null, "history");
        var events = Lines(stdout).Select(l => l.Split('\t')[2]).ToList();
        Assert.Equal(["achievement", "op", "op"], events.Order(StringComparer.Ordinal));
        var (_, sessions, _) = await Cli(terminal: false, null, "history", "-k", "session");
        Assert.Equal(["end", "start"], Lines(sessions).Select(l => l.Split('\t')[2]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Format_template_prints_each_record_through_its_placeholders()
    {
        var (code, stdout, _) = await Cli(terminal: true, null, "history", "-k", "terminal", "--format", "{exit}\\t{command}|{cwd}");
        Assert.Equal(0, code);
        Assert.Equal(["7\tsh -c 'exit 7'|/tmp", "0\techo ok-run-3 and a long tail of arguments that would not fit in eighty columns|/home/dev/a/deep/project/directory"], Lines(stdout));
    }

    [Fact]
    public async Task Format_template_with_an_unknown_placeholder_is_a_usage_error_in_one_line()
    {
        var (code, stdout, stderr) = await Cli(terminal: false, null, "sessions", "--format", "{nope}");
        Assert.Equal(64, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("cfsession: --format: unknown placeholder '{nope}'", Assert.Single(Lines(stderr)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Columns_environment_sets_the_terminal_table_width()
    {
        var (_, narrow, _) = await Cli(terminal: true, null, "history");
        var (_, wide, _) = await Cli(terminal: true, new() { ["COLUMNS"] = "200" }, "history");
        Assert.All(Lines(narrow), l => Assert.True(l.Length <= 80, l));
        Assert.Contains(wide.Split('\n'), l => l.Contains("echo ok-run-3 and a long tail of arguments that would not fit in eighty columns", StringComparison.Ordinal));
        Assert.DoesNotContain(narrow.Split('\n'), l => l.Contains("echo ok-run-3 and a long tail of arguments that would not fit in eighty columns", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_with_tabs_and_newlines_stays_on_one_line()
    {
        Assert.Equal("a␉b␤c␛[0m", OutputTable.OneLine("a\tb\nc\x1b[0m"));
    }
}

/// <summary>docs/cli.md's synopsis names every command of the command tree.</summary>
public sealed class CliSynopsisTests
{
    [Fact]
    public void Synopsis_lists_every_command()
    {
        var root = CliApplication.BuildRoot(new CliContext(new TestConsole(), new TestConsole()), new System.CommandLine.Option<bool>("--verbose"));
        string doc = File.ReadAllText(Path.Combine(Tracing.TraceTestSupport.RepoRoot, "docs", "cli.md"));
        string synopsis = doc[(doc.IndexOf("```", StringComparison.Ordinal) + 3)..doc.IndexOf("```", doc.IndexOf("```", StringComparison.Ordinal) + 3, StringComparison.Ordinal)];
        var leaves = new List<string>();
        void Walk(System.CommandLine.Command c, string path)
        {
            if (c.Subcommands.Count == 0) leaves.Add(path);
            foreach (var sub in c.Subcommands) Walk(sub, (path + " " + sub.Name).Trim());
        }
        Walk(root, "");
        Assert.True(leaves.Count >= 21, string.Join(", ", leaves));
        Assert.All(leaves, path => Assert.Contains("\ncfsession " + path + " ", synopsis.Replace("\n", " \n", StringComparison.Ordinal), StringComparison.Ordinal));
    }
}
