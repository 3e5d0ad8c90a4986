using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession show SESSION [--json]</c>: a session's timeline (operations with duration and exit code,
/// achievements); <c>--output OPERATION [--plain]</c> replays one operation's output exactly (stdout, then stderr
/// to stderr), colours included, or ANSI-stripped with --plain.
/// </summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string>("session") { Description = "Session id or unique prefix" };
        var output = new Option<string?>("--output", "-o") { Description = "Replay this operation's output (operation id or unique prefix)" };
        var plain = new Option<bool>("--plain") { Description = "With --output: strip colours and control sequences" };
        var json = new Option<bool>("--json") { Description = "Print the timeline as JSON" };
        var command = new Command("show", "Show a session's timeline, or replay an operation's output exactly") { session, output, plain, json };
        command.SetAction(parse =>
        {
            var manager = context.CreateManager();
            string id = manager.ResolveSessionId(parse.GetValue(session)!);
            using var index = context.OpenIndex(manager);
            if (parse.GetValue(output) is { } operation) return Replay(context, index, id, operation, parse.GetValue(plain));
            if (parse.GetValue(plain)) throw new CliUsageException("--plain goes with --output OPERATION");
            var row = HistoryQuery.Session(index, id);
            var events = HistoryQuery.SessionEvents(index, id);
            if (parse.GetValue(json))
            {
                context.WriteRaw(new JsonObject
                {
                    ["schema_version"] = HistoryCommand.JsonSchemaVersion,
                    ["session_id"] = id,
                    ["session_name"] = row?.Name,
                    ["session_type"] = row?.Type,
                    ["status"] = row?.Status,
                    ["start_time"] = row?.StartTime is { } st ? Sessions.SessionManager.FormatTime(st) : null,
                    ["end_time"] = row?.EndTime is { } et ? Sessions.SessionManager.FormatTime(et) : null,
                    ["duration_ms"] = row?.DurationMs,
                    ["events"] = new JsonArray(events.Select(e => (JsonNode?)e.ToJson()).ToArray()),
                }.ToJsonString(CliJson.Indented) + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            context.Output.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[bold]{id}[/] {Markup.Escape(row?.Name ?? "")} [grey]{Markup.Escape(row?.Type ?? "")}, {row?.Status}, {row?.OperationCount} ops ({row?.FailedOperationCount} failed), {row?.AchievementCount} achievements{(row?.DurationMs is { } d ? ", " + Format.Duration(d) : "")}[/]"));
            var start = row?.StartTime;
            var table = new Table().Border(TableBorder.Simple).AddColumn(new TableColumn("at").RightAligned().NoWrap()).AddColumn(new TableColumn("event").NoWrap()).AddColumn(new TableColumn("operation").NoWrap())
                .AddColumn("what").AddColumn(new TableColumn("exit").RightAligned()).AddColumn(new TableColumn("duration").RightAligned().NoWrap()).AddColumn(new TableColumn("output").RightAligned());
            foreach (var e in events)
            {
                string at = start is { } s ? "+" + Format.Duration(Math.Max(0, (e.Timestamp - s).TotalMilliseconds)) : e.Timestamp.ToString("O", CultureInfo.InvariantCulture);
                string exitMarkup = HistoryCommand.ExitMarkup(e);
                string what = e.Name == SessionEventNames.AchievementLogged
                    ? $"{e.Fields[JournalFields.AchievementId]} {e.Fields[JournalFields.AchievementType]}: {e.Fields[JournalFields.Description]}"
                    : e.Fields[JournalFields.OperationName]?.ToString() ?? e.Fields[JournalFields.SessionName]?.ToString() ?? "";
                double? duration = e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed && e.Fields[JournalFields.DurationMs] is JsonValue dv && dv.TryGetValue(out double dd) ? dd : null;
                long length = (e.Fields[JournalFields.OutputLength] is JsonValue ol && ol.TryGetValue(out long l1) ? l1 : 0) + (e.Fields[JournalFields.StderrLength] is JsonValue sl && sl.TryGetValue(out long l2) ? l2 : 0);
                table.AddRow(new Text(at), new Text(HistoryCommand.ShortName(e.Name)), new Text(e.OperationId is { } op ? op[..8] : ""), new Text(what), new Markup(exitMarkup),
                    new Text(duration is { } du ? Format.Duration(du) : "-"), new Text(e.Fields.ContainsKey(JournalFields.IntegrityHash) ? Format.Bytes(length) : ""));
            }
            context.Output.Write(table);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    private static int Replay(CliContext context, HistoryIndex index, string sessionId, string operation, bool plain)
    {
        var found = HistoryQuery.FindOperation(index, sessionId, operation);
        if (found.Count == 0) return context.Fail(ExitCodes.NoSession, $"session {sessionId[..8]} has no operation '{operation}': 'cfsession show {sessionId[..8]}' lists them");
        if (found.Count > 1) return context.Fail(ExitCodes.Usage, $"operation '{operation}' matches more than one operation; give more characters");
        var hit = found[0];
        var fields = OutputStream.ReadLineFields(Path.Combine(index.Data.SessionsDirectory, hit.File), hit.LineOffset, hit.LineLength)
            ?? throw new IOException($"cannot read {hit.File} line {hit.Line}");
        foreach (var stream in OutputStream.Of(fields, index.Data.SessionDirectory(sessionId)))
        {
            if (!stream.Exists)
            {
                if (stream.Length is > 0) context.Notice($"the {stream.Stream} of {hit.OperationId} is not stored (blob missing or never written)");
                continue;
            }
            byte[] bytes = stream.ReadBytes();
            if (stream.Hash is { } expected && "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)) != expected)
                context.Notice($"warning: the stored {stream.Stream} of {hit.OperationId} does not match its recorded hash ('cfsession validate' reports it)");
            if (plain) bytes = Encoding.UTF8.GetBytes(AnsiText.ToPlain(Encoding.UTF8.GetString(bytes)));
            if (stream.Stream == JournalFields.Stderr)
            {
                context.Error.Profile.Out.Writer.Write(Encoding.UTF8.GetString(bytes));
                context.Error.Profile.Out.Writer.Flush();
            }
            else
            {
                using var raw = context.OpenRawOutput();
                raw.Write(bytes);
                raw.Flush();
            }
        }
        return (int)ExitCodes.Success;
    }
}
