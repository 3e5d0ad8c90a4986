using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// A <see cref="FactAttribute"/> for tests that need a real tmux. With <c>CFSESSION_SKIP_TMUX=1</c> the test is reported
/// as skipped; otherwise a missing tmux makes it fail (with a message saying what to install), never skip silently.
/// </summary>
public sealed class TmuxFactAttribute : FactAttribute
{
    public TmuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "the pty runner is Linux-only";
        else if (TmuxSession.SkipRequested) Skip = $"{TmuxSession.SkipVariable}=1: the tmux end-to-end tests were asked to be skipped";
    }
}

/// <summary>
/// A private tmux server (its own socket, no config file) with one detached window running an interactive bash, driven
/// as a person would: type with <c>send-keys</c>, read the screen with <c>capture-pane</c>. <c>cfsession</c> is on the
/// shell's PATH (a script that execs <c>dotnet cfsession.dll</c>) and <c>CFSESSION_HOME</c> points at the given
/// directory. Disposing kills the server and everything in it.
/// </summary>
public sealed class TmuxSession : IDisposable
{
    public const string SkipVariable = "CFSESSION_SKIP_TMUX";

    /// <summary>The shell prompt in the pane.</summary>
    public const string Prompt = "cf$ ";

    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(20);
    private static readonly Lazy<string?> s_tmuxPath = new(FindTmux);

    private readonly string _tmux;
    private readonly string _socket;
    private readonly Dictionary<string, string?> _environment;
    private string? _socketPath;
    private bool _disposed;

    public static bool SkipRequested => Environment.GetEnvironmentVariable(SkipVariable)?.Trim() == "1";

    private TmuxSession(string tmux, string socket, Dictionary<string, string?> environment)
    {
        _tmux = tmux;
        _socket = socket;
        _environment = environment;
    }

    /// <summary>The pane's terminal (the outer terminal cfsession sees), e.g. <c>/dev/pts/3</c>.</summary>
    public string PaneTty => Tmux("display-message", "-p", "-t", "t", "#{pane_tty}").Trim();

    /// <summary>The name of the pane's foreground process: <c>bash</c> at the prompt, <c>dotnet</c> while cfsession runs.</summary>
    public string ForegroundCommand => Tmux("display-message", "-p", "-t", "t", "#{pane_current_command}").Trim();

    /// <summary>Starts the server and waits for the first prompt. <paramref name="workDirectory"/> holds the cfsession script and is the shell's cwd.</summary>
    public static async Task<TmuxSession> StartAsync(string cfsessionHome, string workDirectory, int columns = 100, int rows = 30)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The pty end-to-end tests need Linux.");
        string tmux = s_tmuxPath.Value ?? throw new InvalidOperationException(
            "tmux was not found on PATH. The pty end-to-end tests drive cfsession through a real terminal: install it " +
            $"(apt-get install -y tmux) or set {SkipVariable}=1 to skip them.");

