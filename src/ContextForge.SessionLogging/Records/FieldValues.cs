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
/// exactly as written (<c>1.10m</c> stays <c>1.10</c>); <see cref="DateTimeOffset"/> with its offset
/// (<c>2026-01-02T03:04:05.0000000+02:00</c>; UTC as <c>...Z</c>); a UTC or local <see cref="DateTime"/> as the UTC
/// instant, an unspecified one as written, without a zone; <see cref="TimeSpan"/> as an ISO 8601 duration
/// (<c>PT1.5S</c>); <see cref="Guid"/> as <c>8-4-4-4-12</c>; an enum as its name; a <see cref="JsonNode"/> as itself;
/// dictionaries as JSON objects and other collections as JSON arrays; records, anonymous and other objects with
/// public properties as JSON objects of those properties (depth at most 16); anything else formattable as its
/// invariant text. A value that is none of these (a delegate, a pointer, an object with no public property) is
/// refused with <see cref="NotSupportedException"/> naming its type, never recorded as its type name.
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

    /// <summary>The fields of a <see cref="System.Diagnostics.TagList"/>, read by index (no enumerator boxed).</summary>
    public static IReadOnlyList<EventField> From(in System.Diagnostics.TagList fields)
    {
        var list = new List<EventField>(fields.Count);
        for (int i = 0; i < fields.Count; i++) list.Add(From(fields[i].Key, fields[i].Value));
        return list;
    }

    private const int MaxDepth = 16;

    private static string Write(Utf8JsonWriter w, object? value, int depth = 0)
    {
        if (depth > MaxDepth) throw new NotSupportedException($"cannot record a value nested more than {MaxDepth} levels deep (a cycle?)");
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
            case DateTimeOffset dto when dto.Offset == TimeSpan.Zero: w.WriteStringValue(Sessions.SessionManager.FormatTime(dto)); return UnifiedFieldEncoder.DateTime;
            case DateTimeOffset dto: w.WriteStringValue(dto.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.String;
            case DateTime dt when dt.Kind == DateTimeKind.Unspecified: w.WriteStringValue(dt.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.String;
            case DateTime dt: w.WriteStringValue(Sessions.SessionManager.FormatTime(UnifiedFieldEncoder.ToInstant(dt))); return UnifiedFieldEncoder.DateTime;
            case TimeSpan ts: w.WriteStringValue(System.Xml.XmlConvert.ToString(ts)); return UnifiedFieldEncoder.String;
            case Guid g: w.WriteStringValue(g.ToString("D")); return UnifiedFieldEncoder.Guid;
            case Enum en: w.WriteStringValue(en.ToString()); return UnifiedFieldEncoder.String;
            case JsonNode node: node.WriteTo(w); return FieldReader.InferType(node);
            case IFormattable fm: w.WriteStringValue(fm.ToString(null, CultureInfo.InvariantCulture)); return UnifiedFieldEncoder.String;
            case System.Collections.IDictionary dictionary:
                w.WriteStartObject();
                foreach (System.Collections.DictionaryEntry entry in dictionary)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                    Write(w, entry.Value, depth + 1);
                }
                w.WriteEndObject();
                return UnifiedFieldEncoder.Json;
            case System.Collections.IEnumerable sequence:
                w.WriteStartArray();
                foreach (object? item in sequence) Write(w, item, depth + 1);
                w.WriteEndArray();
                return UnifiedFieldEncoder.Json;
            case Delegate or System.Reflection.Pointer or Type or Stream:
                throw Unsupported(value);
            default:
                return WriteProperties(w, value, depth);
        }
    }

    private static NotSupportedException Unsupported(object value) =>
        new($"cannot record a value of type {value.GetType().FullName}: use a string, number, boolean, time, GUID, collection, or an object with public properties");

    /// <summary>A record, an anonymous object or another object with public properties: a JSON object of them.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075",
        Justification = "Reads the public properties of a caller's object; in a trimmed app, properties the app never reads may be gone and are then not recorded.")]
    private static string WriteProperties(Utf8JsonWriter w, object value, int depth)
    {
        var properties = value.GetType().GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").ToList();
        if (properties.Count == 0) throw Unsupported(value);
        w.WriteStartObject();
        foreach (var p in properties)
        {
            w.WritePropertyName(p.Name);
            Write(w, p.GetValue(value), depth + 1);
        }
        w.WriteEndObject();
        return UnifiedFieldEncoder.Json;
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
