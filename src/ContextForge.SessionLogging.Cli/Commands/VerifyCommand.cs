using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession verify TRACE [--journal-dir D] [--json]</c>: matches every provider event in a trace to its journal
/// line by ids and compares their fields. Exit 0 when everything matches or is explained, 1 on any unexplained
/// difference.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("trace") { Description = "The trace (.nettrace, or .etl on Windows)" };
        var journalDir = new Option<string?>("--journal-dir") { Description = "The data directory holding the journals (default: $CFSESSION_HOME or the standard location)" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("verify", "Cross-check a trace against the journal: matched, only-in-journal, only-in-trace, field mismatches, lost events")
        {
            file, journalDir, json,
        };
        command.SetAction(parse =>
        {
            var trace = TraceReader.Read(TraceJson.ExistingTrace(parse.GetValue(file)!));
            var data = parse.GetValue(journalDir) is { Length: > 0 } dir ? new DataDirectory(Path.GetFullPath(dir)) : context.CreateManager().Data;
            var report = TraceVerifier.Verify(trace, id =>
            {
                if (!DataDirectory.IsValidSessionId(id)) return null;
                string sessionDir = data.SessionDirectory(id);
                return Directory.Exists(sessionDir) ? JournalReader.ReadSession(sessionDir).Events : null;
            });
            if (parse.GetValue(json)) context.WriteRaw(ToJson(report).ToJsonString(CliJson.Indented) + Environment.NewLine);
            else Render(context, report);
            if (report.Sessions.Count == 0)
                return context.Fail(ExitCodes.DataError, $"{trace.Path} holds no ContextForge.SessionLogging events: nothing to verify");
            return report.Unexplained == 0 ? (int)ExitCodes.Success : (int)ExitCodes.Differences;
        });
        return command;
    }

    private static JsonObject ToJson(VerificationReport report) => new()
    {
        ["trace"] = report.Trace,
        ["lost_events"] = report.LostEvents,
        ["unexplained"] = report.Unexplained,
        ["sessions"] = new JsonArray(report.Sessions.Select(s => (JsonNode?)new JsonObject
        {
            ["session_id"] = s.SessionId,
            ["journal_found"] = s.JournalFound,
            ["matched"] = s.Matched,
            ["unexplained"] = s.Unexplained,
            ["only_in_journal"] = Unmatched(s.OnlyInJournal),
            ["only_in_trace"] = Unmatched(s.OnlyInTrace),
            ["mismatches"] = new JsonArray(s.Mismatches.Select(m => (JsonNode?)new JsonObject
            {
                ["event"] = m.Event,
                ["key"] = m.Key,
                ["fields"] = new JsonArray(m.Fields.Select(f => (JsonNode?)new JsonObject
                {
                    ["field"] = f.Field,
                    ["journal"] = f.Journal?.DeepClone(),
                    ["trace"] = f.Trace?.DeepClone(),
                }).ToArray()),
            }).ToArray()),
        }).ToArray()),
    };

    private static JsonArray Unmatched(IEnumerable<UnmatchedEvent> events) => new(events.Select(e => (JsonNode?)new JsonObject
    {
        ["event"] = e.Event,
        ["key"] = e.Key,
        ["timestamp"] = SessionManager.FormatTime(e.Timestamp),
        ["explanation"] = e.Explanation,
    }).ToArray());

    private static void Render(CliContext context, VerificationReport report)
    {
        var o = context.Output.Profile.Out.Writer;
        foreach (var s in report.Sessions)
        {
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"session {s.SessionId}: {s.Matched} matched, {s.OnlyInJournal.Count} only in journal, {s.OnlyInTrace.Count} only in trace, {s.Mismatches.Count} mismatched{(s.JournalFound ? "" : " (no journal found)")}"));
            foreach (var e in s.OnlyInJournal) o.WriteLine($"  only in journal: {e.Event} {e.Key} {(e.Explanation is null ? "UNEXPLAINED" : "(" + e.Explanation + ")")}");
            foreach (var e in s.OnlyInTrace) o.WriteLine($"  only in trace:   {e.Event} {e.Key} UNEXPLAINED");
            foreach (var m in s.Mismatches)
            {
                foreach (var f in m.Fields)
                    o.WriteLine($"  mismatch: {m.Event} {m.Key} {f.Field}: journal {f.Journal?.ToJsonString() ?? "(none)"}, trace {f.Trace?.ToJsonString() ?? "(none)"}");
            }
        }
        o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lost events in the trace: {report.LostEvents}; unexplained differences: {report.Unexplained}"));
        o.Flush();
    }
}
