using System.Diagnostics;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// The apt Chromium (pinned by scripts/install-deps.sh) run headless as a real child process: the DOM after load
/// (scripts run), the console messages it logged (CSP violations are console messages), and screenshots.
/// </summary>
public static class HeadlessChromium
{
    public const string Executable = "/usr/bin/chromium";

    public sealed record Page(string Dom, IReadOnlyList<string> ConsoleMessages);

    /// <summary>Loads <paramref name="url"/> and returns the DOM once loaded, with every console message.</summary>
    public static async Task<Page> DumpDomAsync(string url)
    {
        var (stdout, stderr) = await RunAsync("--dump-dom", "--enable-logging=stderr", "--v=0", url);
        var console = stderr.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        return new Page(stdout, console);
    }

    /// <summary>Writes a PNG screenshot of <paramref name="url"/> at <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static async Task ScreenshotAsync(string url, string png, int width = 1200, int height = 900)
    {
        await RunAsync($"--screenshot={png}", $"--window-size={width},{height}", "--hide-scrollbars", url);
        Assert.True(File.Exists(png), $"chromium wrote no screenshot to {png}");
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run scripts/install-deps.sh");
        string profile = Path.Combine(Path.GetTempPath(), "cf-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Tests run as root in CI, where Chromium's sandbox cannot start.
        foreach (string a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-extensions", $"--user-data-dir={profile}" }.Concat(args))
            start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 120 s");
            }
            return (await stdout, await stderr);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
