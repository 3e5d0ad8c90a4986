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
        var data = ReportPageData.Parse(await ReportAsync(id));
        string failed = data.OperationIds.Single(o => data.Row(o)[2].GetString() == "fail");
        return (id, failed);
    }

    private async Task<string> ReportAsync(params string[] selection)
    {
        string file = _dir.Combine("report.html");
        var result = await Cli(null, ["report", .. selection, "-o", file]);
        Assert.Equal(0, result.ExitCode);
        return File.ReadAllText(file);
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScripts();

    [Fact]
    public async Task Hostile_output_is_data_never_markup_and_the_page_has_exactly_one_script_and_one_style()
    {
        var (id, failed) = await RecordHostileSessionAsync();
        string html = File.ReadAllText(_dir.Combine("report.html"));
        var data = ReportPageData.Parse(html);

        Assert.Single(InlineScripts().Matches(html));
        Assert.Single(Regex.Matches(html, "<style>"));
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<script>document", html);
        Assert.DoesNotContain("</pre>", html);
        Assert.DoesNotContain("href=\"javascript", html, StringComparison.OrdinalIgnoreCase);
        // The session name is markup (escaped); outputs and command lines are JSON text.
        Assert.Contains("<h2>&lt;script&gt;document.documentElement.setAttribute(&#39;data-pwned&#39;,&#39;name&#39;)&lt;/script&gt;</h2>", html);
        Assert.Equal(
            "<script>document.documentElement.setAttribute('data-pwned','script')</script>\n" +
            "</pre><img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">\n" +
            "click me\nbad utf8: \uFFFD\uFFFD end\n", data.Text(failed));
        Assert.DoesNotContain(data.Runs(failed), r => r.Link is not null);
        Assert.Contains(data.OperationIds, o => data.Runs(o).Contains(("red", "c-fg-1 b", null)));
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
        // No player without a replayable capture, so no WebAssembly either.
        Assert.DoesNotContain("var AsciinemaPlayer=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_1_MiB_output_is_cut_at_256_KiB_and_the_page_gives_its_size_and_the_command_that_shows_it()
    {
        var (id, _) = await RecordHostileSessionAsync();
        var data = ReportPageData.Parse(File.ReadAllText(_dir.Combine("report.html")));

        string big = data.OperationIds.Single(o => data.Text(o).StartsWith("aaaa", StringComparison.Ordinal));
        Assert.Equal(new string('a', 256 * 1024), data.Text(big));
        Assert.Equal([$"Showing the first 256 KiB of 1 MiB (1048577 bytes); 'cfsession show {id[..8]} --output {big[..8]}' shows all of it."], data.Notes(big));
    }

    [Fact]
    public async Task In_chromium_no_hostile_script_runs_the_pages_script_runs_and_nothing_is_logged_or_blocked()
    {
        var (_, failed) = await RecordHostileSessionAsync();

        var page = await HeadlessChromium.DumpDomAsync(new Uri(_dir.Combine("report.html")).AbsoluteUri + "#op-" + failed);

        Assert.Matches("<html lang=\"en\" class=\"js\" data-rendered-ms=\"\\d+\" data-loaded-ms=\"\\d+\">", page.Dom);
        Assert.DoesNotContain("data-pwned=", page.Dom, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", page.Dom, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript", page.Dom, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(page.ConsoleMessages);
        // The deep link opened the failed operation.
        Assert.Contains($"<li class=\"op fail open\" id=\"op-{failed}\"><a class=\"row\" href=\"#op-{failed}\">", page.Dom);
        // A long output is kept out of the page's markup and put in place when its operation opens.
        var data = ReportPageData.Parse(File.ReadAllText(_dir.Combine("report.html")));
        string big = data.OperationIds.Single(o => data.Text(o).StartsWith("aaaa", StringComparison.Ordinal));
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

        var data = ReportPageData.Parse(html);
        Assert.Equal(1, report.OperationsWithOutputLeftOut);
        Assert.Contains("The output of 1 operation(s) is left out: the report&#39;s output budget of 2.4 KiB was spent.", html);
        Assert.Equal([new string('x', 1024), new string('x', 1024), ""], data.OperationIds.Select(data.Text));
        Assert.Equal($"The output (2.9 KiB) left out: the report's output budget is spent. 'cfsession show {id[..8]} --output {data.OperationIds[2][..8]}' shows it.", Assert.Single(data.Notes(data.OperationIds[2])));
    }

    [Fact]
    public void The_header_links_the_first_20_failures_and_counts_the_rest()
    {
        var start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var operations = Enumerable.Range(0, 30).Select(i => new ReportOperation(Guid.NewGuid().ToString(), $"false {i}", null, start.AddSeconds(i), i * 1000, 10, 1,
            OperationOutcome.Failed, [], null)).ToList();
        var session = new ReportSession(Guid.NewGuid().ToString(), "failing", "interactive", "ended", start, 30_000, 30, operations, []);

        string html = ReportHtmlWriter.Write(new SessionReport("test", start, [session], ReportLimits.Default, 0));

        string nav = Regex.Match(html, "<nav class=\"failures\">(.*?)</nav>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(operations.Take(20).Select(o => "#op-" + o.Id), Regex.Matches(nav, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value));
        Assert.EndsWith("<span class=\"muted\">and 10 more (only failures shows them all)</span>", nav, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_capture_with_recorded_timing_is_replayable_from_data_and_one_without_is_static()
    {
        string id = await InProcessCli.StartAsync(_dir.Path);
        await Cli(id, "run", "--", "echo", "timed");
        await Cli(id, "run", "--", "echo", "untimed");
        await Cli(id, "end");
        using var queries = ContextForge.SessionLogging.Query.SessionQueries.Open(_dir.Path);
        var operations = queries.Timeline(id).Events.Where(e => e.OperationId is not null).Select(e => e.OperationId!).ToList();
        WriteTiming(queries, id, operations[0], "0.000100 3\n1.250000 3\nnot a line\n");

        var report = new SessionReportBuilder(queries, new TimingFileSource(), ReportLimits.Default).Build([id], "test", DateTimeOffset.UtcNow);

        var timed = report.Sessions[0].Operations[0].Timing;
        Assert.NotNull(timed);
        Assert.Equal([(0.0001, 3L), (1.25, 3L)], timed.Chunks);
        Assert.Null(report.Sessions[0].Operations[1].Timing);
        string html = ReportHtmlWriter.Write(report);
        var data = ReportPageData.Parse(html);
        // "timed\n" split at the recorded 3 bytes, each chunk at its time; the rest after the last chunk.
        var cast = data.Body(operations[0]).GetProperty("c");
        Assert.Equal("[[0.0001,\"tim\"],[1.2501,\"ed\\n\"]]", cast.GetProperty("e").GetRawText());
        Assert.Equal(80, cast.GetProperty("w").GetInt32());
        Assert.Equal(4, cast.GetProperty("h").GetInt32());
        Assert.False(data.Body(operations[1]).TryGetProperty("c", out _));
        // The player is inlined, allowed by hash, with 'wasm-unsafe-eval' (its terminal is WebAssembly compiled from inline bytes).
        Assert.Equal(2, InlineScripts().Matches(html).Count);
        Assert.Contains(ReportHtmlWriter.Sha256(PlayerAssets.Script), html);
        Assert.Contains("'wasm-unsafe-eval'; style-src", html);
    }

    [Fact]
    public async Task A_replay_uses_the_terminal_size_the_recorder_kept_and_skips_its_size_lines()
    {
        string id = await InProcessCli.StartAsync(_dir.Path);
        await Cli(id, "run", "--", "echo", "sized");
        await Cli(id, "end");
        using var queries = ContextForge.SessionLogging.Query.SessionQueries.Open(_dir.Path);
        string operation = queries.Timeline(id).Events.First(e => e.OperationId is not null).OperationId!;
        // The shell recorder's format: the start size, chunks, then a resize.
        WriteTiming(queries, id, operation, "r 0.000000 132 40\n0.000100 2\n0.500000 4\nr 0.600000 100 30\n");

        var report = new SessionReportBuilder(queries, new TimingFileSource(), ReportLimits.Default).Build([id], "test", DateTimeOffset.UtcNow);

        var timed = report.Sessions[0].Operations[0].Timing;
        Assert.NotNull(timed);
        Assert.Equal([(0.0001, 2L), (0.5, 4L)], timed.Chunks);
        Assert.Equal((132, 40), timed.Size);
        var cast = ReportPageData.Parse(ReportHtmlWriter.Write(report)).Body(operation).GetProperty("c");
        Assert.Equal("[[0.0001,\"si\"],[0.5001,\"zed\\n\"]]", cast.GetProperty("e").GetRawText());
        Assert.Equal(132, cast.GetProperty("w").GetInt32());
        Assert.Equal(40, cast.GetProperty("h").GetInt32());
    }

    [Fact]
    public async Task A_full_screen_output_is_drawn_at_the_height_the_recorder_kept_not_at_24_rows()
    {
        string id = await InProcessCli.StartAsync(_dir.Path);
        // 40 lines (the last newline scrolls line 01 off a 40-row screen), then the cursor goes home and the top line
        // is redrawn, as a full-screen program does. Drawn at 24 rows, "home" would be line 18 instead of line 02.
        await Cli(id, "run", "--no-pty", "--", "sh", "-c", "for i in $(seq -w 1 40); do printf 'line %s\\n' $i; done; printf '\\033[H\\033[2KTOP'");
        await Cli(id, "end");
        using var queries = ContextForge.SessionLogging.Query.SessionQueries.Open(_dir.Path);
        string operation = queries.Timeline(id).Events.First(e => e.OperationId is not null).OperationId!;
        WriteTiming(queries, id, operation, "r 0.000000 80 40\n0.000100 400\n");

        var report = new SessionReportBuilder(queries, new TimingFileSource(), ReportLimits.Default).Build([id], "test", DateTimeOffset.UtcNow);
        string text = ReportPageData.Parse(ReportHtmlWriter.Write(report)).Text(operation);

        Assert.StartsWith("line 01\nTOP\nline 03\n", text);
        Assert.Contains("\nline 18\n", text);
        Assert.DoesNotContain("line 02", text);
    }

    /// <summary>Writes <paramref name="lines"/> as the recorded timing of <paramref name="operation"/>, where the recorder keeps it.</summary>
    private static void WriteTiming(ContextForge.SessionLogging.Query.SessionQueries queries, string sessionId, string operation, string lines)
    {
        string timing = ContextForge.SessionLogging.Shell.StreamTiming.PathFor(queries.Data.SessionDirectory(sessionId), operation);
        Directory.CreateDirectory(Path.GetDirectoryName(timing)!);
        File.WriteAllText(timing, lines);
    }
}
