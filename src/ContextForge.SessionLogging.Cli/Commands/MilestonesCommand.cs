using System.CommandLine;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Milestones;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession milestones [--json]</c>: the milestone definitions of milestones.json and what has been reached.</summary>
internal static class MilestonesCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print definitions and reached milestones as JSON (documented in docs/milestones.md)" };
        var command = new Command("milestones", "List the milestone definitions (milestones.json in the data directory) and the milestones reached") { json };
        command.SetAction(parse =>
        {
            var manager = context.CreateManager();
            string path = Path.Combine(manager.Data.Root, MilestoneConfig.FileName);
            var (definitions, error) = MilestoneConfig.Load(path);
            var reached = new MilestoneStore(manager.Data).ReadAll();
            if (parse.GetValue(json))
            {
                var doc = new JsonObject
                {
                    ["config_path"] = path,
                    ["config_error"] = error,
                    ["definitions"] = new JsonArray([.. definitions.Select(d => (JsonNode)new JsonObject
                    {
                        ["name"] = d.Name,
                        ["kind"] = MilestoneDefinition.KindName(d.Kind),
                        ["scope"] = MilestoneDefinition.ScopeName(d.Scope),
                        ["count"] = d.Count,
                        ["achievement_type"] = d.AchievementType,
                        ["description"] = d.Description,
                        ["rule"] = MilestoneEngine.Describe(d),
                    })]),
                    ["reached"] = new JsonArray([.. reached.Select(r => (JsonNode)new JsonObject
                    {
                        ["milestone_name"] = r.Name,
                        ["scope"] = r.Scope,
                        ["session_id"] = r.SessionId,
                        ["reached_at"] = Sessions.SessionManager.FormatTime(r.ReachedAt),
                        ["manual"] = r.Manual,
                        ["evidence"] = r.Evidence.DeepClone(),
                    })]),
                };
                context.WriteRaw(doc.ToJsonString(CliJson.Indented) + Environment.NewLine);
                return error is null ? (int)ExitCodes.Success : context.Fail(ExitCodes.DataError, error);
            }
            if (error is not null) return context.Fail(ExitCodes.DataError, error);
            if (definitions.Count == 0) context.Output.MarkupLine($"[grey]No milestones defined ({Markup.Escape(path)} does not exist or is empty).[/]");
            else
            {
                var table = new OutputTable(new("Milestone"), new("Rule"), new("Scope"), new("Reached")) { Border = TableBorder.Square };
                foreach (var d in definitions)
                {
                    int times = reached.Count(r => r.Name == d.Name);
                    table.Add(Cell.Text(d.Name), Cell.Text(MilestoneEngine.Describe(d)), Cell.Text(MilestoneDefinition.ScopeName(d.Scope)), Cell.Text(times == 0 ? "no" : times == 1 ? "yes" : $"{times} sessions"));
                }
                table.Write(context);
            }
            foreach (var r in reached)
            {
                context.Output.MarkupLine($"{Markup.Escape(Sessions.SessionManager.FormatTime(r.ReachedAt))}  {Markup.Escape(r.Name)}  session {Markup.Escape(r.SessionId)}{(r.Manual ? " (by hand)" : "")}");
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
