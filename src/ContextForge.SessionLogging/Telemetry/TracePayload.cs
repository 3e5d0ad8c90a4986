using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// Turns a decoded <c>ContextForge.UnifiedTelemetry</c> event back into its named, typed fields, whatever decoded
/// it: an <see cref="System.Diagnostics.Tracing.EventListener"/> (top-level <c>MilestoneName</c>, <c>FieldCount</c>,
/// <c>Fields</c>, <c>FieldTypes</c>), ETW (the same), or TraceEvent over EventPipe, where the runtime nests the
/// whole payload in one struct field named <c>""</c> (TraceEvent gives it as an <see cref="IDictionary"/> or a
/// list of key/value pairs). Any trace reader (the tests, <c>cfsession trace read</c>) must flatten the same way.
/// Values come back as: <see cref="string"/>, <see cref="long"/>, <see cref="ulong"/>, <see cref="double"/>,
/// <see cref="bool"/>, <see cref="DateTime"/> (UTC), <see cref="Guid"/> or null.
/// </summary>
internal static class TracePayload
{
    /// <summary>
    /// The event's fields in order. For MilestoneReached the first is <c>MilestoneName</c>. Fields the provider
    /// does not know (a payload from another provider) are passed through unchanged. <c>SessionId</c> is not a
    /// field: see <see cref="Decode"/>.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Flatten(IReadOnlyList<string> payloadNames, IReadOnlyList<object?> payloadValues) =>
        Decode(payloadNames, payloadValues).Fields;

    /// <summary>The session the event was journaled in (null when none) and its flattened fields.</summary>
    public static (string? SessionId, IReadOnlyList<KeyValuePair<string, object?>> Fields) Decode(IReadOnlyList<string> payloadNames, IReadOnlyList<object?> payloadValues)
    {
        var top = Unnest(payloadNames, payloadValues);
        var result = new List<KeyValuePair<string, object?>>(top.Count + 4);
        string? json = null, types = null, sessionId = null;
        foreach (var (name, value) in top)
        {
            switch (name)
            {
                case "Fields": json = value as string; break;
                case "FieldTypes": types = value as string; break;
                case "SessionId": sessionId = value as string; break;
                case "FieldCount": break;
                default: result.Add(new(name, value)); break;
            }
        }
        if (json is not null) result.AddRange(DecodeFields(json, types ?? string.Empty));
        return (string.IsNullOrEmpty(sessionId) ? null : sessionId, result);
    }

    /// <summary>
    /// The provider's own payload fields (<c>MilestoneName</c>, <c>FieldCount</c>, <c>Fields</c>, <c>FieldTypes</c>,
    /// <c>SessionId</c>): over EventPipe a <c>Write&lt;T&gt;</c> payload arrives nested in one unnamed struct.
    /// </summary>
    public static List<KeyValuePair<string, object?>> Unnest(IReadOnlyList<string> payloadNames, IReadOnlyList<object?> payloadValues)
    {
        var top = new List<KeyValuePair<string, object?>>();
        for (int i = 0; i < payloadNames.Count; i++)
        {
            object? value = i < payloadValues.Count ? payloadValues[i] : null;
            if (payloadNames[i].Length == 0 && AsPairs(value) is { } nested) top.AddRange(nested);
            else top.Add(new(payloadNames[i], value));
        }
        return top;
    }

    /// <summary>The field that replaces an event's fields when its <c>Fields</c> JSON cannot be decoded within the limits.</summary>
    public const string FieldsErrorField = "fields_error";

    /// <summary>
    /// Decodes the <c>Fields</c> JSON object with its <c>FieldTypes</c> tags. Another process wrote it, so it is
    /// bounded (<see cref="InputLimits.MaxTraceFieldsChars"/> characters, depth <see cref="InputLimits.MaxTraceFieldsDepth"/>,
    /// <see cref="InputLimits.MaxTraceFieldCount"/> fields) and never throws: JSON over a limit, malformed JSON or a
    /// value that does not match its tag gives one field, <c>fields_error</c>, saying why, and the event is kept.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, object?>> DecodeFields(string json, string types)
    {
        if (json.Length > InputLimits.MaxTraceFieldsChars)
            return [new(FieldsErrorField, $"Fields JSON of {json.Length} characters is over the {InputLimits.MaxTraceFieldsChars}-character limit; not decoded")];
        if (types.Length > InputLimits.MaxTraceFieldsChars)
            return [new(FieldsErrorField, $"FieldTypes of {types.Length} characters is over the {InputLimits.MaxTraceFieldsChars}-character limit; not decoded")];
        try
        {
            string[] tags = types.Length == 0 ? [] : types.Split(',', InputLimits.MaxTraceFieldCount + 1);
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = InputLimits.MaxTraceFieldsDepth });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return [new(FieldsErrorField, $"Fields is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object; not decoded")];
            var list = new List<KeyValuePair<string, object?>>();
            int i = 0;
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (i == InputLimits.MaxTraceFieldCount)
                    return [new(FieldsErrorField, $"Fields holds more than {InputLimits.MaxTraceFieldCount} fields; not decoded")];
                string tag = i < tags.Length ? tags[i] : UnifiedFieldEncoder.String;
                list.Add(new(property.Name, DecodeValue(property.Value, tag)));
                i++;
            }
            return list;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            return [new(FieldsErrorField, $"Fields cannot be decoded: {ex.Message}")];
        }
    }

    private static object? DecodeValue(JsonElement value, string tag)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        return tag switch
        {
            UnifiedFieldEncoder.Int64 => value.GetInt64(),
            UnifiedFieldEncoder.UInt64 => value.GetUInt64(),
            UnifiedFieldEncoder.Double => value.ValueKind == JsonValueKind.String
                ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture)
                : value.GetDouble(),
            UnifiedFieldEncoder.Boolean => value.GetBoolean(),
            UnifiedFieldEncoder.DateTime => DateTime.Parse(value.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
            UnifiedFieldEncoder.Guid => Guid.Parse(value.GetString()!),
            // Cast: JsonNode converts implicitly from every other arm's type and would become the switch's type.
            UnifiedFieldEncoder.Json => (object?)System.Text.Json.Nodes.JsonNode.Parse(value.GetRawText()),
            _ => value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText(),
        };
    }

    private static List<KeyValuePair<string, object?>>? AsPairs(object? value)
    {
        switch (value)
        {
            case IDictionary<string, object?> typed:
            {
                // Enumerate: TraceEvent's StructValue does not implement CopyTo.
                var list = new List<KeyValuePair<string, object?>>();
                foreach (var pair in typed) list.Add(pair);
                return list;
            }
            case IDictionary dictionary:
            {
                var list = new List<KeyValuePair<string, object?>>();
                foreach (DictionaryEntry entry in dictionary) list.Add(new((string)entry.Key, entry.Value));
                return list;
            }
            case IEnumerable<KeyValuePair<string, object?>> pairs:
            {
                var list = new List<KeyValuePair<string, object?>>();
                foreach (var pair in pairs) list.Add(pair);
                return list;
            }
            default:
                return null;
        }
    }
}
