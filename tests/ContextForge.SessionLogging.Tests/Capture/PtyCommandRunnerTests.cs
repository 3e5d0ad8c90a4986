using System.Diagnostics;
using System.Runtime.Versioning;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;
using static ContextForge.SessionLogging.Tests.Capture.RunnerTestContext;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>The native Linux pty runner, with real child processes on a real pseudo-terminal.</summary>
[SupportedOSPlatform("linux")]
public sealed class PtyCommandRunnerTests : IDisposable
{
    private readonly RunnerTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    private Task<CommandOutcome> Run(CommandSpec spec, int stdinFd = -1, CancellationToken cancellationToken = default) =>
        new PtyCommandRunner
        {
            StdinFd = stdinFd < 0 ? _ctx.DevNull : stdinFd,
            DisplayFd = _ctx.DevNull,
            InitialWindowSize = (33, 101),
        }.RunAsync(spec, _ctx.Primary, _ctx.Stderr, cancellationToken);

    [LinuxFact]
    public async Task Child_sees_a_terminal_on_stdin_stdout_and_stderr()
    {
        var outcome = await Run(Spec("sh", "-c", "test -t 0 && test -t 1 && test -t 2 && echo tty"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("pty", outcome.Mode);
        Assert.Equal("tty\r\n", Text(_ctx.Primary));
    }

    [LinuxFact]
    public async Task The_pty_is_the_childs_controlling_terminal()
    {
        var outcome = await Run(Spec("sh", "-c", "echo via-dev-tty > /dev/tty"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("via-dev-tty\r\n", Text(_ctx.Primary));
    }

    [LinuxFact]
    public async Task Newlines_come_back_as_crlf_because_the_pty_keeps_ONLCR()
    {
        var outcome = await Run(Spec("printf", "a\\nb\\n"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("a\r\nb\r\n", Text(_ctx.Primary));
        Assert.Equal(0, _ctx.Stderr.Length);
    }

    [LinuxFact]
    public async Task Stty_size_reports_the_initial_window_size()
    {
        var outcome = await Run(Spec("stty", "size"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("33 101\r\n", Text(_ctx.Primary));
    }

    [LinuxFact]
    public async Task Exit_code_of_the_child_is_returned()
    {
        var outcome = await Run(Spec("sh", "-c", "exit 7"));
        Assert.Equal(7, outcome.ExitCode);
        Assert.Null(outcome.Signal);
    }

    [LinuxFact]
    public async Task A_child_killed_by_a_signal_reports_the_signal_and_128_plus_signal()
    {
        var outcome = await Run(Spec("sh", "-c", "kill -TERM $$"));
        Assert.Equal(15, outcome.Signal);
        Assert.Equal(143, outcome.ExitCode);
    }

    [LinuxFact]
    public async Task Stdin_reaches_the_child_and_its_end_arrives_as_end_of_file()
    {
        int fd = _ctx.OpenFd(_ctx.WriteFile("input.txt", "hello\n"u8.ToArray()), FileAccess.Read);
        // The second read only returns when the runner sends VEOF for the end of our stdin.
        var outcome = await Run(Spec("sh", "-c", "read a; echo \"got:$a\"; if read b; then echo more; else echo eof; fi"), stdinFd: fd);
        Assert.Equal(0, outcome.ExitCode);
        string text = Text(_ctx.Primary);
        Assert.Contains("got:hello\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("eof\r\n", text, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Child_starts_with_no_blocked_signals_and_no_ignored_standard_signals()
    {
        var outcome = await Run(Spec("grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"));
        Assert.Equal(0, outcome.ExitCode);
        var (blocked, ignored) = SignalMasks(Text(_ctx.Primary));
        Assert.Equal(0UL, blocked);
        Assert.Equal(0UL, ignored); // SIGPIPE (13) above all
    }

    [LinuxFact]
    public async Task Binary_output_is_stored_exactly_as_the_pty_delivers_it()
    {
        // No newline in the data, so ONLCR changes nothing; OPOST passes other bytes through.
        byte[] expected = [0xff, 0xfe, 0x80, (byte)'a', 0xc3, 0x28, 0x1b, (byte)'[', (byte)'m'];
        var outcome = await Run(Spec("/usr/bin/printf", @"\xff\xfe\x80a\xc3\x28\x1b[m"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(expected, _ctx.Primary.Head.ToArray());
        Assert.Equal(Sha256(expected), _ctx.Primary.Complete());
    }

    [LinuxFact]
    public async Task Large_output_through_the_pty_is_captured_completely()
    {
        // 2 MB of lines: each "\n" becomes "\r\n" on the pty.
        var outcome = await Run(Spec("sh", "-c", "yes 0123456789abcdef | head -n 131072"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(131072L * 18, _ctx.Primary.Length);
        Assert.NotNull(_ctx.Primary.SpillPath);
    }

    [LinuxFact]
    public async Task Run_ends_when_a_background_job_that_ignores_SIGHUP_keeps_the_pty_open()
    {
        var sw = Stopwatch.StartNew();
        var outcome = await Run(Spec("sh", "-c", "(trap '' HUP; exec sleep 30) & echo done"));
        sw.Stop();
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("done\r\n", Text(_ctx.Primary));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // waiting for the job would take 30 s
    }

    [LinuxFact]
    public async Task Cancellation_signals_the_child_and_ends_the_run()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(Spec("sleep", "30"), cancellationToken: cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // the child alone would take 30 s
    }

    [LinuxFact]
    public async Task Command_not_found_throws_with_exit_code_127_naming_the_command()
    {
        var ex = await Assert.ThrowsAsync<CommandStartException>(() => Run(Spec("cf-no-such-command-xyz")));
        Assert.Equal(127, ex.ExitCode);
        Assert.Contains("cf-no-such-command-xyz", ex.Message, StringComparison.Ordinal);
    }
}
