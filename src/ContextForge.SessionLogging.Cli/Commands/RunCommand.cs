using System.CommandLine;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession run [options] -- COMMAND [ARGS...]</c>: runs the command inside a session (the one in
/// <c>CFSESSION_ID</c>, else a new one), shows its output exactly as without the wrapper, records it, and exits
/// with the command's exit code.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext context)
    {
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the new session (when not joining $CFSESSION_ID)" };
        var type = new Option<string?>("--type", "-t") { Description = "Type of the new session (default: command)" };
        var pty = new Option<bool>("--pty") { Description = "Run the command on a pseudo-terminal even when stdin/stdout are not terminals" };
        var noPty = new Option<bool>("--no-pty") { Description = "Use plain pipes (stdout and stderr kept apart) even on a terminal" };
        var requireJournal = new Option<bool>("--require-journal") { Description = "Fail (exit 74) instead of running unrecorded when the journal cannot be written" };
        var command = new Command("run", "Run a command inside a session and record it: cfsession run -- make test")
        {
            commandLine, name, type, pty, noPty, requireJournal,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string[] argv = parse.GetValue(commandLine)!;
            if (parse.GetValue(pty) && parse.GetValue(noPty)) throw new CliUsageException("--pty and --no-pty exclude each other");
            bool? forcePty = parse.GetValue(pty) ? true : parse.GetValue(noPty) ? false : null;
            var runner = CommandRunnerFactory.Create(forcePty);
            var environment = new Dictionary<string, string?>();
            // Under 'trace record' this process writes the trace; a .NET command must not write (and clobber) the same file.
            if (context.GetEnvironment(Tracing.EventPipeRecording.RecordingMarkerVariable) is { Length: > 0 })
            {
                foreach (string variable in Tracing.EventPipeRecording.InheritedVariables) environment[variable] = null;
            }
            var spec = new CommandSpec(argv[0], argv[1..], Provenance.SafeCwd(), environment);
            var manager = context.CreateManager();

            if (manager.Data.CheckWritable() is { } problem)
            {
                if (parse.GetValue(requireJournal))
                    return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}; nothing was run (--require-journal)");
                context.Notice($"cannot write to {manager.Data.Root}: {problem}; running unrecorded");
                return await RunUnrecordedAsync(context, runner, spec, cancellationToken).ConfigureAwait(false);
            }

            string? joinId = context.GetEnvironment(SessionEnvironment.SessionId);
            Session session = string.IsNullOrEmpty(joinId)
                ? manager.Start(parse.GetValue(name), parse.GetValue(type) ?? "command")
                : manager.Join(manager.ResolveSessionId(joinId));
            string? parentOperation = context.GetEnvironment(SessionEnvironment.ParentOperationId) is { Length: > 0 } p ? p : null;
            using (session)
            {
                CommandRunResult result;
                // The capture and SessionEnd are acknowledged only when cfsession exits: one fsync covers both.
                using (session.GroupCommit())
                {
                    result = await CommandRecorder.RunAsync(session, runner, spec, parentOperation, cancellationToken).ConfigureAwait(false);
                    session.End();
                }
                ReportDrops(context, session);
                if (result.StartError is { } startError)
                {
                    return context.Fail((ExitCodes)result.Outcome.ExitCode, startError);
                }
                return result.Outcome.ExitCode;
            }
        });
        return command;
    }

    private static async Task<int> RunUnrecordedAsync(CliContext context, ICommandRunner runner, CommandSpec spec, CancellationToken cancellationToken)
    {
        using var primary = new CapturedOutput("stdout", spillDirectory: null);
        using var stderr = new CapturedOutput("stderr", spillDirectory: null);
        try
        {
            return (await runner.RunAsync(spec, primary, stderr, cancellationToken).ConfigureAwait(false)).ExitCode;
        }
        catch (CommandStartException ex)
        {
            return context.Fail((ExitCodes)ex.ExitCode, ex.Message);
        }
    }

    private static void ReportDrops(CliContext context, Session session)
    {
        foreach (var stats in session.SinkStatistics.Where(s => s.Dropped > 0))
        {
            context.Notice($"{stats.Dropped} of {stats.Received} events were not stored by the {stats.Name}: {stats.LastError}");
        }
    }
}