        string bin = Path.Combine(workDirectory, "bin");
        Directory.CreateDirectory(bin);
        string script = Path.Combine(bin, "cfsession");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\nexec dotnet '{CfSessionProcess.DllPath}' \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The server (and so every pane) inherits this environment; nothing of an enclosing session may leak in.
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["CFSESSION_HOME"] = cfsessionHome,
            ["CFSESSION_RECOMPACT"] = "off",
            ["CFSESSION_ID"] = null,
            ["CFSESSION_PARENT_ID"] = null,
            ["CFSESSION_PTY"] = null,
            ["TMUX"] = null,
            ["TMUX_PANE"] = null,
            ["DOTNET_NOLOGO"] = "1",
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["LC_ALL"] = "C.UTF-8",
            ["TERM"] = "xterm-256color",
        };
        var session = new TmuxSession(tmux, "cft-" + Guid.NewGuid().ToString("N")[..12], environment);
        try
        {
            // tmux removes PS1 from the environment it gives panes, so it is set by the pane's command itself.
            session.Tmux("-f", "/dev/null", "new-session", "-d", "-x", columns.ToString(CultureInfo.InvariantCulture),
                "-y", rows.ToString(CultureInfo.InvariantCulture), "-s", "t", "-c", workDirectory,
                $"exec env PS1='{Prompt}' HISTFILE=/dev/null bash --norc --noprofile");
            session._socketPath = session.Tmux("display-message", "-p", "#{socket_path}").Trim();
            // Keep the window at the size we set (not the size of whichever client attaches: there is none).
            session.Tmux("set-option", "-g", "window-size", "manual");
            // Should this test process die without disposing (killed on a timeout), the server goes too.
            session.Tmux("run-shell", "-b",
                $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; '{tmux}' -L {session._socket} kill-server; rm -f '{session._socketPath}'");
            await session.WaitForScreenAsync(s => LastLine(s) == Prompt.TrimEnd(), "the first prompt");
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Types <paramref name="text"/> literally (no key names), without pressing Enter.</summary>
    public void Type(string text) => Tmux("send-keys", "-t", "t", "-l", "--", text);

    /// <summary>Presses keys by tmux name: <c>Enter</c>, <c>C-c</c>, ...</summary>
    public void Press(params string[] keys) => Tmux(["send-keys", "-t", "t", .. keys]);

    /// <summary>Types a line and presses Enter.</summary>
    public void TypeLine(string text)
    {
        Type(text);
        Press("Enter");
    }

    /// <summary>The screen (plus scrollback), wrapped lines joined; with <paramref name="escapes"/> colours and attributes as escape sequences.</summary>
    public string Capture(bool escapes = false) =>
        Tmux(escapes ? ["capture-pane", "-p", "-J", "-e", "-S", "-", "-t", "t"] : ["capture-pane", "-p", "-J", "-S", "-", "-t", "t"]);

    /// <summary>Polls the screen until <paramref name="condition"/> holds; returns that screen. Fails showing the last screen.</summary>
    public async Task<string> WaitForScreenAsync(Func<string, bool> condition, string what, bool escapes = false, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? s_defaultTimeout;
        while (true)
        {
            string screen = Capture(escapes);
            if (condition(screen)) return screen;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}. The screen was:\n{screen}");
            await Task.Delay(25);
        }
    }

    /// <summary>Waits until some whole line of the screen matches <paramref name="linePattern"/> (anchored); returns the match.</summary>
    public async Task<Match> WaitForLineAsync(string linePattern, bool escapes = false, TimeSpan? timeout = null)
    {
        var regex = new Regex("^(?:" + linePattern + ")$", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        Match? found = null;
        await WaitForScreenAsync(s => (found = regex.Match(Normalize(s))).Success, $"a line matching /{linePattern}/", escapes, timeout);
        return found!;
    }

    /// <summary>Polls <paramref name="condition"/> (not the screen) until it holds.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        var limit = timeout ?? s_defaultTimeout;
        while (!condition())
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting until {what}. The screen was:\n{Capture()}");
            await Task.Delay(25);
        }
    }

    private int _step;

    /// <summary>
    /// Types <paramref name="commandLine"/> followed by an echo of its exit status, waits until the status is printed
    /// and the prompt is back, and returns the status. For commands that need no further typing.
    /// </summary>
    public async Task<int> RunToPromptAsync(string commandLine, TimeSpan? timeout = null)
    {
        int step = ++_step;
        TypeLine($"{commandLine}; echo \"[step {step} rc=$?]\"");
        return await WaitForStatusAsync(step, timeout);
    }

    /// <summary>Once the shell is back at its prompt (after an interactive command), asks it for <c>$?</c>.</summary>
    public async Task<int> LastStatusAsync()
    {
        await WaitUntilAsync(() => ForegroundCommand == "bash", "the shell is in the foreground again");
        int step = ++_step;
        TypeLine($"echo \"[step {step} rc=$?]\"");
        return await WaitForStatusAsync(step, null);
    }

    private async Task<int> WaitForStatusAsync(int step, TimeSpan? timeout)
    {
        var regex = new Regex($@"^\[step {step} rc=(\d+)\]\n{Regex.Escape(Prompt.TrimEnd())}", RegexOptions.Multiline | RegexOptions.CultureInvariant);
        Match? m = null;
        await WaitForScreenAsync(s => (m = regex.Match(Normalize(s))).Success, $"the exit status of step {step} and the prompt", timeout: timeout);
        return int.Parse(m!.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The <c>stty -a</c> settings of a terminal, read from outside (as root, or as its owner).</summary>
    public static string SttySettings(string tty) => RunTool("stty", ["-F", tty, "-a"], null).Stdout;

    /// <summary>Waits until cfsession has put the pane's terminal in raw mode (ISIG off: typed ^C is a byte for the child's pty).</summary>
    public Task WaitUntilPaneIsRawAsync()
    {
        string tty = PaneTty;
        return WaitUntilAsync(
            () => ForegroundCommand == "dotnet" && Regex.IsMatch(SttySettings(tty), @"(^|\s)-isig(\s|$)", RegexOptions.CultureInvariant),
            "cfsession has put the terminal in raw mode");
    }

    /// <summary>Resizes the window (and so the pane and its terminal, which sends SIGWINCH to the foreground process).</summary>
    public void Resize(int columns, int rows) =>
        Tmux("resize-window", "-t", "t", "-x", columns.ToString(CultureInfo.InvariantCulture), "-y", rows.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Waits until the terminal that a recorder inside the pane gave its child (the first descendant of the pane's
    /// process whose stdin is a terminal other than the pane's) has this size: a resize reaches that terminal through
    /// the recorder's SIGWINCH handler, asynchronously, so a command typed right after <see cref="Resize"/> could race it.
    /// </summary>
    public Task WaitUntilInnerTerminalSizeAsync(int columns, int rows)
    {
        string pane = PaneTty;
        int root = int.Parse(Tmux("display-message", "-p", "-t", "t", "#{pane_pid}").Trim(), CultureInfo.InvariantCulture);
        string expected = $"{rows} {columns}";
        return WaitUntilAsync(() => InnerTerminal(root, pane) is { } tty && RunTool("stty", ["-F", tty, "size"], null).Stdout.Trim() == expected,
            $"the inner terminal is {columns}x{rows}");
    }

    private static string? InnerTerminal(int root, string paneTty)
    {
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out int pid))
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int child)) continue;
                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    string[] after = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (int.Parse(after[1], CultureInfo.InvariantCulture) != pid) continue;
                    var link = new FileInfo(Path.Combine(dir, "fd", "0")).LinkTarget;
                    if (link is not null && link.StartsWith("/dev/pts/", StringComparison.Ordinal) && link != paneTty) return link;
                    pending.Enqueue(child);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
                {
                    // The process went away while we looked: not the one.
                }
            }
        }
        return null;
    }

    /// <summary>Trailing blanks removed from each line (tmux pads), line ends as <c>\n</c>.</summary>
    public static string Normalize(string screen) =>
        string.Join('\n', screen.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()));

    private static string LastLine(string screen) =>
        Normalize(screen).Split('\n').LastOrDefault(l => l.Length > 0) ?? string.Empty;

    private string Tmux(params string[] args)
    {
        var result = RunTool(_tmux, ["-L", _socket, .. args], _environment);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({result.ExitCode}): {result.Stderr.Trim()}");
        return result.Stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunTool(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(10_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 10 s");
        }
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    private static string? FindTmux()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "tmux");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            RunTool(_tmux, ["-L", _socket, "kill-server"], _environment);
            if (_socketPath is not null) File.Delete(_socketPath); // tmux leaves it behind
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
