using System.Buffers;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// The entry point of the <c>ContextForge.UnifiedTelemetry</c> provider, shared by session logging and the
/// Achievement Engine. Each call emits one self-describing event on the provider (when a listener asked for it)
/// and journals the same event in <see cref="Session.Current"/> (when there is one), so history and inspection
/// see it too. With no listener and no current session a call returns after two checks and allocates nothing.
/// </summary>
/// <remarks>
/// Field values may be strings, integers (any size; <see cref="ulong"/> above <see cref="long.MaxValue"/> keeps
/// its type), floating point (<see cref="float"/>, <see cref="double"/>, <see cref="decimal"/> as double),
/// <see cref="bool"/>, <see cref="DateTime"/> / <see cref="DateTimeOffset"/> (as a UTC instant),
/// <see cref="Guid"/> or null. Any other value is written as its invariant text. Field names are kept exactly
/// as given, in the journal and on the provider.
/// </remarks>
public static class UnifiedTelemetry
{
    /// <summary>The provider name.</summary>
    public const string ProviderName = UnifiedTelemetryEventSource.ProviderName;

    /// <summary>The name of the Achievement Engine's milestone event.</summary>
    public const string MilestoneReachedEventName = "MilestoneReached";

    /// <summary>The first field of MilestoneReached on the provider (the journal calls it <c>milestone_name</c>).</summary>
    public const string MilestoneNameField = "MilestoneName";

    /// <summary>True when a listener (ETW, EventPipe or an EventListener) receives events with these keywords.</summary>
    public static bool IsEnabled(SessionKeywords keywords) =>
        UnifiedTelemetryEventSource.Log.IsEnabled(EventLevel.Informational, (EventKeywords)keywords);

    /// <summary>
    /// Emits a session event named <paramref name="eventName"/> with <paramref name="fields"/> (Session keyword,
    /// level Informational) and journals it in the current session.
    /// </summary>
    public static void LogSessionEvent(string eventName, IEnumerable<KeyValuePair<string, object?>>? fields) =>
        LogSessionEvent(eventName, EventLevel.Informational, fields);

    /// <summary>
    /// Emits a session event at <paramref name="level"/> (Session keyword) and journals it in the current session:
    /// the form the ILogger provider and the Serilog sink use.
    /// </summary>
    public static void LogSessionEvent(string eventName, EventLevel level, IEnumerable<KeyValuePair<string, object?>>? fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        var source = UnifiedTelemetryEventSource.Log;
        bool enabled = source.IsEnabled(level, (EventKeywords)SessionKeywords.Session);
        Session? session = Session.Current;
        if (!enabled && session is null) return;
        if (enabled)
        {
            var (count, json, types) = UnifiedFieldEncoder.Encode(Redacted(fields, session));
            source.WriteSessionEvent(eventName, level, new SessionEventPayload(count, json, types, session?.Id ?? string.Empty));
        }
        session?.LogCustomEvent(eventName, SessionKeywords.Session, null, fields, level);
    }

    /// <summary>
    /// Emits <c>MilestoneReached</c> (Milestone keyword, level Informational) with <c>MilestoneName</c> first, then
    /// <paramref name="fields"/>, and journals it in the current session.
    /// </summary>
    public static void LogAchievementMilestone(string milestoneName, IEnumerable<KeyValuePair<string, object?>>? fields = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(milestoneName);
        Session? session = Session.Current;
        if (!IsEnabled(SessionKeywords.Milestone) && session is null) return;
        EmitMilestoneToProvider(milestoneName, fields, session?.Id);
        session?.LogCustomEvent(MilestoneReachedEventName, SessionKeywords.Milestone, milestoneName, fields);
    }

    /// <summary>Only the provider half of <see cref="LogSessionEvent(string, EventLevel, IEnumerable{KeyValuePair{string, object}})"/>.</summary>
    internal static void EmitSessionEventToProvider(string eventName, EventLevel level, IEnumerable<KeyValuePair<string, object?>>? fields, string? sessionId)
    {
        var source = UnifiedTelemetryEventSource.Log;
        if (!source.IsEnabled(level, (EventKeywords)SessionKeywords.Session)) return;
        var (count, json, types) = UnifiedFieldEncoder.Encode(Redacted(fields, Session.Current));
        source.WriteSessionEvent(eventName, level, new SessionEventPayload(count, json, types, sessionId ?? string.Empty));
    }

    // Provider events are redacted like journal lines: with the session's redactor (none when it has redaction off),
    // or the built-in set when there is no session.
    private static IEnumerable<KeyValuePair<string, object?>>? Redacted(IEnumerable<KeyValuePair<string, object?>>? fields, Session? session)
    {
        var redactor = session is null ? Redaction.SecretRedactor.BuiltIn : session.Redactor;
        if (fields is null || redactor is null) return fields;
        return fields.Select(kv => kv.Value is string s ? new KeyValuePair<string, object?>(kv.Key, redactor.Redact(s, null)) : kv).ToList();
    }

