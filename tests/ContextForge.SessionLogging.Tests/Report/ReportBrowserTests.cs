using ContextForge.SessionLogging.Cli.Report;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Shell;
using ContextForge.SessionLogging.Tests.Support;
using Microsoft.Playwright;

namespace ContextForge.SessionLogging.Tests.Report;

/// <summary>
/// The report used as a person uses it, in the apt Chromium driven by Playwright: clicking an operation, typing a
/// search, following a deep link, replaying a pty capture, switching the theme; each test also asserts that the page
/// logged nothing (no error, no CSP violation) and requested nothing but itself.
/// </summary>
public sealed class ReportBrowserTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<InProcessCli.Result> Cli(string? sessionId, params string[] args) =>
        InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = sessionId }, args);

    private sealed record Recorded(string File, string Failed, string Needle, string Progress, string Pty, int Operations);

    /// <summary>A real session: a failure with colour, a plain output, a progress bar, and a pty capture with its timing.</summary>
    private async Task<Recorded> RecordAsync()
    {
        string id = await InProcessCli.StartAsync(_dir.Path, "--name", "browser demo");
        Assert.Equal(1, (await Cli(id, "run", "--no-pty", "--", "sh", "-c", "printf '\\033[31merror\\033[0m: disk full\\n'; exit 1")).ExitCode);
        Assert.Equal(0, (await Cli(id, "run", "--no-pty", "--", "sh", "-c", "echo a needle in the output")).ExitCode);
        Assert.Equal(0, (await Cli(id, "run", "--no-pty", "--", "sh", "-c", "for i in 10 50 100; do printf '\\r[%3d%%]' $i; done; echo")).ExitCode);
        Assert.Equal(0, (await Cli(id, "run", "--pty", "--", "sh", "-c", "printf 'hello from the pty\\r\\n'; printf 'second frame\\r\\n'")).ExitCode);
        Assert.Equal(0, (await Cli(id, "end")).ExitCode);
        using var queries = SessionQueries.Open(_dir.Path);
        var ops = queries.Timeline(id).Events.Where(e => e.OperationId is not null).Select(e => e.OperationId!).Distinct().ToList();
        Assert.Equal(4, ops.Count);
        // The pty run's timing, written by the recorder's own writer: the first frame at once, the second 0.3 s later.
        using (var timing = new StreamTiming(StreamTiming.PathFor(queries.Data.SessionDirectory(id), ops[3])))
        {
            timing.Add(20);
            Thread.Sleep(300);
            timing.Add(1000);
        }
        string file = _dir.Combine("report.html");
        Assert.Equal(0, (await Cli(null, "report", id, "-o", file)).ExitCode);
        return new Recorded(file, ops[0], ops[1], ops[2], ops[3], ops.Count);
    }

    [Fact]
    public async Task Clicking_an_operation_shows_its_coloured_output_and_clicking_again_hides_it()
    {
        var session = await RecordAsync();
        await using var browser = await ReportBrowser.OpenAsync(session.File);
        var row = browser.Page.Locator($"#op-{session.Failed} > a.row");
        var output = browser.Page.Locator($"#op-{session.Failed} pre.out");

        await row.ClickAsync();
        await Assertions.Expect(output).ToBeVisibleAsync();
        string text = await output.TextContentAsync() ?? "";
        string red = await browser.Page.Locator($"#op-{session.Failed} pre.out span.c-fg-1").TextContentAsync() ?? "";
        string color = await browser.Page.Locator($"#op-{session.Failed} pre.out span.c-fg-1").EvaluateAsync<string>("e => getComputedStyle(e).color");
        await row.ClickAsync();
        await Assertions.Expect(output).ToBeHiddenAsync();

        Assert.Equal("error: disk full\n", text);
        Assert.Equal("error", red);
        Assert.Equal("rgb(185, 28, 28)", color);
        Assert.Equal("1", await browser.Page.Locator($"#op-{session.Failed} .exit").TextContentAsync());
        browser.AssertQuietAndOffline(session.File);
    }

    [Fact]
    public async Task A_progress_bar_shows_its_final_state_in_the_page()
    {
        var session = await RecordAsync();
        await using var browser = await ReportBrowser.OpenAsync(session.File);

        await browser.Page.Locator($"#op-{session.Progress} > a.row").ClickAsync();

        Assert.Equal("[100%]\n", await browser.Page.Locator($"#op-{session.Progress} pre.out").TextContentAsync());
        browser.AssertQuietAndOffline(session.File);
    }

    [Fact]
    public async Task Typing_a_search_leaves_only_the_operations_whose_output_matches()
    {
        var session = await RecordAsync();
        await using var browser = await ReportBrowser.OpenAsync(session.File);
        var box = browser.Page.Locator("#search");

        await box.PressSequentiallyAsync("NEEDLE", new LocatorPressSequentiallyOptions { Delay = 30 });
        await Assertions.Expect(browser.Page.Locator("#search-count")).ToHaveTextAsync("1 of 4 operations match");
        var visible = await browser.Page.Locator("li.op:visible").EvaluateAllAsync<string[]>("es => es.map(e => e.id)");
        await box.FillAsync("");
        await box.PressAsync("Backspace");
        await Assertions.Expect(browser.Page.Locator("#search-count")).ToHaveTextAsync("");

        Assert.Equal(["op-" + session.Needle], visible);
        Assert.Equal(session.Operations, await browser.Page.Locator("li.op:visible").CountAsync());
        browser.AssertQuietAndOffline(session.File);
    }

    [Fact]
    public async Task Replay_plays_a_pty_capture_with_the_bundled_player()
    {
        var session = await RecordAsync();
        await using var browser = await ReportBrowser.OpenAsync(session.File);
        Assert.Equal(0, await browser.Page.Locator(".player").CountAsync());

        await browser.Page.Locator($"#op-{session.Pty} > a.row").ClickAsync();
        Assert.Equal(0, await browser.Page.Locator($"#op-{session.Failed} button.replay").CountAsync());
        await browser.Page.Locator($"#op-{session.Pty} button.replay").ClickAsync();

        var screen = browser.Page.Locator($"#op-{session.Pty} .player .ap-term-text");
        await Assertions.Expect(screen).ToContainTextAsync("hello from the pty", new LocatorAssertionsToContainTextOptions { Timeout = 20_000 });
        await Assertions.Expect(screen).ToContainTextAsync("second frame", new LocatorAssertionsToContainTextOptions { Timeout = 20_000 });
        browser.AssertQuietAndOffline(session.File);
    }

    [Fact]
    public async Task The_theme_button_switches_from_the_system_theme_to_light_dark_and_back()
    {
        var session = await RecordAsync();
        await using var browser = await ReportBrowser.OpenAsync(session.File);
        var button = browser.Page.Locator("#theme");
        async Task<(string Label, string Background)> StateAsync() =>
            (await button.TextContentAsync() ?? "", await browser.Page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));

        var auto = await StateAsync();
        await button.ClickAsync();
        var light = await StateAsync();
        await button.ClickAsync();
        var dark = await StateAsync();
        await button.ClickAsync();
        var back = await StateAsync();

        Assert.Equal(("theme: auto", "rgb(255, 255, 255)"), auto); // Playwright's page prefers the light scheme
        Assert.Equal(("theme: light", "rgb(255, 255, 255)"), light);
        Assert.Equal(("theme: dark", "rgb(17, 24, 39)"), dark);
        Assert.Equal(("theme: auto", "rgb(255, 255, 255)"), back);
        browser.AssertQuietAndOffline(session.File);
    }

    /// <summary>A written report of <paramref name="count"/> operations (the model, not a recording: the page is what is tested).</summary>
    private string WriteLargeReport(int count, out List<string> ids)
    {
        var start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var operations = new List<ReportOperation>();
        ids = [];
        for (int i = 0; i < count; i++)
        {
            string id = Guid.NewGuid().ToString();
            ids.Add(id);
            string text = $"output of step {i}\n";
            operations.Add(new ReportOperation(id, $"make step-{i}", "/src", start.AddSeconds(i), i * 1000, 900, i % 97 == 0 ? 1 : 0,
                i % 97 == 0 ? OperationOutcome.Failed : OperationOutcome.Succeeded, [new ReportOutput("output", text, text.Length, false, null)], null));
        }
        var session = new ReportSession(Guid.NewGuid().ToString(), "big", "interactive", "ended", start, count * 1000.0,
            operations.Count(o => o.Outcome == OperationOutcome.Failed), operations, []);
        string file = _dir.Combine("big.html");
        File.WriteAllText(file, ReportHtmlWriter.Write(new SessionReport("test", start, [session], ReportLimits.Default, 0)));
        return file;
    }

    [Fact]
    public async Task A_deep_link_to_an_operation_not_drawn_yet_opens_it_and_every_row_is_drawn_after_load()
    {
        string file = WriteLargeReport(1000, out var ids);
        await using var browser = await ReportBrowser.OpenAsync(file, "#op-" + ids[950]);

        var target = browser.Page.Locator($"#op-{ids[950]}");
        await Assertions.Expect(target).ToHaveClassAsync("op ok open");
        await Assertions.Expect(target.Locator("pre.out")).ToHaveTextAsync("output of step 950\n");
        await Assertions.Expect(browser.Page.Locator("html")).ToHaveAttributeAsync("data-rendered-ms", new System.Text.RegularExpressions.Regex("^\\d+$"));

        Assert.Equal(1000, await browser.Page.Locator("li.op").CountAsync());
        Assert.True(await target.IsVisibleAsync());
        browser.AssertQuietAndOffline(file);
    }

    [Fact]
    public async Task Search_finds_text_in_outputs_that_were_never_opened_and_following_a_failure_link_opens_it()
    {
        string file = WriteLargeReport(1000, out var ids);
        await using var browser = await ReportBrowser.OpenAsync(file);

        await browser.Page.Locator("#search").PressSequentiallyAsync("step 777\n");
        await Assertions.Expect(browser.Page.Locator("#search-count")).ToHaveTextAsync("1 of 1000 operations match");
        var visible = await browser.Page.Locator("li.op:visible").EvaluateAllAsync<string[]>("es => es.map(e => e.id)");
        await browser.Page.Locator("#search").FillAsync("");
        await Assertions.Expect(browser.Page.Locator("#search-count")).ToHaveTextAsync("");
        await browser.Page.Locator($"nav.failures a[href='#op-{ids[970]}']").ClickAsync();

        Assert.Equal(["op-" + ids[777]], visible);
        Assert.Equal(11, await browser.Page.Locator("nav.failures a").CountAsync());
        await Assertions.Expect(browser.Page.Locator($"#op-{ids[970]}")).ToHaveClassAsync("op fail open");
        await Assertions.Expect(browser.Page.Locator($"#op-{ids[970]} pre.out")).ToBeInViewportAsync();
        browser.AssertQuietAndOffline(file);
    }
}
