using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>
/// What the provider emits for a journal event, in the trace reader's form (snake_case fields): the same
/// conversions the provider sink applies (a capture's duration as whole milliseconds, stdout and stderr lengths
/// summed, an achievement's evidence as its number of keys, a string over the provider's limit cut with the
/// truncation marker). Verification compares a trace event with this.
/// </summary>
internal static class ProviderProjection
{
    /// <summary>The fields the provider writes for <paramref name="journal"/>, or null for an event it does not emit.</summary>
    public static JsonObject? ExpectedFields(SessionEvent journal)
    {
        // The provider sink cuts every string to InputLimits.MaxProviderStringChars (ETW drops an event over 64 KB).
        string? S(string f) => journal.GetString(f) is { } value ? Telemetry.UnifiedFieldEncoder.Fit(value) : null;
        switch (journal.Name)
        {
            case SessionEventNames.SessionStart:
                return new JsonObject
                {
                    [JournalFields.SessionType] = S(JournalFields.SessionType) ?? string.Empty,
                    [JournalFields.StartTime] = S(JournalFields.StartTime) ?? Sessions.SessionManager.FormatTime(journal.Timestamp),
                    [JournalFields.Methodology] = S(JournalFields.Methodology) ?? string.Empty,
                    [JournalFields.SessionName] = S(JournalFields.SessionName) ?? string.Empty,
                };
            case SessionEventNames.SessionEnd:
                return new JsonObject
                {
                    [JournalFields.DurationMs] = journal.GetDouble(JournalFields.DurationMs) ?? 0,
                    [JournalFields.OperationCount] = journal.GetInt64(JournalFields.OperationCount) ?? 0,
                    [JournalFields.AchievementCount] = journal.GetInt64(JournalFields.AchievementCount) ?? 0,
                    [JournalFields.FailedOperationCount] = journal.GetInt64(JournalFields.FailedOperationCount) ?? 0,
                    [JournalFields.Status] = S(JournalFields.Status) ?? string.Empty,
                };
            case SessionEventNames.TerminalCapture:
                return new JsonObject
                {
                    [JournalFields.OperationName] = S(JournalFields.OperationName) ?? string.Empty,
                    [JournalFields.OperationId] = S(JournalFields.OperationId) ?? string.Empty,
                    [JournalFields.DurationMs] = (long)ClampToUInt(journal.GetDouble(JournalFields.DurationMs) ?? 0),
                    [JournalFields.OutputLength] = (long)ClampToUInt((journal.GetInt64(JournalFields.OutputLength) ?? 0) + (journal.GetInt64(JournalFields.StderrLength) ?? 0)),
                    [JournalFields.OutputSample] = S(JournalFields.OutputSample) ?? string.Empty,
                    [JournalFields.CorrelationId] = S(JournalFields.CorrelationId) ?? journal.SessionId,
                    [JournalFields.ExitCode] = journal.GetInt64(JournalFields.ExitCode) ?? 0,
                    [JournalFields.IntegrityHash] = S(JournalFields.IntegrityHash) ?? string.Empty,
                };
            case SessionEventNames.TerminalCaptureFailed:
                return new JsonObject
                {
                    [JournalFields.OperationName] = S(JournalFields.OperationName) ?? string.Empty,
                    [JournalFields.OperationId] = S(JournalFields.OperationId) ?? string.Empty,
                    [JournalFields.Error] = S(JournalFields.Error) ?? string.Empty,
                    [JournalFields.CorrelationId] = S(JournalFields.CorrelationId) ?? journal.SessionId,
                };
            case SessionEventNames.AchievementLogged:
                return new JsonObject
                {
                    [JournalFields.AchievementId] = S(JournalFields.AchievementId) ?? string.Empty,
                    [JournalFields.AchievementType] = S(JournalFields.AchievementType) ?? string.Empty,
                    [JournalFields.Description] = S(JournalFields.Description) ?? string.Empty,
                    [JournalFields.CorrelationId] = S(JournalFields.CorrelationId) ?? journal.SessionId,
                    [TraceReader.EvidenceKeysField] = (long)((journal.Fields[JournalFields.Evidence] as JsonObject)?.Count ?? 0),
                };
            default:
                return null;
        }
    }

    /// <summary>The id that names one event within its session: the operation id, the achievement id, or none.</summary>
    public static string MatchKey(SessionEvent e) =>
        e.Name + "|" + (e.GetString(JournalFields.OperationId) ?? e.GetString(JournalFields.AchievementId) ?? string.Empty);

    /// <summary>Equal JSON values; numbers compare by value whatever their CLR type (an int 3 equals a long 3).</summary>
    public static bool ValuesEqual(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is JsonValue va && b is JsonValue vb && Number(va) is { } na && Number(vb) is { } nb) return na == nb;
        return JsonNode.DeepEquals(a, b);
    }

    private static decimal? Number(JsonValue v)
    {
        if (v.GetValueKind() != System.Text.Json.JsonValueKind.Number) return null;
        return decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out decimal d) ? d : null;
    }

    private static uint ClampToUInt(double value) => value <= 0 ? 0 : value >= uint.MaxValue ? uint.MaxValue : (uint)value;
}
