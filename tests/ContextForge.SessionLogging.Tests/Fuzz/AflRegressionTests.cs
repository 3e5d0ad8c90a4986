using System.Text;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Fuzz;
using ContextForge.SessionLogging.Milestones;
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
        Assert.Equal("--since '99999999d' is too long: at most 36500d", Assert.Throws<CliUsageException>(() => Quantities.Duration("99999999d", "--since")).Message);
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
        Assert.Equal("cfsession: --since '99999999d' is too long: at most 36500d", since.Stderr.Trim());
        var days = await InProcessCli.RunAsync(_dir.Path, null, "history", "--days-back", "99999999");
        Assert.Equal(64, days.ExitCode);
        Assert.Equal("cfsession: --days-back must be 0 to 36500", days.Stderr.Trim());
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
    public void Milestones_json_with_invalid_utf8_is_a_one_line_error_not_a_crash()
    {
        string path = Path.Combine(_dir.Path, MilestoneConfig.FileName);
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes("{\"milestones\":[\n{\"name\":\""), 0xFF, .. Encoding.UTF8.GetBytes("\",\"kind\":\"achievements\",\"count\":1}]}")]);
        var (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.Equal($"{path}:2: not valid UTF-8 (byte 26)", error);
    }
}
