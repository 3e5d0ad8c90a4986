using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>
/// <c>cfsession run</c> on its pty path, driven as a person would: an interactive bash in a real terminal (a private
/// tmux server per test), commands typed with send-keys, the screen read with capture-pane, then the journal read.
/// Each test has its own tmux socket and data directory, so they are independent of each other.
/// </summary>
public sealed class PtyEndToEndTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Home => _dir.Combine("home");

    private Task<TmuxSession> StartAsync(int columns = 100, int rows = 30)
    {
        Directory.CreateDirectory(Home);
        return TmuxSession.StartAsync(Home, _dir.Path, columns, rows);
    }

    private IReadOnlyList<SessionEvent> Captures() =>
        JournalFiles.SessionIds(Home)
            .SelectMany(id => JournalFiles.ReadSession(Home, id).Events)
            .Where(e => e.Name == SessionEventNames.TerminalCapture)
            .OrderBy(e => e.GetString(JournalFields.StartTime), StringComparer.Ordinal)
            .ToList();

    private SessionEvent SingleCapture() => Assert.Single(Captures());

    [TmuxFact]
    public async Task Child_sees_a_terminal_on_stdin_and_stdout_and_its_output_keeps_the_ptys_CRLF()
    {
        using var tmux = await StartAsync();

        int rc = await tmux.RunToPromptAsync("cfsession run -- sh -c 'test -t 0 && test -t 1 && echo TTY-YES'");

        Assert.Equal(0, rc);
        Assert.Matches(new Regex("^TTY-YES$", RegexOptions.Multiline), TmuxSession.Normalize(tmux.Capture()));
        var e = SingleCapture();
        Assert.Equal("pty", e.GetString(JournalFields.CaptureMode));
        Assert.Equal(0, e.GetInt64(JournalFields.ExitCode));
        Assert.Null(e.GetInt64(JournalFields.Signal));
        Assert.Equal("TTY-YES\r\n", e.GetString(JournalFields.Output));
    }

    [TmuxFact]
    public async Task Colours_reach_the_screen_and_the_journal()
    {
        string listed = _dir.Combine("listed");
        Directory.CreateDirectory(Path.Combine(listed, "blue-dir"));
        await File.WriteAllTextAsync(Path.Combine(listed, "plain-file"), "x");
        using var tmux = await StartAsync();

        int rc = await tmux.RunToPromptAsync($"cfsession run -- ls --color=auto {listed}");

        Assert.Equal(0, rc);
        // On screen: the directory name is drawn blue (tmux re-encodes the attributes, e.g. ESC[1m ESC[34m).
        string screen = tmux.Capture(escapes: true);
        Assert.Matches(new Regex(@"\x1b\[(?:[0-9;]*;)?34(?:;[0-9;]*)?m(?:\x1b\[[0-9;]*m)*blue-dir"), screen);
        string output = SingleCapture().GetString(JournalFields.Output)!;
        Assert.Contains("\u001b[", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"\x1b\[[0-9;]*34m(\x1b\[[0-9;]*m)*blue-dir"), output); // ls's default: directories blue
        Assert.Equal("pty", SingleCapture().GetString(JournalFields.CaptureMode));
    }

    [TmuxFact]
    public async Task Resizing_the_terminal_reaches_the_child()
    {
        using var tmux = await StartAsync(columns: 100, rows: 30);

        tmux.TypeLine("cfsession run -- sh -c 'echo \"inner=$(tty)\"; stty size; read x; stty size'");
        string innerTty = (await tmux.WaitForLineAsync(@"inner=(/dev/pts/\d+)")).Groups[1].Value;
        await tmux.WaitForLineAsync("30 100");
        await tmux.WaitUntilPaneIsRawAsync();

        tmux.Resize(columns: 120, rows: 40);
        // A person would look and then press Enter; wait (without a fixed sleep) until the size has reached the child's terminal.
        await tmux.WaitUntilAsync(() => TmuxSession.SttySettings(innerTty).Contains("rows 40; columns 120;", StringComparison.Ordinal),
            $"{innerTty} is 40 rows by 120 columns");
        tmux.Press("Enter");

        Assert.Equal(0, await tmux.LastStatusAsync());
        Assert.Matches(new Regex("^30 100\n\n?40 120$", RegexOptions.Multiline), TmuxSession.Normalize(tmux.Capture()));
        string output = SingleCapture().GetString(JournalFields.Output)!;
        Assert.Contains("30 100\r\n", output, StringComparison.Ordinal);
        Assert.EndsWith("40 120\r\n", output, StringComparison.Ordinal);
    }

    [TmuxFact]
    public async Task Prompt_and_typed_answer_go_through_the_pty()
    {
        using var tmux = await StartAsync();

        tmux.TypeLine("cfsession run -- sh -c 'printf \"name? \"; read n; echo \"hello $n\"'");
        await tmux.WaitForLineAsync("name\\?");
        tmux.TypeLine("world");

        Assert.Equal(0, await tmux.LastStatusAsync());
        string screen = TmuxSession.Normalize(tmux.Capture());
        Assert.Matches(new Regex("^name\\? world\nhello world$", RegexOptions.Multiline), screen);
        var e = SingleCapture();
        // The child's terminal echoed the answer; the journal has the session as it was seen.
        Assert.Equal("name? world\r\nhello world\r\n", e.GetString(JournalFields.Output));
        Assert.Equal(0, e.GetInt64(JournalFields.ExitCode));
    }

    [TmuxFact]
    public async Task Answer_typed_ahead_before_run_has_started_is_not_lost()
    {
        using var tmux = await StartAsync();

        // Typed in one go, as a paste would: the answer is in the terminal's input queue before cfsession has started.
        tmux.Type("cfsession run -- sh -c 'read a; echo \"got [$a]\"'\rearly\r");

        await tmux.WaitForLineAsync(@"got \[early\]", timeout: TimeSpan.FromSeconds(10));
        Assert.Equal(0, await tmux.LastStatusAsync());
        Assert.EndsWith("got [early]\r\n", SingleCapture().GetString(JournalFields.Output), StringComparison.Ordinal);
    }

    [TmuxFact]
    public async Task Ctrl_D_typed_on_the_terminal_ends_the_childs_input()
    {
        using var tmux = await StartAsync();

        tmux.TypeLine("cfsession run -- cat");
        await tmux.WaitUntilPaneIsRawAsync();
        tmux.TypeLine("abc");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).Contains("\nabc\nabc\n", StringComparison.Ordinal), "the line echoed by the pty, then by cat");
        tmux.Press("C-d");

        Assert.Equal(0, await tmux.LastStatusAsync());
        var e = SingleCapture();
        Assert.Equal("abc\r\nabc\r\n", e.GetString(JournalFields.Output));
        Assert.Equal(0, e.GetInt64(JournalFields.ExitCode));
    }

    [TmuxFact]
    public async Task Ctrl_C_typed_on_the_terminal_interrupts_the_child_and_run_exits_130()
    {
        using var tmux = await StartAsync();

        tmux.TypeLine("cfsession run -- sleep 30");
        await tmux.WaitUntilPaneIsRawAsync();
        tmux.Press("C-c");

        Assert.Equal(130, await tmux.LastStatusAsync());
        var e = SingleCapture();
        Assert.Equal(2, e.GetInt64(JournalFields.Signal));
        Assert.Equal(130, e.GetInt64(JournalFields.ExitCode));
        Assert.Equal("pty", e.GetString(JournalFields.CaptureMode));
        Assert.InRange(e.GetDouble(JournalFields.DurationMs)!.Value, 0, 20_000);
    }

    [TmuxFact]
    public async Task Terminal_mode_is_restored_after_a_run_and_after_an_interrupted_run()
    {
        using var tmux = await StartAsync();
        string before = _dir.Combine("before.txt"), afterRun = _dir.Combine("after-run.txt"), afterInterrupt = _dir.Combine("after-interrupt.txt");

        Assert.Equal(0, await tmux.RunToPromptAsync($"stty -g > {before}"));
        Assert.Equal(0, await tmux.RunToPromptAsync("cfsession run -- true"));
        Assert.Equal(0, await tmux.RunToPromptAsync($"stty -g > {afterRun}"));
        tmux.TypeLine("cfsession run -- sleep 30");
        await tmux.WaitUntilPaneIsRawAsync();
        tmux.Press("C-c");
        Assert.Equal(130, await tmux.LastStatusAsync());
        Assert.Equal(0, await tmux.RunToPromptAsync($"stty -g > {afterInterrupt}"));

        string expected = (await File.ReadAllTextAsync(before)).Trim();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, (await File.ReadAllTextAsync(afterRun)).Trim());
        Assert.Equal(expected, (await File.ReadAllTextAsync(afterInterrupt)).Trim());

        // Cooked mode for real: the terminal itself echoes what is typed and ends the line on Enter.
        tmux.TypeLine("read -r line; echo \"got:$line\"");
        // At the prompt readline keeps the terminal non-canonical; canonical with echo means `read` is running.
        string paneTty = tmux.PaneTty;
        await tmux.WaitUntilAsync(() => HasFlags(TmuxSession.SttySettings(paneTty), "icanon", "echo", "isig", "icrnl", "opost"),
            "the shell is running `read` on a cooked terminal");
        tmux.Type("typed-by-hand");
        await tmux.WaitForLineAsync("typed-by-hand");
        tmux.Press("Enter");
        await tmux.WaitForLineAsync("got:typed-by-hand");
        Assert.Equal(2, Captures().Count);
    }

    [TmuxFact]
    public async Task Exit_code_of_the_command_is_the_exit_code_of_run_on_a_terminal()
    {
        using var tmux = await StartAsync();

        Assert.Equal(5, await tmux.RunToPromptAsync("cfsession run -- sh -c 'exit 5'"));

        var e = SingleCapture();
        Assert.Equal(5, e.GetInt64(JournalFields.ExitCode));
        Assert.Null(e.GetInt64(JournalFields.Signal));
        Assert.Equal("pty", e.GetString(JournalFields.CaptureMode));
    }

    private static bool HasFlags(string sttyAll, params string[] flags) =>
        flags.All(f => Regex.IsMatch(sttyAll, $@"(^|\s){f}(\s|$)", RegexOptions.CultureInvariant));
}
