using System.CommandLine;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession achievement TYPE DESCRIPTION [--evidence key=value ...]</c>: logs an achievement in the current session.</summary>
internal static class AchievementCommand
{
    public static Command Create(CliContext context)
    {
        var type = new Argument<string>("type") { Description = "The kind of outcome, e.g. tests_passed" };
        var description = new Argument<string>("description") { Description = "What was achieved" };
        var evidence = new Option<string[]>("--evidence", "-e") { Description = "Evidence: key=text (a string, exactly as given) or key:=JSON (42, 1.10, true, null, [..], {..}); repeatable", AllowMultipleArgumentsPerToken = false };
        var sessionOption = new Option<string?>("--session", "-s") { Description = "Session id or prefix (default: $CFSESSION_ID, else a new one-shot session)" };
        var json = new Option<bool>("--json") { Description = "Print the achievement record as JSON" };
        var command = new Command("achievement", "Log an achievement (a verified outcome with evidence) in the current session") { type, description, evidence, sessionOption, json };
        command.SetAction(parse =>
        {
            CliLimits.Text(parse.GetValue(type), InputLimits.MaxSessionLabelChars, "the achievement type");
            CliLimits.Text(parse.GetValue(description), InputLimits.MaxDescriptionChars, "the description");
            var parsedEvidence = ParseEvidence(parse.GetValue(evidence) ?? []);
            var manager = context.CreateManager();
            if (manager.Data.CheckWritable() is { } problem)
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}");
            var (session, oneShot) = context.JoinOrOpenOneShot(manager, parse.GetValue(sessionOption), "achievement");
            using var owned = session;
            var record = session.LogAchievement(parse.GetValue(type)!, parse.GetValue(description)!, parsedEvidence);
            if (oneShot) session.End();
            if (session.SinkStatistics.FirstOrDefault(s => s.Name == "journal") is { Dropped: > 0 } dropped)
                return context.Fail(ExitCodes.JournalUnavailable, $"achievement {record.AchievementId} was not journaled: {dropped.LastError}");
            if (parse.GetValue(json))
            {
                var doc = new System.Text.Json.Nodes.JsonObject
                {
                    ["achievement_id"] = record.AchievementId,
                    ["correlation_id"] = record.CorrelationId,
                    ["achievement_type"] = record.AchievementType,
                    ["description"] = record.Description,
                    ["timestamp"] = Sessions.SessionManager.FormatTime(record.Timestamp),
                    ["evidence"] = Sessions.ReadOnlyJson.ToJsonObject(record.Evidence),
                    ["etw_correlation"] = record.EtwCorrelation is { } etw ? Sessions.ReadOnlyJson.ToJsonObject(etw) : null,
                };
                context.WriteRaw(doc.ToJsonString(CliJson.Indented) + Environment.NewLine);
            }
            else
            {
                context.WriteRaw(record.AchievementId + Environment.NewLine);
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Parses <c>key=value</c> (the value is a string, byte for byte) and <c>key:=JSON</c> (the value is typed JSON:
    /// a number kept exactly as written, <c>true</c>/<c>false</c>, <c>null</c>, an array or an object), as httpie
    /// does; throws <see cref="CliUsageException"/> naming the bad entry.
    /// </summary>
    internal static Dictionary<string, object?> ParseEvidence(IEnumerable<string> entries, string option = "--evidence")
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var list = entries.ToList();
        CliLimits.Count(list.Count, InputLimits.MaxEvidenceEntries, "evidence entries");
        foreach (string entry in list)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            bool typed = eq > 0 && entry[eq - 1] == ':';
            int keyEnd = typed ? eq - 1 : eq;
            if (keyEnd <= 0) throw new CliUsageException($"malformed {option} {Quantities.Quote(entry)}: expected key=text or key:=JSON");
            string key = entry[..keyEnd].Trim();
            string value = entry[(eq + 1)..];
            CliLimits.Text(key, InputLimits.MaxEvidenceKeyChars, "an evidence key");
            CliLimits.Text(value, InputLimits.MaxEvidenceValueChars, $"the value of evidence '{key}'");
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw new CliUsageException($"malformed {option} {Quantities.Quote(entry)}: the key may hold letters, digits, '_', '-' and '.'");
            if (result.ContainsKey(key)) throw new CliUsageException($"malformed {option}: key '{key}' is given twice");
            result[key] = typed ? Json(key, value, option) : value;
        }
        return result;
    }

    /// <summary>The parser's reason without its position suffix (the value is short and quoted beside it).</summary>
    private static string Reason(System.Text.Json.JsonException ex)
    {
        int at = ex.Message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return Events.PrintableText.Escape((at < 0 ? ex.Message : ex.Message[..at]).TrimEnd('.', ' '));
    }

    /// <summary>The JSON of a <c>key:=JSON</c> entry, parsed without changing a digit (the node writes its text back).</summary>
    private static System.Text.Json.Nodes.JsonNode? Json(string key, string text, string option)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(text, documentOptions: new System.Text.Json.JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new CliUsageException($"malformed {option} '{key}:=': {Quantities.Quote(text)} is not JSON ({Reason(ex)}); write {key}=TEXT for text");
        }
    }
}
