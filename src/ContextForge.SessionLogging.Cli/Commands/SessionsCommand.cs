using System.CommandLine;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Sessions;
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
            using var index = context.OpenIndex(manager);
            var list = Index.HistoryQuery.Sessions(index, max);
            if (parse.GetValue(json))
            {
                var array = new JsonArray(list.Select(s => (JsonNode?)new JsonObject
                {
                    ["session_id"] = s.SessionId,
                    ["session_name"] = s.Name,
                    ["session_type"] = s.Type,
                    ["start_time"] = s.StartTime is { } t ? SessionManager.FormatTime(t) : null,
                    ["end_time"] = s.EndTime is { } e ? SessionManager.FormatTime(e) : null,
                    ["duration_ms"] = s.DurationMs is { } d ? Math.Round(d, 3) : null,
                    ["status"] = s.Status,
                    ["operation_count"] = s.OperationCount,
                    ["achievement_count"] = s.AchievementCount,
                    ["last_exit_code"] = s.LastExitCode,
                    ["interrupted_operation_count"] = s.InterruptedOperationCount,
                }).ToArray());
                context.WriteRaw(array.ToJsonString(CliJson.Indented) + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
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
                table.AddRow(new Text(s.SessionId[..8]), new Text(s.Name), new Text(s.StartTime is { } t ? Format.Time(SessionManager.FormatTime(t)) : "-"),
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
