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
        var command = new Command("sessions", "List recorded sessions, newest first") { limit, json };
        command.SetAction(parse =>
        {
            int max = parse.GetValue(limit);
            if (max < 0) throw new CliUsageException("--limit must be 0 or more");
            var manager = context.CreateManager();
            using var queries = SessionQueries.Open(manager.Data);
            var sessions = queries.Sessions(max);
            if (parse.GetValue(json))
            {
                context.WriteRaw(sessions.ToJson() + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            var list = sessions.Sessions;
            if (list.Count == 0)
            {
                context.Notice($"no sessions recorded in {manager.Data.Root} yet: try 'cfsession run -- echo hello'");
                return (int)ExitCodes.Success;
            }
            // Ids are shown by their first 8 characters: any unique prefix is accepted wherever a session is named.
            var table = new Table().Border(TableBorder.Simple).AddColumn("session").AddColumn("name").AddColumn(new TableColumn("started").NoWrap())
                .AddColumn(new TableColumn("duration").RightAligned().NoWrap()).AddColumn(new TableColumn("ops").RightAligned())
                .AddColumn(new TableColumn("ach").RightAligned()).AddColumn(new TableColumn("exit").RightAligned()).AddColumn("status");
            foreach (var s in list)
            {
                string exit = s.LastExitCode is null ? "-" : s.LastExitCode == 0 ? "[green]0[/]" : $"[red]{s.LastExitCode}[/]";
                table.AddRow(new Text(s.SessionId[..8]), new Text(s.SessionName), new Text(s.StartTime is { } t ? Format.Time(t) : "-"),
                    new Text(s.DurationMs is { } d ? Format.Duration(d) : "-"), new Text(s.OperationCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Text(s.AchievementCount.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Markup(exit),
                    new Text(s.InterruptedOperationCount > 0 ? $"{s.Status} ({s.InterruptedOperationCount.ToString(System.Globalization.CultureInfo.InvariantCulture)} interrupted)" : s.Status));
            }
            context.Output.Write(table);
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
