using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;
using static ContextForge.SessionLogging.Tests.Capture.RunnerTestContext;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>The native Linux pipe runner, with real child processes.</summary>
[SupportedOSPlatform("linux")]
public sealed class PipeCommandRunnerTests : IDisposable
{
    private readonly RunnerTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    private PipeCommandRunner Runner(int stdinFd = -1) => new()
    {
        StdinFd = stdinFd < 0 ? _ctx.DevNull : stdinFd,
        StdoutDisplayFd = _ctx.DevNull,
        StderrDisplayFd = _ctx.DevNull,
    };

    private Task<CommandOutcome> Run(CommandSpec spec, int stdinFd = -1) =>
        Runner(stdinFd).RunAsync(spec, _ctx.Primary, _ctx.Stderr, CancellationToken.None);

    [LinuxFact]
    public async Task Exit_code_of_the_child_is_returned()
    {
        var outcome = await Run(Spec("sh", "-c", "exit 3"));
        Assert.Equal(3, outcome.ExitCode);
        Assert.Null(outcome.Signal);
        Assert.Equal("pipes", outcome.Mode);
        Assert.True(outcome.ProcessId > 0);
    }

    [LinuxFact]
    public async Task A_child_killed_by_a_signal_reports_the_signal_and_128_plus_signal()
    {
        var outcome = await Run(Spec("sh", "-c", "kill -TERM $$"));
        Assert.Equal(15, outcome.Signal);
        Assert.Equal(143, outcome.ExitCode);
    }

