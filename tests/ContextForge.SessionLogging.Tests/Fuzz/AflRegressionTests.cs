using System.Text;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Fuzz;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Milestones;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Fuzz;

/// <summary>
/// Every input scripts/fuzz-afl.sh (afl++ with SharpFuzz) found crashing, minimised with afl-tmin or by hand, under
/// Fuzz/Regressions/&lt;target&gt;/, goes through the same target code (fuzz/.../FuzzTargets.cs) and must end in a
/// result or the documented one-line error; plus one named test per fix, asserting the exact behaviour.
/// </summary>
[Collection("Console")]
public sealed class AflRegressionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string RegressionsDirectory => Path.Combine(AppContext.BaseDirectory, "Fuzz", "Regressions");

    public static TheoryData<string, string> CrashInputs()
    {
        var data = new TheoryData<string, string>();
        foreach (string dir in Directory.EnumerateDirectories(RegressionsDirectory).Order(StringComparer.Ordinal))
            foreach (string file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void Every_target_has_a_name_the_script_knows_and_each_regression_directory_is_a_target()
    {
        Assert.Equal(["journal-reader", "trace-reader", "redaction-config", "milestones-config", "cli-args", "quantities", "trace-payload"], FuzzTargets.All.Keys);
        Assert.All(Directory.EnumerateDirectories(RegressionsDirectory), d => Assert.Contains(Path.GetFileName(d), FuzzTargets.All.Keys));
    }

    [Theory]
    [MemberData(nameof(CrashInputs))]
    public void Crash_input_found_by_afl_now_ends_in_a_result_or_a_documented_error(string target, string file)
    {
        byte[] input = File.ReadAllBytes(Path.Combine(RegressionsDirectory, target, file));
        var outcome = FuzzTargets.Run(target, input); // a crash is an exception out of here
        Assert.False(string.IsNullOrEmpty(outcome.Detail));
    }

    [Fact]
    public void Option_value_with_a_newline_is_shown_escaped_in_a_one_line_error()
    {
        var ex = Assert.Throws<CliUsageException>(() => Quantities.Duration("15n\ny", "--since"));
        Assert.Equal("--since '15n\\u000ay' is not a duration: use a number and s, m, h, d or w (e.g. 2d)", ex.Message);
        Assert.Equal("--max-size '\\u001b]52;c;x\\u0007' is not a size: use a number and B, KB, MB, GB or TB (e.g. 5GB)",
            Assert.Throws<CliUsageException>(() => Quantities.Size("\u001b]52;c;x\u0007", "--max-size")).Message);
        Assert.Equal("'" + new string('a', 80) + "...'", Quantities.Quote(new string('a', 5000)));
    }

    [Fact]
    public void Duration_with_digits_of_another_script_is_a_usage_error_not_a_format_exception()
    {
        var ex = Assert.Throws<CliUsageException>(() => Quantities.Duration("\u0663d", "--older-than"));
        Assert.StartsWith("--older-than '\u0663d' is not a duration", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CliUsageException>(() => Quantities.Size("\u0663GB", "--max-size"));
    }

    [Fact]
    public void Duration_longer_than_100_years_is_a_usage_error_not_an_overflow()
    {
        Assert.Equal("--since '99999999d' is longer than 36500 days (100 years)", Assert.Throws<CliUsageException>(() => Quantities.Duration("99999999d", "--since")).Message);
        Assert.Throws<CliUsageException>(() => Quantities.Duration("30000000h", "--since"));
        Assert.Equal(TimeSpan.FromDays(36500), Quantities.Duration("36500d", "--since"));
        Assert.Equal(TimeSpan.FromDays(14), Quantities.Duration("2w", "--since"));
        Assert.Equal(TimeSpan.FromSeconds(90), Quantities.Duration("1.5m", "--since"));
    }

    [Fact]
    public async Task History_with_huge_since_or_days_back_exits_64_with_one_line()
    {
        var since = await InProcessCli.RunAsync(_dir.Path, null, "history", "--since", "99999999d");
        Assert.Equal(64, since.ExitCode);
        Assert.Equal("cfsession: --since '99999999d' is longer than 36500 days (100 years)", since.Stderr.Trim());
        var days = await InProcessCli.RunAsync(_dir.Path, null, "history", "--days-back", "99999999");
        Assert.Equal(64, days.ExitCode);
        Assert.Equal("cfsession: --days-back 99999999 is more than 36500 days (100 years)", days.Stderr.Trim());
        var prune = await InProcessCli.RunAsync(_dir.Path, null, "prune", "--older-than", "\u0663d", "--dry-run");
        Assert.Equal(64, prune.ExitCode);
    }

    [Fact]
    public async Task History_with_a_nul_in_cwd_exits_64_not_70()
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, "history", "--cwd", "\0");
        Assert.Equal(64, result.ExitCode);
        Assert.Equal("cfsession: --cwd '\\u0000' is not a directory path", result.Stderr.Trim());
    }

    [Fact]
    public void Journal_line_with_a_carriage_return_is_reported_as_one_printable_line()
    {
        string segment = Path.Combine(_dir.Path, "s" + JournalReader.SegmentExtension);
        File.WriteAllBytes(segment, File.ReadAllBytes(Path.Combine(RegressionsDirectory, "journal-reader", "carriage-return-in-bad-literal")));
        var result = JournalReader.ReadSegment(segment);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalProblemKind.CorruptLine, problem.Kind);
        Assert.Equal("line 1 is not a journal line: 't\\u000d' is an invalid JSON literal. Expected the literal 'true'. LineNumber: 0 | BytePositionInLine: 1.", problem.Message);
        Assert.Equal("plain \\u001b[2J\\u2028 text", JournalReader.Printable("plain \u001b[2J\u2028 text"));
    }

    [Fact]
    public async Task Trace_with_a_corrupt_block_size_is_a_read_error_not_out_of_memory()
    {
        byte[] trace = File.ReadAllBytes(Path.Combine(RegressionsDirectory, "trace-reader", "block-size-out-of-memory"));
        var ex = Assert.Throws<SessionLogging.Tracing.TraceReadException>(() => SessionLogging.Tracing.TraceReader.Read(new MemoryStream(trace), "t.nettrace"));
        Assert.Equal("t.nettrace is not a readable EventPipe trace: a block asks for more memory than is available (a corrupt size field, or a trace too large to read)", ex.Message);
        Assert.IsType<OutOfMemoryException>(ex.InnerException);
        string path = Path.Combine(_dir.Path, "corrupt.nettrace");
        File.WriteAllBytes(path, trace);
        var result = await InProcessCli.RunAsync(_dir.Path, null, "trace", "read", path);
        Assert.Equal(65, result.ExitCode);
        Assert.Equal($"cfsession: {path} is not a readable EventPipe trace: a block asks for more memory than is available (a corrupt size field, or a trace too large to read)", result.Stderr.Trim());
    }

    [Fact]
    public async Task An_at_sign_argument_is_literal_not_a_response_file()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "args.rsp"), "--help");
        var nul = await InProcessCli.RunAsync(_dir.Path, null, "inspect", "@\0\0");
        Assert.Equal(66, nul.ExitCode);
        Assert.Equal("cfsession: '@\\u0000\\u0000' is not a session id or id prefix", nul.Stderr.Trim());
        var file = await InProcessCli.RunAsync(_dir.Path, null, "show", "@" + Path.Combine(_dir.Path, "args.rsp"));
        Assert.Equal(66, file.ExitCode); // the file's "--help" was not read as an argument
    }

    [Fact]
    public async Task A_parse_error_with_a_choice_list_is_one_line()
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, "history", "--group-by", "se");
        Assert.Equal(64, result.ExitCode);
        string stderr = result.Stderr.TrimEnd('\n');
        Assert.DoesNotContain('\n', stderr);
        Assert.StartsWith("cfsession: Argument 'se' not recognized. Must be one of: 'correlation'", stderr, StringComparison.Ordinal);
        Assert.EndsWith("(see 'cfsession --help')", stderr, StringComparison.Ordinal);
        var token = await InProcessCli.RunAsync(_dir.Path, null, "history", "x\u001b[2J");
        Assert.Contains("x\\u001b[2J", token.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(37)]
    [InlineData(39)]
    [InlineData(41)]
    public async Task A_session_argument_of_37_to_40_characters_is_exit_66_not_70(int length)
    {
        string id = new('a', length);
        var result = await InProcessCli.RunAsync(_dir.Path, null, "inspect", id);
        Assert.Equal(66, result.ExitCode);
        string shown = length > 40 ? new string('a', 40) + "..." : id;
        Assert.Equal($"cfsession: '{shown}' ({length} characters) is not a session id or id prefix (at most 36 characters)", result.Stderr.Trim());
    }

    [Fact]
    public async Task A_session_argument_with_a_newline_is_escaped_in_the_one_line_error()
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, "show", "abc\ncfsession: forged");
        Assert.Equal(66, result.ExitCode);
        Assert.Equal("cfsession: 'abc\\u000acfsession: forged' is not a session id or id prefix", result.Stderr.Trim());
    }

    [Fact]
    public void Config_errors_quote_names_and_json_tokens_as_one_printable_line()
    {
        string path = Path.Combine(_dir.Path, MilestoneConfig.FileName);
        File.WriteAllText(path, "{\"milestones\":[{\"name\":\"a\\nb\",\"kind\":\"operations\",\"count\":1}]}");
        Assert.Equal($"{path}:1: milestone name 'a\\u000ab' must be 1-100 letters, digits, '_', '-' and '.'", MilestoneConfig.Load(path).Error);
        File.WriteAllText(path, "{\"\":{\"\":f\n");
        Assert.Equal($"{path}:1: 'f\\u000a' is an invalid JSON literal. Expected the literal 'false'", MilestoneConfig.Load(path).Error);
        var ex = Assert.Throws<RedactionConfigException>(() => SecretRedactor.ParseConfig(Encoding.UTF8.GetBytes("{\"patterns\":[{\"name\":\"a\\nb\",\"regex\":\"x\"}]}"), "redaction.json"));
        Assert.Equal("redaction.json:1: pattern 1 name 'a\\u000ab' must be 1-64 letters, digits, '_' or '-'", ex.Message);
    }

    [Fact]
    public void Config_with_a_lone_surrogate_escape_is_a_one_line_error_not_a_crash()
    {
        string path = Path.Combine(_dir.Path, MilestoneConfig.FileName);
        File.WriteAllText(path, "{\"milestones\\ud800\":[]}");
        var (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.StartsWith($"{path}:1: a string holds an invalid \\u escape (", error, StringComparison.Ordinal);
        var ex = Assert.Throws<RedactionConfigException>(() => SecretRedactor.ParseConfig(Encoding.UTF8.GetBytes("{\"patterns\":[{\"\\ud800\":\"\"}]}"), "redaction.json"));
        Assert.StartsWith("redaction.json:1: a string holds an invalid \\u escape (", ex.Message, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_dir.Path, SecretRedactor.ConfigFileName), "{\"patterns\":[{\"\\ud800\":\"\"}]}");
        _ = SecretRedactor.Load(_dir.Path, out string? loadError);
        Assert.EndsWith("; using the built-in redaction patterns only", loadError, StringComparison.Ordinal);
    }

    [Fact]
    public void Milestones_json_with_invalid_utf8_is_a_one_line_error_not_a_crash()
    {
        string path = Path.Combine(_dir.Path, MilestoneConfig.FileName);
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("{\"milestones\":[\n{\"name\":\""), 0xFF, .. Encoding.UTF8.GetBytes("\",\"kind\":\"achievements\",\"count\":1}]}")]);
        var (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.Equal($"{path}:2: not valid UTF-8 (byte 26)", error);
    }
}