    /// <summary>Only the provider half of <see cref="LogAchievementMilestone"/> (the caller journals).</summary>
    internal static void EmitMilestoneToProvider(string milestoneName, IEnumerable<KeyValuePair<string, object?>>? fields, string? sessionId)
    {
        if (!IsEnabled(SessionKeywords.Milestone)) return;
        var (count, json, types) = UnifiedFieldEncoder.Encode(Redacted(fields, Session.Current));
        UnifiedTelemetryEventSource.Log.WriteMilestone(new MilestonePayload(milestoneName, count, json, types, sessionId ?? string.Empty));
    }
}

/// <summary>
/// Writes fields as the provider's <c>Fields</c> JSON object and <c>FieldTypes</c> tag list (see
/// <see cref="TracePayload"/> for the reverse).
/// </summary>
internal static class UnifiedFieldEncoder
{
    public const string String = "string", Int64 = "int64", UInt64 = "uint64", Double = "double", Boolean = "bool",
        DateTime = "datetime", Guid = "guid", Null = "null";

    /// <summary>The field added last when string values were cut to fit the provider's size limit.</summary>
    public const string TruncatedField = "fields_truncated";

    /// <summary>
    /// The provider form of <paramref name="fields"/>, at most <see cref="InputLimits.MaxProviderFieldsChars"/>
    /// characters of JSON (an event over ETW's 64 KB is dropped silently): when longer, string values are cut to
    /// <see cref="InputLimits.MaxProviderStringChars"/> (ending in <see cref="InputLimits.TruncationMarker"/>) and
    /// <c>fields_truncated: true</c> is added; when still longer, the fields are replaced by
    /// <c>{"fields_truncated": true, "field_count": N}</c>. The journal keeps every field whole.
    /// </summary>
    public static (int Count, string Json, string Types) Encode(IEnumerable<KeyValuePair<string, object?>>? fields)
    {
        var list = fields?.ToList();
        var whole = EncodeList(list, cut: false);
        if (whole.Json.Length <= InputLimits.MaxProviderFieldsChars) return whole;
        var cut = EncodeList(list, cut: true);
        if (cut.Json.Length <= InputLimits.MaxProviderFieldsChars) return cut;
        return EncodeList([new(TruncatedField, true), new("field_count", (long)whole.Count)], cut: false);
    }

    /// <summary>Cuts a string to <paramref name="max"/> characters, the last ones being <see cref="InputLimits.TruncationMarker"/>.</summary>
    public static string Fit(string value, int max = InputLimits.MaxProviderStringChars) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, max - InputLimits.TruncationMarker.Length), InputLimits.TruncationMarker);

    private static (int Count, string Json, string Types) EncodeList(List<KeyValuePair<string, object?>>? fields, bool cut)
    {
        if (cut && fields is not null)
            fields = [.. fields.Select(f => f.Value is string s ? new KeyValuePair<string, object?>(f.Key, Fit(s)) : f), new(TruncatedField, true)];
        var buffer = new ArrayBufferWriter<byte>(256);
        var types = new StringBuilder();
        int count = 0;
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (fields is not null)
            {
                foreach (var (name, value) in fields)
                {
                    if (count > 0) types.Append(',');
                    writer.WritePropertyName(name);
                    types.Append(WriteValue(writer, value));
                    count++;
                }
            }
            writer.WriteEndObject();
        }
        return (count, Encoding.UTF8.GetString(buffer.WrittenSpan), types.ToString());
    }

    private static string WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); return Null;
            case string s: w.WriteStringValue(s); return String;
            case bool b: w.WriteBooleanValue(b); return Boolean;
            case sbyte or byte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return Int64;
            case ulong ul when ul <= long.MaxValue: w.WriteNumberValue((long)ul); return Int64;
            case ulong ul: w.WriteNumberValue(ul); return UInt64;
            case double d: WriteReal(w, d); return Double;
            case float f: WriteReal(w, f); return Double;
            case decimal m: WriteReal(w, (double)m); return Double;
            case DateTimeOffset dto: w.WriteStringValue(SessionManager.FormatTime(dto)); return DateTime;
            case System.DateTime dt: w.WriteStringValue(SessionManager.FormatTime(ToInstant(dt))); return DateTime;
            case System.Guid g: w.WriteStringValue(g.ToString("D")); return Guid;
            case IFormattable fm: w.WriteStringValue(fm.ToString(null, CultureInfo.InvariantCulture)); return String;
            default: w.WriteStringValue(value.ToString()); return String;
        }
    }

    /// <summary>NaN and infinities are not JSON numbers: written as their invariant text, still tagged double.</summary>
    private static void WriteReal(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d)) w.WriteNumberValue(d);
        else w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Unspecified counts as UTC (as the journal does).</summary>
    public static DateTimeOffset ToInstant(System.DateTime dt) =>
        dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt, TimeSpan.Zero) : new DateTimeOffset(dt.ToUniversalTime(), TimeSpan.Zero);

    /// <summary>The journal form of a field value: the same text and numbers as <see cref="Encode"/> writes.</summary>
    public static JsonNode? ToJournal(object? value) => value switch
    {
        null => null,
        ulong ul => JsonValue.Create(ul),
        decimal m => JsonValue.Create((double)m),
        DateTimeOffset dto => JsonValue.Create(SessionManager.FormatTime(dto)),
        System.DateTime dt => JsonValue.Create(SessionManager.FormatTime(ToInstant(dt))),
        sbyte or byte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        _ => Session.ToJson(value),
    };
}
