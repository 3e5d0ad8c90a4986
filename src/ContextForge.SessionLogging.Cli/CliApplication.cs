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
        var root = BuildRoot(context, verbose, InvokedCommand(args));

        // No response files: '@word' is a literal argument (a search word, a session name), never a file to read
        // (an '@' argument with a NUL made Parse throw out of RunAsync).
        ParseResult parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        context.Verbose = parse.GetValue(verbose);
        if (parse.Errors.Count > 0)
        {
            return context.Fail(ExitCodes.Usage, $"{ParseErrorText.Of(parse)} (see 'cfsession --help')");
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

    /// <summary>
    /// Every command, by the name it is invoked by, in the order the help lists them (docs/cli.md's synopsis lists
    /// each one).
    /// </summary>
    private static readonly (string Name, Func<CliContext, Command> Create)[] Commands =
    [
        ("run", RunCommand.Create), ("shell", ShellCommand.Create), ("init", InitCommand.Create), ("export", ExportCommand.Create),
        ("start", StartCommand.Create), ("end", EndCommand.Create), ("achievement", AchievementCommand.Create), ("inspect", InspectCommand.Create),
        ("sessions", SessionsCommand.Create), ("history", HistoryCommand.Create), ("search", SearchCommand.Create), ("show", ShowCommand.Create),
        ("report", ReportCommand.Create), ("validate", ValidateCommand.Create), ("prune", PruneCommand.Create), ("reindex", ReindexCommand.Create),
        ("sync", SyncCommand.Create), ("trace", TraceCommand.Create), ("verify", VerifyCommand.Create), ("etw", EtwCommand.Create),
        ("bench", BenchCommand.Create), ("milestones", MilestonesCommand.Create), ("milestone", MilestoneCommand.Create), ("mcp", McpCommand.Create),
        ("hook", HookCommand.Create), ("completion", CompletionCommand.Create), (CompleteCommand.Name, CompleteCommand.Create), (RecompactCommand.Name, RecompactCommand.Create),
    ];

    /// <summary>The names of every command, in the help's order.</summary>
    internal static IEnumerable<string> CommandNames => Commands.Select(c => c.Name);

    /// <summary>
    /// The command the first argument names, when it names one: only that command is built (its options, arguments and
    /// actions), since the others cannot take part in its parse. Null for anything else (<c>--help</c>,
    /// <c>--version</c>, a directive, a typo the parser suggests a command for): the whole tree is built.
    /// </summary>
    internal static string? InvokedCommand(IReadOnlyList<string> args) =>
        args.Count > 0 && Array.Exists(Commands, c => c.Name == args[0]) ? args[0] : null;

    /// <summary>The command tree: every command, or only <paramref name="only"/> (a name from <see cref="CommandNames"/>).</summary>
    internal static RootCommand BuildRoot(CliContext context, Option<bool> verbose, string? only = null)
    {
        var root = new RootCommand("cfsession: record terminal sessions (commands, output, exit codes, achievements) to a JSONL journal and the ContextForge.SessionLogging provider.");
        root.Options.Add(verbose);
        foreach (var (name, create) in Commands)
        {
            if (only is null || only == name) root.Subcommands.Add(create(context));
        }
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
