using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace ContextForge.SessionLogging.Query;

/// <summary>The JSON form of every query document: indented, snake_case, written by the source-generated context.</summary>
internal static class QueryJson
{
    private static readonly QueryJsonContext s_context = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = TerminalSafeJsonEncoder.Instance,
    });

    /// <summary>The document as indented JSON (no trailing newline).</summary>
    public static string Serialize<T>(T document) => JsonSerializer.Serialize(document, TypeInfo<T>());

    /// <summary>
    /// Items as the indented JSON array <see cref="Serialize{T}"/> gives for a list of them (no trailing newline),
    /// written to <paramref name="output"/> in chunks as the items are produced: the list is never held whole.
    /// </summary>
    public static void WriteArray<T>(TextWriter output, IEnumerable<T> items)
    {
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + 4096);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = s_context.Options.Encoder });
        var info = TypeInfo<T>();
        void Drain()
        {
            writer.Flush();
            output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
            buffer.ResetWrittenCount();
        }
        writer.WriteStartArray();
        foreach (var item in items)
        {
            JsonSerializer.Serialize(writer, item, info);
            if (writer.BytesPending + buffer.WrittenCount >= ChunkBytes) Drain();
        }
        writer.WriteEndArray();
        Drain();
        output.Flush();
    }

    private const int ChunkBytes = 64 * 1024;

    /// <summary>A value as a JSON node, for documents that mix typed parts with journal fields.</summary>
    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, TypeInfo<T>());

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)s_context.GetTypeInfo(typeof(T))!;
}

[JsonSerializable(typeof(SessionList))]
[JsonSerializable(typeof(IReadOnlyList<SessionListItem>))]
[JsonSerializable(typeof(SessionListItem))]
[JsonSerializable(typeof(InspectionDocument))]
[JsonSerializable(typeof(HistoryDocument))]
[JsonSerializable(typeof(GroupedHistoryDocument))]
[JsonSerializable(typeof(IReadOnlyList<GroupedSession>))]
[JsonSerializable(typeof(IReadOnlyList<TracedSession>))]
[JsonSerializable(typeof(SearchDocument))]
[JsonSerializable(typeof(IReadOnlyList<LineMatch>))]
[JsonSerializable(typeof(SessionTimeline))]
[JsonSerializable(typeof(ValidationReport))]
[JsonSerializable(typeof(PruneReport))]
internal sealed partial class QueryJsonContext : JsonSerializerContext;

/// <summary>
/// Writes a document whose shape includes open journal fields (events, captures, achievements) as the
/// <see cref="JsonObject"/> it builds, so recorded fields keep their journal order and exact number text.
/// </summary>
internal sealed class JsonObjectDocumentConverter<T> : JsonConverter<T> where T : class, IJsonObjectDocument
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException($"{typeof(T).Name} is an output document; it is not read back");

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => value.ToJsonObject().WriteTo(writer, options);
}

/// <summary>A document written as the JSON object it builds (<see cref="JsonObjectDocumentConverter{T}"/>).</summary>
internal interface IJsonObjectDocument
{
    JsonObject ToJsonObject();
}

/// <summary>
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> plus <c>\uXXXX</c> escapes for every character that
/// reorders or hides text on a terminal (<see cref="IsHidden"/>) and U+2028/U+2029: non-ASCII text stays readable,
/// and recorded output piped through <c>jq -r</c> or shown by an agent cannot play a "Trojan Source" trick.
/// </summary>
internal sealed class TerminalSafeJsonEncoder : JavaScriptEncoder
{
    public static readonly TerminalSafeJsonEncoder Instance = new();

    private static readonly JavaScriptEncoder s_relaxed = UnsafeRelaxedJsonEscaping;

    private TerminalSafeJsonEncoder() { }

    /// <summary>C1 controls (an 8-bit CSI is U+009B), bidirectional embeddings/overrides/isolates, and the BOM / zero-width no-break space.</summary>
    internal static bool IsHidden(char c) => c is >= '\x80' and <= '\x9F' or >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\uFEFF';

    public override int MaxOutputCharactersPerInputCharacter => Math.Max(s_relaxed.MaxOutputCharactersPerInputCharacter, 12);

    internal static bool MustEscape(int scalar) => scalar is 0x2028 or 0x2029 || (scalar <= 0xFFFF && IsHidden((char)scalar));

    public override bool WillEncode(int unicodeScalar) => MustEscape(unicodeScalar) || s_relaxed.WillEncode(unicodeScalar);

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        int relaxed = s_relaxed.FindFirstCharacterToEncode(text, textLength);
        int limit = relaxed < 0 ? textLength : relaxed;
        for (int i = 0; i < limit; i++)
        {
            if (MustEscape(text[i])) return i;
        }
        return relaxed;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (!MustEscape(unicodeScalar))
            return s_relaxed.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);
        if (bufferLength < 6)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        var escape = "\\u" + unicodeScalar.ToString("X4", CultureInfo.InvariantCulture);
        for (int i = 0; i < 6; i++) buffer[i] = escape[i];
        numberOfCharactersWritten = 6;
        return true;
    }
}
