using System.Diagnostics;
using System.Runtime.Versioning;
using ContextForge.SessionLogging.Capture.Unix;
using static ContextForge.SessionLogging.Tests.Capture.RunnerTestContext;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>Tests that signal the test host itself, or measure process-wide allocation: nothing may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide (signals, allocation)";
}

/// <summary>
/// A SIGTERM sent to the wrapper (here: to the test host, by the child itself, right after it starts) must not kill
/// the wrapper; it is handed on to the child, whose death by that signal is then reported.
/// </summary>
[Collection(ProcessWideCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class SignalsToTheWrapperTests : IDisposable
{
    private readonly RunnerTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [LinuxFact]
    public async Task Pipe_runner_survives_SIGTERM_and_forwards_it_to_the_child()
    {
        var sw = Stopwatch.StartNew();
        var outcome = await new PipeCommandRunner { StdinFd = _ctx.DevNull, StdoutDisplayFd = _ctx.DevNull, StderrDisplayFd = _ctx.DevNull }
            .RunAsync(Spec("sh", "-c", "kill -TERM $PPID; sleep 30; echo not-forwarded"), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        Assert.Equal(15, outcome.Signal);
        Assert.Equal(143, outcome.ExitCode);
        Assert.Equal(string.Empty, Text(_ctx.Primary));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // an unforwarded signal would take 30 s
    }

    [LinuxFact]
    public async Task Pty_runner_survives_SIGTERM_and_forwards_it_to_the_childs_process_group()
    {
        var sw = Stopwatch.StartNew();
        var outcome = await new PtyCommandRunner { StdinFd = _ctx.DevNull, DisplayFd = _ctx.DevNull }
            .RunAsync(Spec("sh", "-c", "kill -TERM $PPID; sleep 30; echo not-forwarded"), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        Assert.Equal(15, outcome.Signal);
        Assert.Equal(143, outcome.ExitCode);
        Assert.Equal(string.Empty, Text(_ctx.Primary));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), $"took {sw.Elapsed}"); // an unforwarded signal would take 30 s
    }

    [LinuxFact]
    public async Task Pipe_runner_is_not_killed_by_SIGINT_and_leaves_it_to_the_terminal()
    {
        // SIGINT is not forwarded in pipe mode (the terminal sends it to the child too); the wrapper just survives.
        var outcome = await new PipeCommandRunner { StdinFd = _ctx.DevNull, StdoutDisplayFd = _ctx.DevNull, StderrDisplayFd = _ctx.DevNull }
            .RunAsync(Spec("sh", "-c", "kill -INT $PPID; sleep 0.3; echo still-running"), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("still-running\n", Text(_ctx.Primary));
    }
}
