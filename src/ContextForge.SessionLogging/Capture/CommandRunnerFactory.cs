using ContextForge.SessionLogging.Capture.Unix;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Picks the runner for this process. Precedence: <c>forcePty</c> (a command-line flag) over the
/// <c>CFSESSION_PTY</c> environment variable (<c>1</c> / <c>0</c>) over the automatic choice, which is pty when both
/// our stdin and stdout are terminals and pipes otherwise. The native pty and pipe runners need Linux x86_64/arm64;
/// on Windows 10 1809+ a terminal gets the ConPTY runner; everywhere else (Windows pipes, macOS, other
/// architectures) the Process-based pipe runner is used, and its outcome says <c>Mode = "pipes"</c>.
/// </summary>
internal static class CommandRunnerFactory
{
    /// <summary>The environment variable that overrides the automatic choice: 1 = pty, 0 = pipes.</summary>
    internal const string PtyVariable = "CFSESSION_PTY";

    public static ICommandRunner Create(bool? forcePty = null)
    {
        if (OperatingSystem.IsWindowsVersionAtLeast(10, 0, 17763)
            && WantsPty(forcePty, Environment.GetEnvironmentVariable(PtyVariable), () => !Console.IsInputRedirected && !Console.IsOutputRedirected))
        {
            return new Windows.ConPtyCommandRunner();
        }
        if (!LibC.IsSupported) return new ProcessCommandRunner();
        return WantsPty(forcePty, Environment.GetEnvironmentVariable(PtyVariable), () => LibC.IsTerminal(0) && LibC.IsTerminal(1))
            ? new PtyCommandRunner()
            : new PipeCommandRunner();
    }

    /// <summary>
    /// A runner for a host whose stdin and stdout are a protocol channel (<c>cfsession mcp</c>): pipes, nothing shown,
    /// the child's stdin is /dev/null (on Linux; elsewhere the Process-based runner, which shows nothing but
    /// inherits stdin).
    /// </summary>
    public static ICommandRunner CreateUnattended() => LibC.IsSupported
        ? new PipeCommandRunner { StdinFromDevNull = true, StdoutDisplayFd = -1, StderrDisplayFd = -1 }
        : new ProcessCommandRunner { Display = false };

    /// <summary>The choice, given the flag, the variable's value and the terminal test.</summary>
    internal static bool WantsPty(bool? forcePty, string? variable, Func<bool> stdinAndStdoutAreTerminals)
    {
        if (forcePty is { } forced) return forced;
        switch (variable?.Trim())
        {
            case "1": return true;
            case "0": return false;
        }
        return stdinAndStdoutAreTerminals();
    }
}
