using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// Runs an interactive shell on a pty with the <c>run</c> runner (<see cref="PtyCommandRunner"/>), its stream seen by
/// a <see cref="ShellRecorder"/>: the whole stream is the shell's operation (stored once, in its raw stream file), each
/// command a range of it. The shell's
/// operation id (which <c>CommandRecorder</c> passes in <c>CFSESSION_PARENT_ID</c>) is the parent of the commands.
/// The shell's operation records the shell as the user asked for it; what runs is <paramref name="launch"/> (the
/// same shell with the integration's arguments and environment).
/// </summary>
internal sealed class ShellCommandRunner(ShellRecorder recorder, ShellLaunch launch) : ICommandRunner
{
    /// <summary>The descriptor read as the shell's input (0: ours). A test hook.</summary>
    internal int StdinFd { get; init; }

    /// <summary>Where the stream is shown (our fd 1); -1 shows nothing.</summary>
    internal int DisplayFd { get; init; } = 1;

    /// <summary>The pty's window size when neither stdin nor the display is a terminal.</summary>
    internal (ushort Rows, ushort Columns)? InitialWindowSize { get; init; }

    public async Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        if (command.Environment.TryGetValue(SessionEnvironment.ParentOperationId, out string? shellOperation) && shellOperation is not null)
            recorder.Attach(shellOperation, primary);
        int exitCode = 127;
        try
        {
            var runner = new PtyCommandRunner
            {
                StreamObserver = recorder,
                StdinFd = StdinFd,
                DisplayFd = DisplayFd,
                InitialWindowSize = InitialWindowSize,
            };
            var environment = new Dictionary<string, string?>(command.Environment);
            foreach (var (key, value) in launch.Environment) environment[key] = value;
            var integrated = command with { Program = launch.Program, Arguments = launch.Arguments, Environment = environment };
            var outcome = await runner.RunAsync(integrated, primary, stderr, cancellationToken).ConfigureAwait(false);
            exitCode = outcome.ExitCode;
            return outcome;
        }
        finally
        {
            recorder.Finish(exitCode);
        }
    }
}
