using System.Text.Json;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Records;

/// <summary>
/// Reads typed values out of journal fields. A value read from a file is backed by a JsonElement (any numeric read
/// works); a value built in memory holds its CLR type (an int answers only to int): both forms are handled.
/// </summary>
internal static class FieldReader
{
    public static string? String(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    public static bool? Boolean(JsonNode? node) => node is JsonValue v && v.TryGetValue(out bool b) ? b : null;

    public static long? Int64(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out uint ui)) return ui;
        if (v.TryGetValue(out short sh)) return sh;
        if (v.TryGetValue(out byte b)) return b;
        if (v.TryGetValue(out ulong ul) && ul <= long.MaxValue) return (long)ul;
        return Double(v) is { } d && d >= long.MinValue && d <= long.MaxValue ? (long)d : null;
    }

    public static double? Double(JsonNode? node)
    {
        if (node is not JsonValue v) return null;
        if (v.TryGetValue(out double d)) return d;
        if (v.TryGetValue(out long l)) return l;
        if (v.TryGetValue(out int i)) return i;
        if (v.TryGetValue(out uint ui)) return ui;
        if (v.TryGetValue(out ulong ul)) return ul;
        if (v.TryGetValue(out float f)) return f;
        if (v.TryGetValue(out decimal m)) return (double)m;
        if (v.TryGetValue(out short sh)) return sh;
        if (v.TryGetValue(out byte b)) return b;
        return null;
    }

    public static DateTimeOffset? Time(JsonNode? node) => Sessions.SessionManager.ParseTime(String(node));

    public static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(x => String(x) ?? x?.ToJsonString() ?? string.Empty).ToList() : [];

    /// <summary>The fields of a JSON object as <see cref="EventField"/>s, in order, with type tags inferred from the JSON.</summary>
    public static IReadOnlyList<EventField> Fields(JsonObject? o, Func<string, bool>? include = null)
    {
        if (o is null) return [];
        var list = new List<EventField>(o.Count);
        foreach (var (key, value) in o)
        {
            if (include is not null && !include(key)) continue;
            list.Add(new EventField(key, value?.ToJsonString() ?? "null") { ProviderType = InferType(value) });
        }
        return list;
    }

    /// <summary>The provider type tag a JSON value implies (a string may have been a time or a GUID; that is not known here).</summary>
    public static string InferType(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => Telemetry.UnifiedFieldEncoder.Null,
        JsonValueKind.True or JsonValueKind.False => Telemetry.UnifiedFieldEncoder.Boolean,
        JsonValueKind.Number when Int64(value) is not null && !value.ToJsonString().Contains('.', StringComparison.Ordinal) && !value.ToJsonString().Contains('e', StringComparison.OrdinalIgnoreCase) => Telemetry.UnifiedFieldEncoder.Int64,
        JsonValueKind.Number => Telemetry.UnifiedFieldEncoder.Double,
        JsonValueKind.Object or JsonValueKind.Array => Telemetry.UnifiedFieldEncoder.Json,
        _ => Telemetry.UnifiedFieldEncoder.String,
    };
}
