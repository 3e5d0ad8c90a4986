using System.CommandLine;
using ContextForge.SessionLogging.Cli.Commands;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>Builds the command tree and runs one command line, mapping every failure to a documented exit code.</summary>
internal static class CliApplication
{
    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Show details (stack traces) for unexpected errors", Recursive = true };
        var root = BuildRoot(context, verbose);

        // No response files: '@word' is a literal argument (a search word, a session name), never a file to read
        // (an '@' argument with a NUL made Parse throw out of RunAsync).
        ParseResult parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        context.Verbose = parse.GetValue(verbose);
        if (parse.Errors.Count > 0)
        {
            return context.Fail(ExitCodes.Usage, $"{ParseErrorText.Of(parse.Errors[0].Message)} (see 'cfsession --help')");
        }
        try
        {
            try
            {
                return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex) when (Index.HistoryIndex.IsCorruption(ex) && parse.CommandResult.Command.Name != "run")
            {
                // The index is derived from the journals: a damaged one is moved aside and rebuilt, and the command
                // runs once more (the index commands fail before writing anything when the index is unreadable).
                string aside = Index.HistoryIndex.MoveAsideCorrupt(context.CreateManager().Data);
                context.Notice($"the history index was corrupt ({ex.Message.ReplaceLineEndings(" ")}); moved it to {aside} and rebuilt it from the journals");
                return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
            }
        }
        catch (SessionNotFoundException ex)
        {
            return context.Fail(ExitCodes.NoSession, ex.Message);
        }
        catch (TraceFileNotFoundException ex)
        {
            return context.Fail(ExitCodes.NoSession, ex.Message);
        }
        catch (Tracing.TraceReadException ex)
        {
            return context.Fail(ExitCodes.DataError, ex.Message);
        }
        catch (Tracing.TraceUnavailableException ex)
        {
            return context.Fail(ExitCodes.TraceUnavailable, ex.Message);
        }
        catch (CliUsageException ex)
        {
            return context.Fail(ExitCodes.Usage, ex.Message);
        }
        catch (CliConfigurationException ex)
        {
            return context.Fail(ExitCodes.Configuration, ex.Message);
        }
        catch (TeamStore.TeamStoreUnavailableException ex)
        {
            return context.Fail(ExitCodes.TeamStoreUnavailable, ex.Message);
        }
        catch (TeamStore.TeamStorePermissionException ex)
        {
            return context.Fail(ExitCodes.TeamStoreNotPermitted, ex.Message);
        }
        catch (Exception ex) when (ex is TeamStore.TeamStoreConfigurationException or TeamStore.TeamStoreSchemaException)
        {
            return context.Fail(ExitCodes.Configuration, ex.Message);
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex) when (ex.SqliteErrorCode is 8 or 10 or 13 or 14)
        {
            // SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN: the data directory is unwritable or full.
            return context.Fail(ExitCodes.JournalUnavailable, $"cannot write the history index: {ex.Message.ReplaceLineEndings(" ")}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return context.Fail(ExitCodes.JournalUnavailable, $"cannot write the journal: {ex.Message}");
        }
        catch (Exception ex)
        {
            context.Fail(ExitCodes.Internal, $"internal error: {ex.Message}{(context.Verbose ? Environment.NewLine + ex : " (run with --verbose for details)")}");
            return (int)ExitCodes.Internal;
        }
    }

    /// <summary>The command tree: every command (docs/cli.md's synopsis lists each one).</summary>
    internal static RootCommand BuildRoot(CliContext context, Option<bool> verbose)
    {
        var root = new RootCommand("cfsession: record terminal sessions (commands, output, exit codes, achievements) to a JSONL journal and the ContextForge.SessionLogging provider.");
        root.Options.Add(verbose);
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(ShellCommand.Create(context));
        root.Subcommands.Add(InitCommand.Create(context));
        root.Subcommands.Add(ExportCommand.Create(context));
        root.Subcommands.Add(StartCommand.Create(context));
        root.Subcommands.Add(EndCommand.Create(context));
        root.Subcommands.Add(AchievementCommand.Create(context));
        root.Subcommands.Add(InspectCommand.Create(context));
        root.Subcommands.Add(SessionsCommand.Create(context));
        root.Subcommands.Add(HistoryCommand.Create(context));
        root.Subcommands.Add(SearchCommand.Create(context));
        root.Subcommands.Add(ShowCommand.Create(context));
        root.Subcommands.Add(ReportCommand.Create(context));
        root.Subcommands.Add(ValidateCommand.Create(context));
        root.Subcommands.Add(PruneCommand.Create(context));
        root.Subcommands.Add(ReindexCommand.Create(context));
        root.Subcommands.Add(SyncCommand.Create(context));
        root.Subcommands.Add(TraceCommand.Create(context));
        root.Subcommands.Add(VerifyCommand.Create(context));
        root.Subcommands.Add(EtwCommand.Create(context));
        root.Subcommands.Add(BenchCommand.Create(context));
        root.Subcommands.Add(MilestonesCommand.Create(context));
        root.Subcommands.Add(MilestoneCommand.Create(context));
        root.Subcommands.Add(McpCommand.Create(context));
        root.Subcommands.Add(HookCommand.Create(context));
        root.Subcommands.Add(CompletionCommand.Create(context));
        root.Subcommands.Add(CompleteCommand.Create(context));
        root.Subcommands.Add(RecompactCommand.Create(context));
        return root;
    }

    /// <summary>
    /// A System.CommandLine error as one printable line: its "must be one of" list comes on new lines with tabs
    /// (<c>history --group-by x</c>), and it quotes the user's token.
    /// </summary>
    internal static string OneLine(string message) =>
        Events.PrintableText.Escape(string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
}

/// <summary>A command-line mistake the user can fix; reported in one line with exit code 64.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>A configuration cfsession refuses (a token file readable by others, a port it cannot bind); reported in one line with exit code 78.</summary>
internal sealed class CliConfigurationException(string message) : Exception(message);
