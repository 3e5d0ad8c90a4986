using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Records;

/// <summary>
/// The one conversion of a caller's CLR value to what is recorded: JSON text for the journal and the provider's
/// <c>Fields</c>, plus the provider's type tag. Used for custom events, log entries, milestone data and achievement
/// evidence alike, so the journal and the trace always agree.
/// </summary>
/// <remarks>
/// Strings, booleans and null as themselves; integers of any size as integers (<see cref="ulong"/> kept);
/// <see cref="double"/>/<see cref="float"/> as numbers (NaN and infinities as their text); <see cref="decimal"/>
/// exactly as written (<c>1.10m</c> stays <c>1.10</c>); <see cref="DateTimeOffset"/>/<see cref="DateTime"/> as UTC
/// strings in the journal's format (an unspecified <see cref="DateTime"/> counts as UTC); <see cref="TimeSpan"/> as
/// milliseconds; <see cref="Guid"/> as <c>8-4-4-4-12</c>; an enum as its name; a <see cref="JsonNode"/> as itself;
/// anything else formattable as its invariant text, else its <c>ToString()</c>.
/// </remarks>
internal static class FieldValues
{
    private static readonly JsonWriterOptions Options = new() { SkipValidation = true };

    public static EventField From(string name, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        string type;
        using (var w = new Utf8JsonWriter(buffer, Options)) type = Write(w, value);
        return new EventField(name, Encoding.UTF8.GetString(buffer.WrittenSpan)) { ProviderType = type };
    }

    public static IReadOnlyList<EventField> From(IEnumerable<KeyValuePair<string, object?>>? fields) =>
        fields is null ? [] : fields.Select(kv => From(kv.Key, kv.Value)).ToList();

    private static string Write(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); return UnifiedFieldEncoder.Null;
            case string s: w.WriteStringValue(s); return UnifiedFieldEncoder.String;
            case bool b: w.WriteBooleanValue(b); return UnifiedFieldEncoder.Boolean;
            case sbyte or byte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.Int64;
            case ulong ul when ul <= long.MaxValue: w.WriteNumberValue((long)ul); return UnifiedFieldEncoder.Int64;
            case ulong ul: w.WriteNumberValue(ul); return UnifiedFieldEncoder.UInt64;
            case double d: WriteReal(w, d, d.ToString(CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.Double;
            case float f: if (float.IsFinite(f)) w.WriteNumberValue(f); else w.WriteStringValue(f.ToString(CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.Double;
            case decimal m: w.WriteNumberValue(m); return UnifiedFieldEncoder.Double;
            case DateTimeOffset dto: w.WriteStringValue(Sessions.SessionManager.FormatTime(dto)); return UnifiedFieldEncoder.DateTime;
            case DateTime dt: w.WriteStringValue(Sessions.SessionManager.FormatTime(UnifiedFieldEncoder.ToInstant(dt))); return UnifiedFieldEncoder.DateTime;
            case TimeSpan ts: w.WriteNumberValue(ts.TotalMilliseconds); return UnifiedFieldEncoder.Double;
            case Guid g: w.WriteStringValue(g.ToString("D")); return UnifiedFieldEncoder.Guid;
            case Enum en: w.WriteStringValue(en.ToString()); return UnifiedFieldEncoder.String;
            case JsonNode node: node.WriteTo(w); return FieldReader.InferType(node);
            case IFormattable fm: w.WriteStringValue(fm.ToString(null, CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.String;
            default: w.WriteStringValue(value.ToString()); return UnifiedFieldEncoder.String;
        }
    }

    private static void WriteReal(Utf8JsonWriter w, double d, string text)
    {
        if (double.IsFinite(d)) w.WriteNumberValue(d);
        else w.WriteStringValue(text);
    }

    /// <summary>Writes fields into a JSON object under their journal names (see <see cref="JournalName"/>).</summary>
    public static void WriteTo(JsonObject target, IReadOnlyList<EventField> fields, bool journalNames)
    {
        foreach (var f in fields) target[journalNames ? JournalName(f.Name) : f.Name] = f.ToJsonNode();
    }

    /// <summary>
    /// The journal name of a caller's field: the name as given, except that a name the journal line's header uses
    /// (<c>v</c>, <c>event</c>, <c>ts</c>, <c>session_id</c>, ...), <c>milestone_name</c> or <c>provenance</c> gets a
    /// <c>field_</c> prefix, so a caller's field can never be mistaken for the line's own.
    /// </summary>
    public static string JournalName(string name) =>
        Journal.JournalLine.HeaderKeys.Contains(name) || name is Events.JournalFields.MilestoneName or Events.JournalFields.Provenance ? "field_" + name : name;

    /// <summary>The caller's name of a journal field (undoes <see cref="JournalName"/>).</summary>
    public static string CallerName(string journalName) =>
        journalName.StartsWith("field_", StringComparison.Ordinal) && JournalName(journalName[6..]) == journalName ? journalName[6..] : journalName;
}
