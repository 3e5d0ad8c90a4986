using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Query;
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
        var team = new TeamQueryOptions();
        team.AddTo(command);
        command.SetAction(parse =>
        {
            using var queries = team.Queries(context, parse);
            string id = context.ResolveSession(queries, parse.GetValue(session));
            var document = queries.Inspect(id);
            if (parse.GetValue(json))
                context.WriteRaw(document.ToJson() + Environment.NewLine);
            else if (context.Terminal)
                Render(context.Output, document);
            else
                RenderLines(context, document);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The view for programs (stdout not a terminal): one tab-separated line per item, its kind first (<c>session</c>
    /// fields as <c>session KEY VALUE</c>, then <c>operation</c>, <c>achievement</c>, <c>event</c>, <c>etw</c>,
    /// <c>recent</c>); full ids, UTC times, plain numbers, no box drawing (docs/cli.md).
    /// </summary>
    private static void RenderLines(CliContext context, InspectionDocument doc)
    {
        var lines = new System.Text.StringBuilder();
        void Line(params string?[] values) => lines.AppendJoin('\t', values.Select(v => OutputTable.OneLine(string.IsNullOrEmpty(v) ? "-" : v))).Append('\n');
        string? Number(JsonNode? n) => n?.ToJsonString();
        var s = doc.Session;
        foreach (var (key, value) in new (string, string?)[]
        {
            ("session_id", s.SessionId), ("session_name", s.SessionName), ("session_type", s.SessionType), ("status", s.Status),
            ("start_time", s.StartTime), ("end_time", s.EndTime), ("duration_ms", s.DurationMs?.ToString("0.###", CultureInfo.InvariantCulture)),
            ("host", s.Provenance?["host"]?.ToString()), ("user", s.Provenance?["user"]?.ToString()),
        })
            Line("session", key, value);
        foreach (var capture in doc.TerminalCaptures)
        {
            var c = capture.Fields;
            string exit = capture.Event == "TerminalCaptureFailed" ? "failed" : Number(c["exit_code"]) ?? "-";
            long bytes = (c["output_length"]?.GetValue<long>() ?? 0) + (c["stderr_length"]?.GetValue<long>() ?? 0);
            Line("operation", c["operation_id"]?.ToString(), c["start_time"]?.ToString(), c["operation_name"]?.ToString(), exit, Number(c["duration_ms"]),
                bytes.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var achievement in doc.Achievements)
        {
            var a = achievement.Fields;
            Line("achievement", a["achievement_id"]?.ToString(), a["achievement_type"]?.ToString(), a["description"]?.ToString(), a["evidence"]?.ToJsonString());
        }
        foreach (var e in doc.SessionEvents) Line("event", e.Timestamp, e.Event, e.Fields.ToJsonString());
        var etw = doc.EtwIntegration;
        Line("etw", etw.Mechanism, etw.EtwAvailable ? "available" : "unavailable", etw.EtwProviderName, etw.ActivityId, etw.HistoricalSessions.ToString(CultureInfo.InvariantCulture));
        foreach (var c in doc.CrossSessionContext)
            Line("recent", c.CorrelationId, c.SessionStart, c.SessionName, c.TerminalCaptures.Count.ToString(CultureInfo.InvariantCulture), c.Achievements.Count.ToString(CultureInfo.InvariantCulture));
        context.WriteRaw(lines.ToString());
    }

    private static void Render(IAnsiConsole console, InspectionDocument doc)
    {
        var s = doc.Session;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        void Row(string label, string? value) => grid.AddRow(new Markup($"[grey]{label}[/]"), TerminalText.Of(value ?? "-"));
        Row("session", s.SessionId);
        Row("name", s.SessionName);
        Row("type", s.SessionType);
        Row("status", s.Status);
        Row("started", s.StartTime);
        Row("ended", s.EndTime);
        Row("duration", s.DurationMs is { } d ? Format.Duration(d) : null);
        Row("host", s.Provenance?["host"]?.ToString());
        Row("user", s.Provenance?["user"]?.ToString());
        if (doc.RedactedSecrets() is { Count: > 0 } redacted)
            Row("redacted", string.Join(", ", redacted.Select(r => r.Value > 1 ? string.Create(CultureInfo.InvariantCulture, $"{r.Key} ×{r.Value}") : r.Key)));
        console.Write(new Panel(grid).Header("session").Expand());

        var captures = new Table().Expand().Title("operations")
            .AddColumn("started").AddColumn("operation").AddColumn(new TableColumn("exit").RightAligned())
            .AddColumn(new TableColumn("duration").RightAligned()).AddColumn(new TableColumn("output").RightAligned());
        foreach (var capture in doc.TerminalCaptures)
        {
            var c = capture.Fields;
            var exit = c["exit_code"];
            string exitText = capture.Event == "TerminalCaptureFailed" ? "[red]failed[/]"
                : exit is null ? "-" : exit.GetValue<long>() == 0 ? "[green]0[/]" : $"[red]{exit.GetValue<long>()}[/]";
            captures.AddRow(
                TerminalText.Of(Format.Time(c["start_time"]?.ToString())),
                TerminalText.Of(c["operation_name"]?.ToString() ?? ""),
                new Markup(exitText),
                TerminalText.Of(c["duration_ms"] is { } cd ? Format.Duration(cd.GetValue<double>()) : "-"),
                TerminalText.Of(c["output_length"] is { } l ? Format.Bytes(l.GetValue<long>() + (c["stderr_length"]?.GetValue<long>() ?? 0)) : "-"));
        }
        console.Write(captures);

        if (doc.Achievements.Count > 0)
        {
            var table = new Table().Expand().Title("achievements").AddColumn("id").AddColumn("type").AddColumn("description").AddColumn("evidence");
            foreach (var achievement in doc.Achievements)
            {
                var a = achievement.Fields;
                string evidence = string.Join(", ", (a["evidence"] as JsonObject ?? []).Select(kv => $"{kv.Key}={kv.Value}"));
                table.AddRow(TerminalText.Of(a["achievement_id"]?.ToString() ?? ""), TerminalText.Of(a["achievement_type"]?.ToString() ?? ""),
                    TerminalText.Of(a["description"]?.ToString() ?? ""), TerminalText.Of(evidence));
            }
            console.Write(table);
        }

        if (doc.SessionEvents.Count > 0)
        {
            var table = new Table().Expand().Title("events (logs, milestones, app events)").AddColumn("time").AddColumn("event").AddColumn("fields");
            foreach (var e in doc.SessionEvents)
            {
                string fields = string.Join(", ", e.Fields.Select(kv => $"{kv.Key}={kv.Value}"));
                if (fields.Length > 160) fields = fields[..157] + "...";
                table.AddRow(new Text(Format.Time(e.Timestamp)), new Text(e.Event), new Text(fields));
            }
            console.Write(table);
        }

        var etw = doc.EtwIntegration;
        console.Write(new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[grey]{TerminalText.Markup(etw.Mechanism)}:[/] {(etw.EtwAvailable ? "[green]available[/]" : "[yellow]unavailable[/]")} " +
            $"[grey]({TerminalText.Markup(etw.ProbeDetail)}); provider {TerminalText.Markup(etw.EtwProviderName)}, activity {etw.ActivityId}; " +
            $"{etw.HistoricalSessions} other sessions in the last day[/]")));
        console.WriteLine();
        if (doc.CrossSessionContext.Count > 0)
        {
            console.Write(new Rule("[grey]recent sessions[/]").LeftJustified());
            foreach (var c in doc.CrossSessionContext)
            {
                console.Write(TerminalText.Of(string.Create(CultureInfo.InvariantCulture,
                    $"{c.CorrelationId}  {Format.Time(c.SessionStart)}  {c.SessionName}  {c.TerminalCaptures.Count} ops, {c.Achievements.Count} achievements")));
                console.WriteLine();
            }
        }
    }
}
