using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Cli.Report;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Report;

/// <summary>
/// <c>cfsession report</c> end to end: real sessions recorded with <c>run</c> (real child processes) holding hostile
/// output, the HTML file it writes, and the same file loaded in headless Chromium.
/// </summary>
public sealed partial class ReportCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    /// <summary>A session whose output and command lines try to inject markup and script.</summary>
    private async Task<(string SessionId, string HostileOperation)> RecordHostileSessionAsync()
    {
        string id = await InProcessCli.StartAsync(_dir.Path, "--name", "<script>document.documentElement.setAttribute('data-pwned','name')</script>");
        Assert.Equal(0, (await Cli(id, "run", "--", "sh", "-c", "printf '\\033[1;31mred\\033[0m \\033[38;5;208morange\\033[0m \\033[38;2;10;200;90mtrue\\033[0m \\033[4munder\\033[0m\\n'")).ExitCode);
        var hostile = await Cli(id, "run", "--", "sh", "-c",
            "echo \"<script>document.documentElement.setAttribute('data-pwned','script')</script>\"; " +
            "echo \"</pre><img src=x onerror=\\\"document.documentElement.setAttribute('data-pwned','img')\\\">\"; " +
            "printf '\\033]8;;javascript:document.documentElement.setAttribute(\"data-pwned\",\"link\")\\033\\\\click me\\033]8;;\\033\\\\\\n'; " +
            "printf 'bad utf8: \\377\\376 end\\n'; exit 3");
        Assert.Equal(3, hostile.ExitCode);
        Assert.Equal(0, (await Cli(id, "run", "--", "sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' a; echo")).ExitCode);
        Assert.Equal(0, (await Cli(id, "achievement", "tests_passed", "<b>green</b>", "-e", "passed:=42")).ExitCode);
        Assert.Equal(0, (await Cli(id, "end")).ExitCode);
        string html = await ReportAsync(id);
        string failed = FailedOperation().Match(html).Groups[1].Value;
        return (id, failed);
    }

    private async Task<string> ReportAsync(params string[] selection)
    {
        string file = _dir.Combine("report.html");
        var result = await Cli(null, ["report", .. selection, "-o", file]);
        Assert.Equal(0, result.ExitCode);
        return File.ReadAllText(file);
    }

    [GeneratedRegex("<li class=\"op fail\" id=\"op-([0-9a-f-]{36})\">")]
    private static partial Regex FailedOperation();

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScripts();

    [Fact]
    public async Task Hostile_output_and_names_are_escaped_and_the_page_has_exactly_one_script_and_one_style()
    {
        var (id, _) = await RecordHostileSessionAsync();
        string html = File.ReadAllText(_dir.Combine("report.html"));

        Assert.Single(InlineScripts().Matches(html));
        Assert.Single(Regex.Matches(html, "<style>"));
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("href=\"javascript", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;/pre&gt;&lt;img src=x onerror=&quot;document.documentElement.setAttribute(&#39;data-pwned&#39;,&#39;img&#39;)&quot;&gt;", html);
        Assert.Contains("&lt;script&gt;document.documentElement.setAttribute(&#39;data-pwned&#39;,&#39;script&#39;)&lt;/script&gt;", html);
        Assert.Contains("click me", html);
        Assert.Contains("bad utf8: \uFFFD\uFFFD end", html);
        Assert.Contains("<span class=\"c-fg-1 b\">red</span>", html);
        Assert.Contains("<strong>ACH-" + id[..8] + "-001</strong> <span class=\"muted\">tests_passed</span> &lt;b&gt;green&lt;/b&gt; <code>{&quot;passed&quot;:42}</code>", html);
    }

    [Fact]
    public async Task The_policy_allows_only_the_pages_own_script_and_style_by_sha256_and_nothing_from_the_network()
    {
        await RecordHostileSessionAsync();
        string html = File.ReadAllText(_dir.Combine("report.html"));

        string script = InlineScripts().Match(html).Groups[1].Value;
        string style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        string policy = Regex.Match(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\">").Groups[1].Value;
        Assert.Equal($"default-src 'none'; script-src '{ReportHtmlWriter.Sha256(script)}'; style-src '{ReportHtmlWriter.Sha256(style)}'; img-src 'none'; base-uri 'none'; form-action 'none'", policy);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_1_MiB_output_is_cut_at_256_KiB_and_the_page_gives_its_size_and_the_command_that_shows_it()
    {
        var (id, _) = await RecordHostileSessionAsync();
        string html = File.ReadAllText(_dir.Combine("report.html"));

        var cut = Regex.Match(html, "<pre class=\"out\" data-out=\"(\\d+)\"></pre><noscript><p class=\"note\">This output \\(1 MiB\\) is shown with JavaScript; &#39;cfsession show " + id[..8] + " --output [0-9a-f]{8}&#39; prints it.</p></noscript>\n<p class=\"note\">Showing the first 256 KiB of 1 MiB \\(1048577 bytes\\); &#39;cfsession show " + id[..8] + " --output ([0-9a-f]{8})&#39; shows all of it.</p>");
        Assert.True(cut.Success, "no cut note for the 1 MiB output");
        string outputs = Regex.Match(html, "<script type=\"application/json\" id=\"outputs\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using var deferred = System.Text.Json.JsonDocument.Parse(outputs);
        Assert.Equal(new string('a', 256 * 1024), deferred.RootElement[int.Parse(cut.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)].GetString());
    }

    [Fact]
    public async Task In_chromium_no_hostile_script_runs_the_pages_script_runs_and_nothing_is_logged_or_blocked()
    {
        var (_, failed) = await RecordHostileSessionAsync();

        var page = await HeadlessChromium.DumpDomAsync(new Uri(_dir.Combine("report.html")).AbsoluteUri + "#op-" + failed);

        Assert.Matches("<html lang=\"en\" class=\"js\" data-loaded-ms=\"\\d+\">", page.Dom);
        Assert.DoesNotContain("data-pwned=", page.Dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", page.Dom, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript", page.Dom, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(page.ConsoleMessages);
        // The deep link opened the failed operation.
        Assert.Contains($"<li class=\"op fail open\" id=\"op-{failed}\"><a class=\"row\" href=\"#op-{failed}\">", page.Dom);
        // A long output is kept out of the page's markup and put in place when its operation opens.
        string big = Regex.Match(File.ReadAllText(_dir.Combine("report.html")), "id=\"op-([0-9a-f-]{36})\"><a class=\"row\"(?:(?!</li>).)*data-out=", RegexOptions.Singleline).Groups[1].Value;
        var opened = await HeadlessChromium.DumpDomAsync(new Uri(_dir.Combine("report.html")).AbsoluteUri + "#op-" + big);
        Assert.Contains("<pre class=\"out\">" + new string('a', 1000), opened.Dom);
        Assert.Empty(opened.ConsoleMessages);
        string png = _dir.Combine("report.png");
        await HeadlessChromium.ScreenshotAsync(new Uri(_dir.Combine("report.html")).AbsoluteUri, png);
        Assert.True(new FileInfo(png).Length > 10_000);
    }

    [Fact]
    public async Task All_reports_every_session_oldest_first_and_since_selects_by_start()
    {
        string first = await InProcessCli.StartAsync(_dir.Path, "--name", "first");
        await Cli(first, "run", "--", "echo", "one");
        await Cli(first, "end");
        string second = await InProcessCli.StartAsync(_dir.Path, "--name", "second");
        await Cli(second, "run", "--", "echo", "two");
        await Cli(second, "end");

        string all = await ReportAsync("--all");
        string since = await ReportAsync("--since", "1h");

        Assert.True(all.IndexOf($"id=\"session-{first}\"", StringComparison.Ordinal) < all.IndexOf($"id=\"session-{second}\"", StringComparison.Ordinal));
        Assert.Contains("all sessions: 2 session(s), 2 operation(s), 0 failed.", all);
        Assert.Contains("sessions started in the last 1h: 2 session(s)", since);
    }

    [Fact]
    public async Task A_session_with_since_or_all_is_a_usage_error_an_empty_window_exits_66_and_an_unwritable_file_74()
    {
        string file = _dir.Combine("r.html");
        var none = await Cli(null, "report", "--since", "1d", "-o", file);
        string id = await InProcessCli.StartAsync(_dir.Path);
        await Cli(id, "end");

        var both = await Cli(null, "report", id, "--all", "-o", file);
        var noFile = await Cli(null, "report", id);

        Assert.Equal(66, none.ExitCode);
        Assert.Equal("cfsession: no session started in the last 1d\n", none.Stderr);
        Assert.Equal(64, both.ExitCode);
        Assert.Equal("cfsession: give one of SESSION, --since and --all\n", both.Stderr);
        Assert.Equal(64, noFile.ExitCode);
        Assert.False(File.Exists(file));
        var unwritable = await Cli(null, "report", id, "-o", _dir.Combine("missing", "r.html"));
        Assert.Equal(74, unwritable.ExitCode);
        Assert.StartsWith($"cfsession: cannot write the report to {_dir.Combine("missing", "r.html")}: ", unwritable.Stderr);
    }

    [Fact]
    public async Task Outputs_past_the_budget_are_left_out_and_the_page_says_how_many()
    {
        string id = await InProcessCli.StartAsync(_dir.Path);
        for (int i = 0; i < 3; i++) await Cli(id, "run", "--", "sh", "-c", "head -c 3000 /dev/zero | tr '\\0' x");
        await Cli(id, "end");
        using var queries = ContextForge.SessionLogging.Query.SessionQueries.Open(_dir.Path);

        var report = new SessionReportBuilder(queries, new TimingFileSource(), new ReportLimits(1024, 2500)).Build([id], "test", DateTimeOffset.UtcNow);
        string html = ReportHtmlWriter.Write(report);

        Assert.Equal(1, report.OperationsWithOutputLeftOut);
        Assert.Contains("The output of 1 operation(s) is left out: the report&#39;s output budget of 2.4 KiB was spent.", html);
        Assert.Equal(2, Regex.Matches(html, "<pre class=\"out\">x{1024}</pre>").Count);
        Assert.Contains("left out: the report&#39;s output budget is spent.", html);
    }

    [Fact]
    public async Task A_capture_with_recorded_timing_says_so_and_one_without_has_no_timing()
    {
        string id = await InProcessCli.StartAsync(_dir.Path);
        await Cli(id, "run", "--", "echo", "timed");
        await Cli(id, "run", "--", "echo", "untimed");
        await Cli(id, "end");
        using var queries = ContextForge.SessionLogging.Query.SessionQueries.Open(_dir.Path);
        var operations = queries.Timeline(id).Events.Where(e => e.OperationId is not null).Select(e => e.OperationId!).ToList();
        string timing = Path.Combine(queries.Data.SessionDirectory(id), "timing", operations[0] + ".timing");
        Directory.CreateDirectory(Path.GetDirectoryName(timing)!);
        File.WriteAllText(timing, "0.000100 3\n1.250000 3\nnot a line\n");

        var report = new SessionReportBuilder(queries, new TimingFileSource(), ReportLimits.Default).Build([id], "test", DateTimeOffset.UtcNow);

        var timed = report.Sessions[0].Operations[0].Timing;
        Assert.NotNull(timed);
        Assert.Equal([(0.0001, 3L), (1.25, 3L)], timed.Chunks);
        Assert.Null(report.Sessions[0].Operations[1].Timing);
        Assert.Contains("pty timing recorded (2 chunks over 1.3 s); replay is not bundled in this build", ReportHtmlWriter.Write(report));
    }
}
