using System.CommandLine;
using System.Globalization;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession achievement TYPE DESCRIPTION [--evidence key=value ...]</c>: logs an achievement in the current session.</summary>
internal static class AchievementCommand
{
    public static Command Create(CliContext context)
    {
        var type = new Argument<string>("type") { Description = "The kind of outcome, e.g. tests_passed" };
        var description = new Argument<string>("description") { Description = "What was achieved" };
        var evidence = new Option<string[]>("--evidence", "-e") { Description = "Evidence as key=value (repeatable); numbers and true/false are typed", AllowMultipleArgumentsPerToken = false };
        var sessionOption = new Option<string?>("--session", "-s") { Description = "Session id or prefix (default: $CFSESSION_ID)" };
        var json = new Option<bool>("--json") { Description = "Print the achievement record as JSON" };
        var command = new Command("achievement", "Log an achievement (a verified outcome with evidence) in the current session") { type, description, evidence, sessionOption, json };
        command.SetAction(parse =>
        {
            CliLimits.Text(parse.GetValue(type), InputLimits.MaxSessionLabelChars, "the achievement type");
            CliLimits.Text(parse.GetValue(description), InputLimits.MaxDescriptionChars, "the description");
            var parsedEvidence = ParseEvidence(parse.GetValue(evidence) ?? []);
            var manager = context.CreateManager();
            string id = context.ResolveSession(manager, parse.GetValue(sessionOption), newestAsFallback: false)
                ?? throw new Sessions.SessionNotFoundException("", "no current session: pass --session or set CFSESSION_ID (eval \"$(cfsession start)\")");
            if (manager.Data.CheckWritable() is { } problem)
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}");
            using var session = manager.Join(id);
            var record = session.LogAchievement(parse.GetValue(type)!, parse.GetValue(description)!, parsedEvidence);
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
                    ["evidence"] = record.Evidence,
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

    /// <summary>Parses key=value pairs; throws <see cref="CliUsageException"/> naming the bad entry.</summary>
    internal static Dictionary<string, object?> ParseEvidence(IEnumerable<string> entries)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        var list = entries.ToList();
        CliLimits.Count(list.Count, InputLimits.MaxEvidenceEntries, "evidence entries");
        foreach (string entry in list)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new CliUsageException($"malformed --evidence '{(entry.Length > 64 ? entry[..64] + "..." : entry)}': expected key=value");
            string key = entry[..eq].Trim();
            CliLimits.Text(key, InputLimits.MaxEvidenceKeyChars, "an evidence key");
            CliLimits.Text(entry[(eq + 1)..], InputLimits.MaxEvidenceValueChars, $"the value of evidence '{key}'");
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
                throw new CliUsageException($"malformed --evidence '{entry}': the key may hold letters, digits, '_', '-' and '.'");
            if (result.ContainsKey(key)) throw new CliUsageException($"malformed --evidence: key '{key}' is given twice");
            result[key] = TypedValue(entry[(eq + 1)..]);
        }
        return result;
    }

    private static object TypedValue(string text)
    {
        if (text is "true") return true;
        if (text is "false") return false;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) && l.ToString(CultureInfo.InvariantCulture) == text) return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && !text.StartsWith('.') && !text.EndsWith('.')) return d;
        return text;
    }
}
