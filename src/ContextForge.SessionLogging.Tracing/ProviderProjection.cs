using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>
/// What verification compares: the provider fields the contract table projects from a journal event (the same
/// values and string cut the provider sink sends), matched by ids, with numbers compared by value.
/// </summary>
internal static class ProviderProjection
{
    /// <summary>The fields the provider writes for <paramref name="journal"/>, or null for an event it does not emit (the contract table's projection).</summary>
    public static JsonObject? ExpectedFields(SessionEvent journal) => Contract.EventContracts.ExpectedProviderFields(journal);

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

}
