using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Golden;

/// <summary>
/// The text and <c>--json</c> output of every read command over a fixed recorded history (Golden/data, written by
/// record-fixture.sh with the cfsession of its day and made reproducible by normalize-fixture.py) must stay byte for
/// byte what Golden/expected holds. Set <c>CFSESSION_UPDATE_GOLDEN=1</c> to rewrite the expected files after a
/// deliberate change; the diff then shows exactly what changed for users.
/// </summary>
public sealed partial class GoldenOutputTests
{
    private const string Main = "00000001-0001-4001-8001-000000000001";
    private const string StandaloneEcho = "0000000c-000c-400c-800c-00000000000c";
    private const string StandaloneFail = "0000000f-000f-400f-800f-00000000000f";
    private const string LeftOpen = "00000012-0012-4012-8012-000000000012";
    private const string FailedOperation = "00000005-0005-4005-8005-000000000005";
    private const string BlobOperation = "00000007-0007-4007-8007-000000000007";
    private const string AnsiOperation = "00000006-0006-4006-8006-000000000006";

    /// <summary>
    /// Every case: a file name under Golden/expected and the command line it records. A name ending in <c>-pipe</c>
    /// runs with stdout not a terminal (as <c>cfsession history | grep x</c> sees it: tab-separated lines); every
    /// other case runs as a terminal 200 columns wide.
    /// </summary>
    public static TheoryData<string, string[]> Cases => new()
    {
        { "sessions", ["sessions"] },
        { "sessions-json", ["sessions", "--json"] },
        { "sessions-limit", ["sessions", "--limit", "2"] },
        { "inspect-main", ["inspect", Main] },
        { "inspect-main-json", ["inspect", Main, "--json"] },
        { "inspect-newest-json", ["inspect", "--json"] },
        { "inspect-left-open", ["inspect", LeftOpen] },
        { "inspect-fail-json", ["inspect", StandaloneFail, "--json"] },
        { "history", ["history"] },
        { "history-json", ["history", "--json"] },
        { "history-failed", ["history", "--failed"] },
        { "history-failed-json", ["history", "--failed", "--json"] },
        { "history-session-keyword-json", ["history", "-k", "session", "--json"] },
        { "history-achievements", ["history", "-k", "achievement"] },
        { "history-command-json", ["history", "--command", "echo", "--json"] },
        { "history-session-filter", ["history", "--session", "00000012"] },
        { "history-exit-code", ["history", "--exit-code", "3"] },
        { "history-grouped-json", ["history", "--group-by", "correlation", "--json"] },
        { "history-grouped", ["history", "--group-by", "correlation"] },
        { "search", ["search", "connection refused"] },
        { "search-json", ["search", "connection", "--json"] },
        { "search-context", ["search", "5990", "--context", "2"] },
        { "search-none", ["search", "zzzz-not-there"] },
        { "show-main", ["show", Main] },
        { "show-main-json", ["show", Main, "--json"] },
        { "show-echo", ["show", StandaloneEcho] },
        { "show-output-failed", ["show", Main, "--output", FailedOperation] },
        { "show-output-ansi", ["show", Main, "--output", AnsiOperation] },
        { "show-output-ansi-plain", ["show", Main, "--output", AnsiOperation, "--plain"] },
        { "show-output-ansi-raw", ["show", Main, "--output", AnsiOperation, "--raw"] },
        { "show-output-blob-raw", ["show", Main, "--output", BlobOperation, "--raw"] },
        { "inspect-left-open-json", ["inspect", LeftOpen, "--json"] },
        { "show-output-blob-json", ["show", Main, "--output", BlobOperation, "--json"] },
        { "validate-all", ["validate", "--all"] },
        { "validate-all-json", ["validate", "--all", "--json"] },
        { "validate-main-json", ["validate", Main, "--json"] },
        { "milestones", ["milestones"] },
        { "milestones-json", ["milestones", "--json"] },
        { "prune-keep-last-dry-run", ["prune", "--keep-last", "2", "--dry-run"] },
        { "prune-keep-last-dry-run-json", ["prune", "--keep-last", "2", "--dry-run", "--json"] },
        { "trace-read", ["trace", "read", "{traces}/golden.nettrace"] },
        { "trace-read-json", ["trace", "read", "{traces}/golden.nettrace", "--json"] },
        { "trace-query-json", ["trace", "query", "--dir", "{traces}", "--days-back", "36500", "--json"] },
        { "trace-query", ["trace", "query", "--dir", "{traces}", "--days-back", "36500"] },
        { "error-unknown-session", ["inspect", "ffffffff"] },
        { "error-usage", ["history", "--group-by", "nothing"] },
        { "sessions-pipe", ["sessions"] },
        { "sessions-format-pipe", ["sessions", "--format", "{session}\\t{name}\\t{type}\\t{ended}"] },
        { "history-pipe", ["history"] },
        { "history-session-keyword", ["history", "-k", "session"] },
        { "history-milestones", ["history", "-k", "milestone"] },
        { "history-format", ["history", "--format", "{time}\\t{command}\\t{exit}"] },
        { "history-grouped-pipe", ["history", "--group-by", "correlation"] },
        { "show-main-pipe", ["show", Main] },
        { "search-pipe", ["search", "connection refused"] },
        { "trace-read-pipe", ["trace", "read", "{traces}/golden.nettrace"] },
        { "trace-query-pipe", ["trace", "query", "--dir", "{traces}", "--days-back", "36500"] },
        { "validate-all-pipe", ["validate", "--all"] },
        { "milestones-pipe", ["milestones"] },
        { "inspect-main-pipe", ["inspect", Main] },
        { "error-format-placeholder", ["history", "--format", "{nope}"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Command_output_over_the_golden_history_is_unchanged(string name, string[] args)
    {
        string golden = Path.Combine(AppContext.BaseDirectory, "Golden");
        using var temp = new TempDirectory();
        string data = temp.Combine("data");
        DirectoryTree.Copy(Path.Combine(golden, "data"), data);
        string traces = temp.Combine("traces");
        DirectoryTree.Copy(Path.Combine(golden, "traces"), traces);
        string[] argv = args.Select(a => a.Replace("{traces}", traces, StringComparison.Ordinal)).ToArray();

        var output = new Spectre.Console.Testing.TestConsole();
        output.Profile.Width = 200;
        var error = new Spectre.Console.Testing.TestConsole();
        error.Profile.Width = 200;
        using var raw = new MemoryStream();
        var env = new Dictionary<string, string?> { ["CFSESSION_HOME"] = data };
        int code = await ContextForge.SessionLogging.Cli.CliApplication.RunAsync(argv, new ContextForge.SessionLogging.Cli.CliContext(output, error, env, terminal: !name.EndsWith("-pipe", StringComparison.Ordinal)) { OpenRawOutput = () => new NonClosingStream(raw) });

        string actual = Render(code, output.Output, System.Text.Encoding.UTF8.GetString(raw.ToArray()), error.Output, data, traces);
        string expectedPath = Path.Combine(SourceDirectory(), "expected", name + ".txt");
        if (Environment.GetEnvironmentVariable("CFSESSION_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(expectedPath)!);
            await File.WriteAllTextAsync(expectedPath, actual);
            return;
        }
        string expected = await File.ReadAllTextAsync(Path.Combine(golden, "expected", name + ".txt"));
        Assert.Equal(MaskProbe(expected), MaskProbe(actual));
    }

    /// <summary>The golden form of one run: the exit code, stdout (console, then raw bytes), stderr; paths of the temp copy made stable.</summary>
    /// The two values that describe the moment and process of the query, not the history, are masked.
    private static string Render(int exitCode, string stdout, string rawStdout, string stderr, string data, string traces)
    {
        string text = $"exit: {exitCode}\n--- stdout\n{stdout}\n--- raw stdout\n{rawStdout}\n--- stderr\n{stderr}\n"
            .Replace(traces, "<traces>", StringComparison.Ordinal)
            .Replace(data, "<data>", StringComparison.Ordinal)
            .ReplaceLineEndings("\n");
        text = GeneratedAt().Replace(text, "\"generated_at\": \"<now>\"");
        return DiagnosticSocket().Replace(text, "dotnet-diagnostic-<pid>-socket");
    }

    /// <summary>
    /// The EventPipe probe describes the machine and process running the test, not the history: whether this process
    /// has a diagnostic endpoint (none when diagnostics are off, or when <c>$TMPDIR</c> is too long for a socket path)
    /// and its path, which holds the pid. The text view's paragraph is masked whole, from "EventPipe:" to the next
    /// section rule, however the terminal wrapped it (the pid's digits move the wrap); the JSON's availability and
    /// detail, and the availability in the view for programs, likewise.
    /// </summary>
    private static string MaskProbe(string text)
    {
        text = ProbeParagraph().Replace(text, "EventPipe: <probe>\n");
        text = ProbeLine().Replace(text, "\netw\t<probe>\t");
        text = ProbeAvailable().Replace(text, "\"etw_available\": <probe>");
        return ProbeDetail().Replace(text, "\"probe_detail\": \"<probe>\"");
    }

    /// <summary>The text view's paragraph: its first line, then every line up to the next <c>── </c> rule.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("(?<=\n)(?:EventPipe|ETW): [^\n]*(?:\n(?!── )[^\n]*)*?\n(?=── )")]
    private static partial System.Text.RegularExpressions.Regex ProbeParagraph();

    /// <summary>The same probe in the view for programs: <c>etw MECHANISM available|unavailable ...</c>.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("\netw\t[^\t\n]*\t[^\t\n]*\t")]
    private static partial System.Text.RegularExpressions.Regex ProbeLine();

    [System.Text.RegularExpressions.GeneratedRegex("\"etw_available\": (?:true|false)")]
    private static partial System.Text.RegularExpressions.Regex ProbeAvailable();

    [System.Text.RegularExpressions.GeneratedRegex("\"probe_detail\": \"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial System.Text.RegularExpressions.Regex ProbeDetail();

    [System.Text.RegularExpressions.GeneratedRegex("\"generated_at\": \"[^\"]*\"")]
    private static partial System.Text.RegularExpressions.Regex GeneratedAt();

    [System.Text.RegularExpressions.GeneratedRegex("dotnet-diagnostic-[0-9]+-[0-9]+-socket")]
    private static partial System.Text.RegularExpressions.Regex DiagnosticSocket();

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
