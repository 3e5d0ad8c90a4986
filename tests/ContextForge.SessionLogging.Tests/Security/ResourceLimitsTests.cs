using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Milestones;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Security;

/// <summary>
/// Security item 4 of docs/reliability.md ("Resource limits"): every command-line input a user controls has a limit
/// and beyond it one line naming the input, its size and the limit, exit 64 (66 for a session id); configuration
/// files and trace payloads another process writes are bounded and reported, never an internal error (exit 70).
/// </summary>
public sealed class ResourceLimitsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(params string[] args) => InProcessCli.RunAsync(_dir.Path, null, args);

    private static void AssertOneLine(InProcessCli.Result result, int code, string message)
    {
        Assert.Equal(code, result.ExitCode);
        Assert.Equal("cfsession: " + message + "\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.Equal(string.Empty, result.Stdout);
    }

    [Fact]
    public async Task Achievement_text_and_evidence_over_their_limits_are_usage_errors()
    {
        AssertOneLine(await Cli("achievement", "t", new string('d', InputLimits.MaxDescriptionChars + 1)), 64,
            "the description is 16385 characters long; at most 16384 are accepted");
        AssertOneLine(await Cli("achievement", new string('t', 257), "d"), 64,
            "the achievement type is 257 characters long; at most 256 are accepted");
        AssertOneLine(await Cli(["achievement", "t", "d", .. Enumerable.Range(0, 257).SelectMany(i => new[] { "-e", $"k{i}=v" })]), 64,
            "257 evidence entries given; at most 256 are accepted");
        AssertOneLine(await Cli("achievement", "t", "d", "-e", "k=" + new string('v', InputLimits.MaxEvidenceValueChars + 1)), 64,
            "the value of evidence 'k' is 16385 characters long; at most 16384 are accepted");
        AssertOneLine(await Cli("achievement", "t", "d", "-e", new string('k', 129) + "=1"), 64,
            "an evidence key is 129 characters long; at most 128 are accepted");
        AssertOneLine(await Cli("milestone", new string('m', 101)), 64,
            $"malformed milestone name '{new string('m', 40)}...': 101 characters, at most 100 are accepted");
        AssertOneLine(await Cli("milestone", "m", "-d", new string('k', 129) + "=1"), 64,
            "an evidence key is 129 characters long; at most 128 are accepted");
    }

    [Fact]
    public async Task Session_labels_and_filters_over_their_limits_are_usage_errors()
    {
        AssertOneLine(await Cli("start", "--name", new string('n', 257)), 64, "--name is 257 characters long; at most 256 are accepted");
        AssertOneLine(await Cli("start", "--methodology", new string('m', 257)), 64, "--methodology is 257 characters long; at most 256 are accepted");
        AssertOneLine(await Cli("run", "--type", new string('t', 257), "--", "true"), 64, "--type is 257 characters long; at most 256 are accepted");
        AssertOneLine(await Cli("history", "--command", new string('c', 4097)), 64, "--command is 4097 characters long; at most 4096 are accepted");
        AssertOneLine(await Cli("search", "x", "--name", new string('c', 4097)), 64, "--name is 4097 characters long; at most 4096 are accepted");
        Assert.Empty(JournalFiles.SessionIds(_dir.Path)); // nothing was started or run
    }

    [Fact]
    public async Task Search_queries_over_the_length_or_word_limit_are_usage_errors()
    {
        AssertOneLine(await Cli("search", new string('w', 1025)), 64, "the search query is 1025 characters long; at most 1024 are accepted");
        AssertOneLine(await Cli(["search", .. Enumerable.Range(0, 33).Select(i => "w" + i)]), 64, "33 search words given; at most 32 are accepted");
        var ok = await Cli(["search", .. Enumerable.Range(0, 32).Select(i => "w" + i)]);
        Assert.Equal(0, ok.ExitCode);
    }

    [Theory]
    [InlineData("history --since 99999999999999999999d", "--since '99999999999999999999d' is longer than 36500 days (100 years)")]
    [InlineData("history --since 300000w", "--since '300000w' is longer than 36500 days (100 years)")]
    [InlineData("history --days-back 2000000000", "--days-back 2000000000 is more than 36500 days (100 years)")]
    [InlineData("trace query --days-back 36501", "--days-back 36501 is more than 36500 days (100 years)")]
    [InlineData("prune --dry-run --older-than 40000d", "--older-than '40000d' is longer than 36500 days (100 years)")]
    [InlineData("prune --dry-run --max-size 99999999999999999999999999TB", "--max-size '99999999999999999999999999TB' is larger than 1 PiB")]
    [InlineData("run --max-output 2048TB -- true", "--max-output '2048TB' is larger than 1 PiB")]
    [InlineData("trace attach 1 --duration 1e300s", "--duration '1e300s' is longer than 36500 days (100 years)")]
    [InlineData("trace attach 1 --buffer-mb 4097", "--buffer-mb must be between 1 and 4096")]
    [InlineData("history --limit -1", "--limit must be 0 or more")]
    [InlineData("sessions --limit -1", "--limit must be 0 or more")]
    [InlineData("bench --iterations 10000001", "--iterations must be between 1 and 10000000, not 10000001")]
    public async Task Durations_and_sizes_beyond_their_limits_are_usage_errors_not_internal_errors(string commandLine, string message)
    {
        AssertOneLine(await Cli(commandLine.Split(' ')), 64, message);
    }

    [Fact]
    public async Task A_session_id_longer_than_a_uuid_is_refused_with_exit_66_in_one_short_line()
    {
        string huge = new('a', 100_000);
        AssertOneLine(await Cli("show", huge), 66, $"'{new string('a', 40)}...' (100000 characters) is not a session id or id prefix (at most 36 characters)");
        var fromEnvironment = await InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = huge }, "achievement", "t", "d");
        AssertOneLine(fromEnvironment, 66, $"'{new string('a', 40)}...' (100000 characters) is not a session id or id prefix (at most 36 characters)");
    }

    [Fact]
    public async Task A_parent_operation_id_that_is_not_a_uuid_is_ignored_with_a_notice()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "true"],
            environment: new Dictionary<string, string?> { ["CFSESSION_PARENT_ID"] = new string('p', 5000) });
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("cfsession: CFSESSION_PARENT_ID is not an operation id (5000 characters); ignored\n", run.Stderr.ReplaceLineEndings("\n"));
        var capture = JournalFiles.Single(_dir.Path, "TerminalCapture");
        Assert.Null(capture.GetString("parent_operation_id"));
    }

    [Fact]
    public void Milestones_json_over_its_size_count_or_description_limits_is_one_error_and_no_milestones()
    {
        string path = _dir.Combine(MilestoneConfig.FileName);
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("{\"milestones\": [" + new string(' ', InputLimits.MaxConfigFileBytes) + "]}"));
        var (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.Equal($"{path}: larger than 262144 bytes ({new FileInfo(path).Length}); no milestones are checked", error);

        var rules = Enumerable.Range(0, 257).Select(i => $"  {{\"name\": \"m{i}\", \"kind\": \"operations\", \"count\": 1}}");
        File.WriteAllText(path, "{\"milestones\": [\n" + string.Join(",\n", rules) + "\n]}");
        (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.Equal($"{path}:258: more than 256 milestones", error);

        File.WriteAllText(path, "{\"milestones\": [\n  {\"name\": \"m\", \"kind\": \"operations\", \"count\": 1, \"description\": \"" + new string('d', 1025) + "\"}\n]}");
        (definitions, error) = MilestoneConfig.Load(path);
        Assert.Empty(definitions);
        Assert.Equal($"{path}:2: milestone 'm': \"description\" is longer than 1024 characters", error);

        File.WriteAllText(path, "{\"milestones\": [\n  {\"name\": \"m\", \"kind\": \"operations\", \"count\": 1, \"description\": \"" + new string('d', 1024) + "\"}\n]}");
        (definitions, error) = MilestoneConfig.Load(path);
        Assert.Null(error);
        Assert.Single(definitions);
    }

    [Fact]
    public void Trace_fields_over_the_size_depth_or_count_limit_decode_to_one_fields_error_and_never_throw()
    {
        static string Error(string json, string types = "") =>
            Assert.Single(TracePayload.DecodeFields(json, types)) is { Key: TracePayload.FieldsErrorField, Value: string message } ? message : "(decoded)";

        string big = "{\"a\":\"" + new string('x', InputLimits.MaxTraceFieldsChars) + "\"}";
        Assert.Equal($"Fields JSON of {big.Length} characters is over the 1048576-character limit; not decoded", Error(big));

        string deep = "{\"a\":" + string.Concat(Enumerable.Repeat("[", 20)) + string.Concat(Enumerable.Repeat("]", 20)) + "}";
        Assert.StartsWith("Fields cannot be decoded: ", Error(deep), StringComparison.Ordinal);
        Assert.Contains("depth", Error(deep), StringComparison.OrdinalIgnoreCase);

        string many = "{" + string.Join(",", Enumerable.Range(0, 1025).Select(i => $"\"f{i}\":{i}")) + "}";
        Assert.Equal("Fields holds more than 1024 fields; not decoded", Error(many));
        string most = "{" + string.Join(",", Enumerable.Range(0, 1024).Select(i => $"\"f{i}\":{i}")) + "}";
        Assert.Equal(1024, TracePayload.DecodeFields(most, "").Count());

        Assert.StartsWith("Fields cannot be decoded: ", Error("{\"a\":"), StringComparison.Ordinal);
        Assert.Equal("Fields is a JSON array, not an object; not decoded", Error("[1,2]"));
        Assert.StartsWith("Fields cannot be decoded: ", Error("{\"a\":\"x\"}", "int64"), StringComparison.Ordinal);

        // Decode keeps the rest of the event: the session id and the other payload fields.
        var (session, fields) = TracePayload.Decode(["MilestoneName", "FieldCount", "Fields", "FieldTypes", "SessionId"], ["m", 1, "{bad", "", "s-1"]);
        Assert.Equal("s-1", session);
        Assert.Equal(["MilestoneName", TracePayload.FieldsErrorField], fields.Select(f => f.Key));
    }
}
