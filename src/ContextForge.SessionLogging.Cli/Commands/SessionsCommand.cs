using System.CommandLine;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession sessions [--limit N] [--json]</c>: recorded sessions, newest first.</summary>
internal static class SessionsCommand
{
    public static Command Create(CliContext context)
    {
        var limit = new Option<int>("--limit", "-l") { Description = "Show at most this many sessions (0: all)", DefaultValueFactory = _ => 50 };
        var json = new Option<bool>("--json") { Description = "Print the list as JSON" };
        var format = OutputTemplate.Option("{session}\\t{name}\\t{status}");
        var command = new Command("sessions", "List recorded sessions, newest first") { limit, json, format };
        var team = new TeamQueryOptions();
        team.AddTo(command);
        command.SetAction(parse =>
        {
            int max = parse.GetValue(limit);
            if (max < 0) throw new CliUsageException("--limit must be 0 or more");
            using var queries = team.Queries(context, parse);
            if (parse.GetValue(json))
            {
                // Written as the rows are read: with --limit 0 the team store's sessions come in pages, never all in memory.
                var output = context.Output.Profile.Out.Writer;
                queries.WriteSessionsJson(output, new SessionFilter { Limit = max });
                output.Write(Environment.NewLine);
                output.Flush();
                return (int)ExitCodes.Success;
            }
            var list = queries.Sessions(max).Sessions;
            if (list.Count == 0)
            {
                context.Notice($"no sessions recorded in {queries.Source} yet: try 'cfsession run -- echo hello'");
                return (int)ExitCodes.Success;
            }
            var table = Listing();
            var template = table.Template(parse.GetValue(format));
            foreach (var s in list)
            {
                string exit = s.LastExitCode is null ? "-" : s.LastExitCode == 0 ? "[green]0[/]" : $"[red]{s.LastExitCode}[/]";
                table.Add(Cell.Id(s.SessionId), Cell.Text(s.SessionName), Cell.Time(s.StartTime), Cell.Duration(s.DurationMs), Cell.Number(s.OperationCount),
                    Cell.Number(s.AchievementCount), Cell.Markup(exit, s.LastExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"),
                    Cell.Text(s.InterruptedOperationCount > 0 ? $"{s.Status} ({s.InterruptedOperationCount.ToString(System.Globalization.CultureInfo.InvariantCulture)} interrupted)" : s.Status),
                    Cell.TextOrDash(s.SessionType), Cell.Time(s.EndTime));
            }
            table.Write(context, template);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The listing's columns (docs/cli.md): on a terminal the id is cut to its first 8 characters (any unique prefix
    /// is accepted wherever a session is named); <c>type</c> and <c>ended</c> are for <c>--format</c> only.
    /// </summary>
    internal static OutputTable Listing() => new(
        new("session", NoWrap: true), new("name"), new("started", NoWrap: true), new("duration", Justify.Right, NoWrap: true), new("ops", Justify.Right),
        new("ach", Justify.Right), new("exit", Justify.Right), new("status"), new("type", Hidden: true), new("ended", Hidden: true));
}
