using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Inspection;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession inspect [SESSION] [--json]</c>: the agent-inspection document, as JSON or a readable view.</summary>
internal static class InspectCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string?>("session") { Description = "Session id or unique prefix (default: $CFSESSION_ID, else the newest session)", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the document as JSON (schema: docs/schemas/inspection.schema.json)" };
        var command = new Command("inspect", "Show a session for agents (--json) or people: metadata, captures, achievements, ETW/EventPipe status, recent sessions") { session, json };
        command.SetAction(parse =>
        {
            var manager = context.CreateManager();
            string id = context.ResolveSession(manager, parse.GetValue(session), newestAsFallback: true)
                ?? throw new Sessions.SessionNotFoundException("", $"no sessions recorded in {manager.Data.Root} yet: try 'cfsession run -- echo hello'");
            var document = InspectionDocument.Build(manager.Data, id, DateTimeOffset.UtcNow);
            if (parse.GetValue(json))
                context.WriteRaw(document.ToJsonString(CliJson.Indented) + Environment.NewLine);
            else
                Render(context.Output, document);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    private static void Render(IAnsiConsole console, JsonObject doc)
    {
        var s = doc["session"]!.AsObject();
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, JsonNode? value) => grid.AddRow(new Markup($"[grey]{label}[/]"), new Text(value?.ToString() ?? "-"));
        Row("session", s["session_id"]);
        Row("name", s["session_name"]);
        Row("type", s["session_type"]);
        Row("status", s["status"]);
        Row("started", s["start_time"]);
        Row("ended", s["end_time"]);
        Row("duration", s["duration_ms"] is { } d ? Format.Duration(d.GetValue<double>()) : null);
        Row("host", s["provenance"]?["host"]);
        Row("user", s["provenance"]?["user"]);
        console.Write(new Panel(grid).Header("session").Expand());

        var captures = new Table().Expand().Title("operations")
            .AddColumn("started").AddColumn("operation").AddColumn(new TableColumn("exit").RightAligned())
            .AddColumn(new TableColumn("duration").RightAligned()).AddColumn(new TableColumn("output").RightAligned());
        foreach (var c in doc["terminal_captures"]!.AsArray())
        {
            var exit = c!["exit_code"];
            string exitText = c["event"]?.ToString() == "TerminalCaptureFailed" ? "[red]failed[/]"
                : exit is null ? "-" : exit.GetValue<long>() == 0 ? "[green]0[/]" : $"[red]{exit.GetValue<long>()}[/]";
            captures.AddRow(
                new Text(Format.Time(c["start_time"]?.ToString())),
                new Text(c["operation_name"]?.ToString() ?? ""),
                new Markup(exitText),
                new Text(c["duration_ms"] is { } cd ? Format.Duration(cd.GetValue<double>()) : "-"),
                new Text(c["output_length"] is { } l ? Format.Bytes(l.GetValue<long>() + (c["stderr_length"]?.GetValue<long>() ?? 0)) : "-"));
        }
        console.Write(captures);

        var achievements = doc["achievements"]!.AsArray();
        if (achievements.Count > 0)
        {
            var table = new Table().Expand().Title("achievements").AddColumn("id").AddColumn("type").AddColumn("description").AddColumn("evidence");
            foreach (var a in achievements)
            {
                string evidence = string.Join(", ", (a!["evidence"] as JsonObject ?? []).Select(kv => $"{kv.Key}={kv.Value}"));
                table.AddRow(new Text(a["achievement_id"]?.ToString() ?? ""), new Text(a["achievement_type"]?.ToString() ?? ""),
                    new Text(a["description"]?.ToString() ?? ""), new Text(evidence));
            }
            console.Write(table);
        }

        if (doc["session_events"] is JsonArray others && others.Count > 0)
        {
            var table = new Table().Expand().Title("events (logs, milestones, app events)").AddColumn("time").AddColumn("event").AddColumn("fields");
            foreach (var e in others)
            {
                string fields = string.Join(", ", (e!["fields"] as JsonObject ?? []).Select(kv => $"{kv.Key}={kv.Value}"));
                if (fields.Length > 160) fields = fields[..157] + "...";
                table.AddRow(new Text(Format.Time(e["timestamp"]?.ToString())), new Text(e["event"]?.ToString() ?? ""), new Text(fields));
            }
            console.Write(table);
        }

        var etw = doc["etw_integration"]!.AsObject();
        console.Write(new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[grey]{Markup.Escape(etw["mechanism"]!.ToString())}:[/] {(etw["etw_available"]!.GetValue<bool>() ? "[green]available[/]" : "[yellow]unavailable[/]")} " +
            $"[grey]({Markup.Escape(etw["probe_detail"]!.ToString())}); provider {Markup.Escape(etw["etw_provider_name"]!.ToString())}, activity {etw["activity_id"]}; " +
            $"{etw["historical_sessions"]} other sessions in the last day[/]")));
        console.WriteLine();
        var cross = doc["cross_session_context"]!.AsArray();
        if (cross.Count > 0)
        {
            console.Write(new Rule("[grey]recent sessions[/]").LeftJustified());
            foreach (var c in cross)
            {
                console.Write(new Text(string.Create(CultureInfo.InvariantCulture,
                    $"{c!["correlation_id"]}  {Format.Time(c["session_start"]?.ToString())}  {c["session_name"]}  {c["terminal_captures"]!.AsArray().Count} ops, {c["achievements"]!.AsArray().Count} achievements")));
                console.WriteLine();
            }
        }
    }
}
