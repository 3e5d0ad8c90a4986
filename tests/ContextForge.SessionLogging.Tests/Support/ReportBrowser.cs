using Microsoft.Playwright;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// A report opened in the apt Chromium (scripts/install-deps.sh pins it) driven by Playwright
/// (<c>ExecutablePath=/usr/bin/chromium</c>: no browser of Playwright's own is downloaded): what a person does with the
/// mouse and keyboard, every console message and uncaught error, and every request the page makes.
/// </summary>
public sealed class ReportBrowser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _console = [];
    private readonly List<string> _requests = [];

    private ReportBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, message) => { lock (_console) _console.Add($"{message.Type}: {message.Text}"); };
        page.PageError += (_, error) => { lock (_console) _console.Add("pageerror: " + error); };
        page.Request += (_, request) => { lock (_requests) _requests.Add(request.Url); };
    }

    public IPage Page { get; }

    /// <summary>Every console message and uncaught error so far (a CSP violation is a console error).</summary>
    public IReadOnlyList<string> ConsoleMessages { get { lock (_console) return [.. _console]; } }

    /// <summary>Every URL the page requested, the report file itself included.</summary>
    public IReadOnlyList<string> Requests { get { lock (_requests) return [.. _requests]; } }

    /// <summary>Opens <paramref name="file"/> (plus <paramref name="fragment"/>) and waits for its load event.</summary>
    public static async Task<ReportBrowser> OpenAsync(string file, string fragment = "")
    {
        Assert.True(File.Exists(HeadlessChromium.Executable), $"{HeadlessChromium.Executable} is missing: run scripts/install-deps.sh");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = HeadlessChromium.Executable,
            Headless = true,
            // Tests run as root in CI, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            Timeout = 60_000,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        var opened = new ReportBrowser(playwright, browser, page);
        await page.GotoAsync(new Uri(file).AbsoluteUri + fragment, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        return opened;
    }

    /// <summary>Asserts that nothing was logged and nothing but the report itself was requested.</summary>
    public void AssertQuietAndOffline(string file)
    {
        Assert.Empty(ConsoleMessages);
        string self = new Uri(file).AbsoluteUri;
        Assert.All(Requests, url => Assert.StartsWith(self, url, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }
}
