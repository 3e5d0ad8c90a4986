using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// Runs a child with its stdout and stderr on two pipes (Linux, posix_spawnp). Stdin is inherited untouched, so it
/// passes through exactly. Each pipe is copied, byte for byte, to this process's own stdout / stderr and into its
/// capture, so the two streams stay apart. The child starts with an empty signal mask and default dispositions.
/// </summary>
internal sealed class PipeCommandRunner : ICommandRunner
{
    /// <summary>How long after SIGTERM (on cancellation) the child gets SIGKILL.</summary>
    internal static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(3);

    public PipeCommandRunner() => LibC.EnsureSupported("The pipe command runner");

    /// <summary>The descriptor the child gets as its stdin (0: ours, inherited as is). A test hook.</summary>
    internal int StdinFd { get; init; }

    /// <summary>
    /// The child reads /dev/null, not our stdin: for a host whose stdin is a protocol channel (<c>cfsession mcp</c>),
    /// which a command must never read from.
    /// </summary>
    internal bool StdinFromDevNull { get; init; }

    /// <summary>Where the child's stdout is shown (our fd 1); -1 shows nothing.</summary>
    internal int StdoutDisplayFd { get; init; } = 1;

    /// <summary>Where the child's stderr is shown (our fd 2); -1 shows nothing.</summary>
    internal int StderrDisplayFd { get; init; } = 2;

    public Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(stderr);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Factory.StartNew(
            () => Run(command, primary, stderr, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private unsafe CommandOutcome Run(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        // SIGINT/SIGQUIT come from the terminal to the whole foreground group, the child included: we only must not
        // die of them. SIGTERM/SIGHUP were meant for us (the command): hand them on, and stay to report.
        using var signals = new SignalForwarder(LibC.SIGTERM, LibC.SIGHUP);
        var (outRead, outWrite) = LibC.CreatePipe();
        int errRead = -1, errWrite = -1;
        UnixChild child;
        try
        {
            (errRead, errWrite) = LibC.CreatePipe();
            int stdinFd = StdinFd;
            bool devNull = StdinFromDevNull;
            int ow = outWrite, ew = errWrite;
            child = UnixChild.Spawn(command, extraFlags: 0, actions =>
            {
                void* fa = (void*)actions;
                if (devNull)
                {
                    fixed (byte* path = "/dev/null\0"u8)
                    {
                        UnixChild.Check(LibC.posix_spawn_file_actions_addopen(fa, 0, path, LibC.O_RDONLY, 0), "addopen /dev/null");
                    }
                }
                else if (stdinFd != 0) UnixChild.Check(LibC.posix_spawn_file_actions_adddup2(fa, stdinFd, 0), "adddup2 stdin");
                UnixChild.Check(LibC.posix_spawn_file_actions_adddup2(fa, ow, 1), "adddup2 stdout");
                UnixChild.Check(LibC.posix_spawn_file_actions_adddup2(fa, ew, 2), "adddup2 stderr");
            });
        }
        catch
        {
            LibC.CloseQuietly(ref outRead);
            LibC.CloseQuietly(ref errRead);
            throw;
        }
        finally
        {
            // Only the child holds the write ends now, so its exit gives us end of file.
            LibC.CloseQuietly(ref outWrite);
            LibC.CloseQuietly(ref errWrite);
        }

        signals.Attach(child);
        Timer? killTimer = null;
        OutputPump? outPump = null, errPump = null;
        try
        {
            outPump = new OutputPump("cfsession stdout", outRead, StdoutDisplayFd, primary, child);
            errPump = new OutputPump("cfsession stderr", errRead, StderrDisplayFd, stderr, child);
            outPump.Start();
            errPump.Start();

            (int exitCode, int? signal) result;
            using (cancellationToken.Register(() =>
            {
                child.Signal(LibC.SIGTERM);
                killTimer = new Timer(_ => child.Signal(LibC.SIGKILL), null, KillGrace, Timeout.InfiniteTimeSpan);
            }))
            {
                result = child.WaitForExit();
            }
            outPump.Join();
            errPump.Join();
            cancellationToken.ThrowIfCancellationRequested();
            if (outPump.Error is not null) throw new IOException("Capturing the child's stdout failed.", outPump.Error);
            if (errPump.Error is not null) throw new IOException("Capturing the child's stderr failed.", errPump.Error);
            return new CommandOutcome(result.exitCode, result.signal, child.ProcessId, "pipes");
        }
        finally
        {
            killTimer?.Dispose();
            // The pumps end by themselves once the child is gone; never close a descriptor a pump still reads.
            outPump?.Join();
            errPump?.Join();
            LibC.CloseQuietly(ref outRead);
            LibC.CloseQuietly(ref errRead);
        }
    }
}
