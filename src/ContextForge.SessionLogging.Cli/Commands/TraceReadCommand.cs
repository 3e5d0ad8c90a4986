using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tracing;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession trace read FILE [--json]</c>: decodes a .nettrace (or, on Windows, an .etl) however it was recorded,
/// into the same events the journal holds.
/// </summary>
internal static class TraceReadCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("trace") { Description = "A .nettrace file (cfsession trace record, dotnet-trace collect, DOTNET_EnableEventPipe) or an .etl (Windows)" };
        var json = new Option<bool>("--json") { Description = "Print {trace, format, lost_events, trace_start, trace_end, event_count, events} as JSON" };
        var command = new Command("read", "Decode a trace into the providers' session events") { file, json };
        command.SetAction(parse =>
        {
            var trace = TraceReader.Read(TraceJson.ExistingTrace(parse.GetValue(file)!));
            if (parse.GetValue(json))
            {
                var doc = new JsonObject
                {
                    ["trace"] = trace.Path,
                    ["format"] = trace.Format,
                    ["lost_events"] = trace.LostEvents,
                    ["trace_start"] = SessionManager.FormatTime(trace.TraceStart),
                    ["trace_end"] = SessionManager.FormatTime(trace.TraceEnd),
                    ["event_count"] = trace.Events.Count,
                    ["events"] = new JsonArray(trace.Events.Select(e => (JsonNode?)TraceJson.Event(e)).ToArray()),
                };
                context.WriteRaw(doc.ToJsonString(CliJson.Indented) + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            if (trace.Events.Count == 0)
            {
                context.Notice($"{trace.Path}: no ContextForge events (lost events: {trace.LostEvents}); was the provider enabled with keywords and level, e.g. ContextForge.SessionLogging:0xF:5?");
                return (int)ExitCodes.Success;
            }
            var table = new OutputTable(new("time", NoWrap: true), new("event"), new("session"), new("activity"), new("related"), new("details"));
            foreach (var t in trace.Events)
            {
                var e = t.Event;
                table.Add(Cell.Time(e.Timestamp), Cell.Text(e.Name), Cell.Id(e.SessionId), ActivityCell(t.HeaderActivityId), ActivityCell(t.RelatedActivityId), Cell.Text(Details(e)));
            }
            table.Write(context);
            string summary = string.Create(CultureInfo.InvariantCulture, $"{trace.Events.Count} events, {trace.LostEvents} lost ({trace.Format})");
            // The summary is for the person; a program reading the lines gets only events.
            if (context.Terminal) context.Output.WriteLine(summary);
            else context.Notice(summary);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A header activity id: its first 8 characters on a terminal, whole otherwise, <c>-</c> when empty.</summary>
    private static Cell ActivityCell(Guid id) => id == Guid.Empty ? Cell.Text("-") : Cell.Id(id.ToString("D"));

    private static string Details(SessionEvent e) => e.Name switch
    {
        SessionEventNames.SessionStart => $"{e.GetString(JournalFields.SessionType)} {e.GetString(JournalFields.SessionName)}".Trim(),
        SessionEventNames.SessionEnd => $"{e.GetString(JournalFields.Status)}, {e.GetInt64(JournalFields.OperationCount)} ops, {e.GetInt64(JournalFields.AchievementCount)} achievements",
        SessionEventNames.TerminalCapture => $"{e.GetString(JournalFields.OperationName)} -> exit {e.GetInt64(JournalFields.ExitCode)} ({e.GetInt64(JournalFields.DurationMs)} ms)",
        SessionEventNames.TerminalCaptureFailed => $"{e.GetString(JournalFields.OperationName)}: {e.GetString(JournalFields.Error)}",
        SessionEventNames.AchievementLogged => $"{e.GetString(JournalFields.AchievementId)} {e.GetString(JournalFields.AchievementType)}: {e.GetString(JournalFields.Description)}",
        _ => string.Join(", ", e.Fields.Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}")),
    };
}
