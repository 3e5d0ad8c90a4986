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
        var requireJournal = new Option<bool>("--require-journal") { Description = "Exit 74 when the journal cannot be written: before running (nothing is run) or after (the output was shown, the record is incomplete)" };
        var maxOutput = new Option<string?>("--max-output") { Description = "Store at most this much of each output stream (e.g. 100MB); the rest is shown, counted and flagged truncated. Default: no cap" };
        var noRedact = new Option<bool>("--no-redact") { Description = "Record output and arguments as they are, without replacing secrets with [REDACTED:<pattern>]" };
        var rules = new Option<string?>("--rules") { Description = "A gitleaks-format (v8 TOML) rules file to redact with, instead of <data>/redaction.toml (docs/redaction.md)" };
        var command = new Command("run", "Run a command inside a session and record it: cfsession run -- make test")
        {
            commandLine, name, type, pty, noPty, requireJournal, noRedact, rules, maxOutput,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CliLimits.Text(parse.GetValue(name), InputLimits.MaxSessionLabelChars, "--name");
            CliLimits.Text(parse.GetValue(type), InputLimits.MaxSessionLabelChars, "--type");
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
            var spec = new CommandSpec(argv[0], argv[1..], CurrentProvenance.SafeCwd(), environment);
            long? cap = parse.GetValue(maxOutput) is { } capText ? Quantities.Size(capText, "--max-output") : null;
            string? rulesFile = parse.GetValue(rules) is { Length: > 0 } r ? Path.GetFullPath(r) : null;
            if (rulesFile is not null && !File.Exists(rulesFile)) throw new CliUsageException($"--rules: no such file {rulesFile}");
            var manager = context.CreateManager(redact: !parse.GetValue(noRedact), maxOutputBytes: cap, rulesFile: rulesFile);

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
            if (parentOperation is not null && !Guid.TryParseExact(parentOperation, "D", out _))
            {
                // Another process set it: only an operation id (a UUID) is recorded, anything else is ignored.
                context.Notice($"{SessionEnvironment.ParentOperationId} is not an operation id ({parentOperation.Length} characters); ignored");
                parentOperation = null;
            }
            using (session)
            {
                CommandRunResult result;
                // The capture and SessionEnd are acknowledged only when cfsession exits: one fsync covers both.
                using (session.GroupCommit())
                {
                    result = await CommandRecorder.RunAsync(session, runner, spec, parentOperation, cancellationToken, AnnounceToShell(context)).ConfigureAwait(false);
                    session.End();
                }
                // What was kept out of the record: the live display showed it unredacted.
                if (Redaction.RedactionSummary.Format(result.Redactions) is { } summary) context.Notice(summary);
                bool incomplete = ReportDrops(context, session, result);
                // Opt-in automatic push: started detached, never waited for (docs/team-store.md).
                if (TeamSyncLauncher.IsRequested(context, manager.Data)) TeamSyncLauncher.Start(manager.Data);
                // The blob was stored uncompressed (the capture path only writes): compress it now, detached, at the lowest priority.
                if (result.StoredBlob && RecompactionLauncher.IsWanted(context)) RecompactionLauncher.Start(manager.Data, session.Id);
                if (incomplete && parse.GetValue(requireJournal))
                    return context.Fail(ExitCodes.JournalUnavailable, $"the record of this run is incomplete and --require-journal was given (the command exited {result.Outcome.ExitCode})");
                if (result.StartError is { } startError)
                {
                    return context.Fail((ExitCodes)result.Outcome.ExitCode, startError);
                }
                return result.Outcome.ExitCode;
            }
        });
        return command;
    }

    // Inside 'cfsession shell' (on its pty), the shell's command links to this run instead of recording the output twice.
    private static Action<string>? AnnounceToShell(CliContext context) =>
        context.GetEnvironment(Shell.ShellIntegration.MarksVariable) == "1" && context.Terminal
            ? operationId => context.WriteRaw($"\u001b]6973;R;{operationId}\u0007")
            : null;

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

    // One line per sink that lost events (received = stored + dropped), and one per output stream that could not
    // be stored; true when the journal record of this run is incomplete.
    internal static bool ReportDrops(CliContext context, Session session, CommandRunResult result)
    {
        bool incomplete = false;
        foreach (var stats in session.SinkStatistics.Where(s => s.Dropped > 0))
        {
            context.Notice($"{stats.Name}: received {stats.Received} events, stored {stats.Stored}, dropped {stats.Dropped}: {OneLine(stats.LastError)}");
            incomplete |= stats.Name == "journal";
        }
        foreach (string field in new[] { Events.JournalFields.OutputBlob + "_error", Events.JournalFields.StderrBlob + "_error" })
        {
            if (result.Event.GetString(field) is not { } error) continue;
            string stream = field[..field.IndexOf('_', StringComparison.Ordinal)];
            context.Notice(OneLine(error).Replace("output could not be stored", $"{stream} was shown but could not be stored", StringComparison.Ordinal));
            incomplete = true;
        }
        return incomplete;
    }

    private static string OneLine(string? text) => (text ?? "unknown error").ReplaceLineEndings(" ");
}
