using System.CommandLine;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Shell;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession shell [--name N] [-- SHELL ARGS...]</c>: starts <c>$SHELL</c> (or the given shell) on a pty inside
/// the current session (<c>CFSESSION_ID</c>) or a new one, with cfsession's hooks injected (no rc file edited), and
/// records every command as one operation (docs/shell.md). Exits with the shell's exit code.
/// </summary>
internal static class ShellCommand
{
    public static Command Create(CliContext context)
    {
        var shellLine = new Argument<string[]>("shell") { Description = "The shell and its arguments (after --); default: $SHELL", Arity = ArgumentArity.ZeroOrMore };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the new session (when not joining $CFSESSION_ID)" };
        var command = new Command("shell", "Start your shell and record every command in it: its output, exit code, duration and cwd") { shellLine, name };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CliLimits.Text(parse.GetValue(name), InputLimits.MaxSessionLabelChars, "--name");
            if (!OperatingSystem.IsLinux() || !LibC.IsSupported)
                return context.Fail(ExitCodes.Usage, "cfsession shell needs Linux (x86_64 or arm64); use 'cfsession run' elsewhere");
            string[] argv = parse.GetValue(shellLine) ?? [];
            string program = argv.Length > 0 ? argv[0] : context.GetEnvironment("SHELL") is { Length: > 0 } s ? s : "/bin/sh";
            string cwd = CurrentProvenance.SafeCwd();
            var integration = Directory.CreateTempSubdirectory("cfsession-shell-");
            try
            {
                string[] arguments = argv.Length > 1 ? argv[1..] : [];
                var launch = ShellIntegration.Prepare(program, arguments, integration.FullName);
                if (ShellIntegration.KindOf(program) == ShellKind.Unknown)
                    context.Notice($"{Path.GetFileName(program)}: no shell integration (bash, zsh and fish have one); its stream is recorded whole, not per command");
                var spec = new CommandSpec(program, arguments, cwd, new Dictionary<string, string?>());
                var manager = context.CreateManager();
                if (manager.Data.CheckWritable() is { } problem)
                {
                    context.Notice($"cannot write to {manager.Data.Root}: {problem}; the shell runs unrecorded");
                    return await RunUnrecordedAsync(context, new CommandSpec(launch.Program, launch.Arguments, cwd, launch.Environment), cancellationToken).ConfigureAwait(false);
                }
                string? joinId = context.GetEnvironment(SessionEnvironment.SessionId);
                bool joined = !string.IsNullOrEmpty(joinId);
                Session session = joined ? manager.Join(manager.ResolveSessionId(joinId!)) : manager.Start(parse.GetValue(name), "shell");
                string? parentOperation = context.GetEnvironment(SessionEnvironment.ParentOperationId) is { Length: > 0 } p && Guid.TryParseExact(p, "D", out _) ? p : null;
                using (session)
                {
                    var recorder = new ShellRecorder(session, program, cwd);
                    var result = await CommandRecorder.RunAsync(session, new ShellCommandRunner(recorder, launch), spec, parentOperation, cancellationToken).ConfigureAwait(false);
                    if (!joined) session.End();
                    // The shell's stream file is finished: compress it in the background, as run's blobs are.
                    if (recorder.ShellOperationId is { } shellId && File.Exists(BlobStore.StreamPath(manager.Data.SessionDirectory(session.Id), shellId))
                        && RecompactionLauncher.IsWanted(context))
                        RecompactionLauncher.Start(manager.Data, session.Id);
                    foreach (string loss in recorder.Problems) context.Notice(loss);
                    if (Redaction.RedactionSummary.Format(result.Redactions) is { } summary) context.Notice(summary);
                    RunCommand.ReportDrops(context, session, result);
                    if (result.StartError is { } startError) return context.Fail((ExitCodes)result.Outcome.ExitCode, startError);
                    return result.Outcome.ExitCode;
                }
            }
            finally
            {
                try { integration.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        });
        return command;
    }

    private static async Task<int> RunUnrecordedAsync(CliContext context, CommandSpec spec, CancellationToken cancellationToken)
    {
        using var primary = new CapturedOutput("stdout", spillDirectory: null);
        using var stderr = new CapturedOutput("stderr", spillDirectory: null);
        try
        {
            return (await new PtyCommandRunner().RunAsync(spec, primary, stderr, cancellationToken).ConfigureAwait(false)).ExitCode;
        }
        catch (CommandStartException ex)
        {
            return context.Fail((ExitCodes)ex.ExitCode, ex.Message);
        }
    }
}