    [LinuxFact]
    public async Task Stdout_and_stderr_are_captured_apart_with_exact_bytes()
    {
        var outcome = await Run(Spec("sh", "-c", "printf 'out1\\n'; printf 'err1' >&2; printf 'out2'; printf '\\nerr2\\n' >&2"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("out1\nout2", Text(_ctx.Primary));
        Assert.Equal("err1\nerr2\n", Text(_ctx.Stderr));
    }

    [LinuxFact]
    public async Task Invalid_utf8_and_nul_bytes_are_kept_exactly_and_hashed()
    {
        byte[] expected = [0xff, 0xfe, 0x00, 0x80, (byte)'a', 0xc3, 0x28, 0x0d, 0x0a, 0xed, 0xa0, 0x80];
        var outcome = await Run(Spec("/usr/bin/printf", @"\xff\xfe\x00\x80a\xc3\x28\r\n\xed\xa0\x80"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(expected, _ctx.Primary.Head.ToArray());
        Assert.Equal(Sha256(expected), _ctx.Primary.Complete());
        Assert.Null(_ctx.Primary.TryGetInlineText());
    }

    [LinuxFact]
    public async Task Generated_binary_file_comes_back_byte_for_byte()
    {
        byte[] content = new byte[300_000];
        new Random(42).NextBytes(content);
        string path = _ctx.WriteFile("random.bin", content);
        var outcome = await Run(Spec("head", "-c", "200000", path));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(200_000, _ctx.Primary.Length);
        Assert.Equal(Sha256(content[..200_000]), _ctx.Primary.Complete());
        using var spilled = BlobStore.OpenPath(_ctx.Primary.SpillPath!); // the spill is the zstd blob-to-be
        using var bytes = new MemoryStream();
        spilled.CopyTo(bytes);
        Assert.Equal(content[..200_000], bytes.ToArray());
    }

    [LinuxFact]
    public async Task Stdin_passes_through_to_the_child_exactly()
    {
        byte[] input = new byte[100_000];
        new Random(3).NextBytes(input);
        int fd = _ctx.OpenFd(_ctx.WriteFile("input.bin", input), FileAccess.Read);
        var outcome = await Run(Spec("cat"), stdinFd: fd);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(input.Length, _ctx.Primary.Length);
        Assert.Equal(Sha256(input), _ctx.Primary.Complete());
    }

    [LinuxFact]
    public async Task Command_not_found_throws_with_exit_code_127_naming_the_command()
    {
        var ex = await Assert.ThrowsAsync<CommandStartException>(() => Run(Spec("cf-no-such-command-xyz", "a")));
        Assert.Equal(127, ex.ExitCode);
        Assert.Contains("cf-no-such-command-xyz", ex.Message, StringComparison.Ordinal);
        Assert.Contains("command not found", ex.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task A_file_that_is_not_executable_throws_with_exit_code_126()
    {
        string path = _ctx.WriteFile("not-executable.sh", "#!/bin/sh\necho hi\n"u8.ToArray());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var ex = await Assert.ThrowsAsync<CommandStartException>(() => Run(Spec(path)));
        Assert.Equal(126, ex.ExitCode);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task A_missing_path_with_a_slash_throws_with_exit_code_127()
    {
        var ex = await Assert.ThrowsAsync<CommandStartException>(() => Run(Spec(Path.Combine(_ctx.Directory, "missing"))));
        Assert.Equal(127, ex.ExitCode);
        Assert.Contains("No such file or directory", ex.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task Child_runs_in_the_given_working_directory_with_the_given_environment()
    {
        Environment.SetEnvironmentVariable("CF_RUNNER_TEST_REMOVED", "present");
        try
        {
            var spec = new CommandSpec("sh", ["-c", "pwd; printf '%s|%s' \"$CF_ADDED\" \"${CF_RUNNER_TEST_REMOVED-unset}\""], _ctx.Directory,
                new Dictionary<string, string?> { ["CF_ADDED"] = "x y", ["CF_RUNNER_TEST_REMOVED"] = null });
            var outcome = await Run(spec);
            Assert.Equal(0, outcome.ExitCode);
            Assert.Equal($"{_ctx.Directory}\nx y|unset", Text(_ctx.Primary));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CF_RUNNER_TEST_REMOVED", null);
        }
    }

    [LinuxFact]
    public async Task Child_starts_with_no_blocked_signals_and_no_ignored_standard_signals()
    {
        // The .NET runtime ignores SIGPIPE; without SETSIGDEF the child would inherit that.
        var outcome = await Run(Spec("grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"));
        Assert.Equal(0, outcome.ExitCode);
        var (blocked, ignored) = SignalMasks(Text(_ctx.Primary));
        Assert.Equal(0UL, blocked);
        Assert.Equal(0UL, ignored); // SIGPIPE (13) above all
    }

    [LinuxFact]
    public async Task A_writer_to_a_closed_pipe_dies_quietly_of_SIGPIPE_like_in_a_shell()
    {
        var outcome = await Run(Spec("sh", "-c", "yes | head -c 5"));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("y\ny\ny", Text(_ctx.Primary));
        Assert.Equal(string.Empty, Text(_ctx.Stderr)); // no "yes: standard output: Broken pipe"
    }

    [LinuxFact]
    public async Task Run_ends_when_a_background_job_keeps_the_output_pipe_open()
    {
        var sw = Stopwatch.StartNew();
        var outcome = await Run(Spec("sh", "-c", "sleep 30 & echo done"));
        sw.Stop();
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("done\n", Text(_ctx.Primary));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // waiting for the job would take 30 s
    }

    [LinuxFact]
    public async Task Cancellation_signals_the_child_and_ends_the_run()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Runner().RunAsync(Spec("sleep", "30"), _ctx.Primary, _ctx.Stderr, cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // the child alone would take 30 s
    }

    [LinuxFact]
    public async Task Output_is_shown_on_the_display_descriptors_as_well_as_captured()
    {
        string outPath = _ctx.WriteFile("shown-out", []);
        string errPath = _ctx.WriteFile("shown-err", []);
        var runner = new PipeCommandRunner
        {
            StdinFd = _ctx.DevNull,
            StdoutDisplayFd = _ctx.OpenFd(outPath, FileAccess.Write),
            StderrDisplayFd = _ctx.OpenFd(errPath, FileAccess.Write),
        };
        await runner.RunAsync(Spec("sh", "-c", "printf 'to out'; printf 'to err' >&2"), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        Assert.Equal("to out", File.ReadAllText(outPath));
        Assert.Equal("to err", File.ReadAllText(errPath));
    }
}
