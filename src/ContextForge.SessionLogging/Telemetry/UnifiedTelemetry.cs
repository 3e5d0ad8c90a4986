using System.Buffers;
using System.Diagnostics.Tracing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// The entry point of the <c>ContextForge.UnifiedTelemetry</c> provider, shared by session logging and the
/// Achievement Engine. Each call records one event through the pipeline of <see cref="Session.Current"/> (journal,
/// then the provider when a listener asked for it), or, with no current session, through the sessionless pipeline
/// (the provider only). With no listener and no current session a call returns after two checks and allocates nothing.
/// </summary>
/// <remarks>
/// Field values are converted as <see cref="EventField"/> documents (strings, integers of any size, floating point,
/// exact decimals, booleans, times as UTC strings, GUIDs, null; anything else as its invariant text). Field names are
/// kept exactly as given, in the journal and on the provider.
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
        Session? session = Session.Current;
        if (session is null && !UnifiedTelemetryEventSource.Log.IsEnabled(level, (EventKeywords)SessionKeywords.Session)) return;
        Record(session, CustomEvent.Of(eventName, level, DateTimeOffset.UtcNow, FieldValues.From(fields)));
    }

    /// <summary>
    /// <see cref="LogSessionEvent(string, IEnumerable{KeyValuePair{string, object}})"/> for a hot path: the fields in a
    /// <see cref="System.Diagnostics.TagList"/> (up to eight without allocating a collection).
    /// </summary>
    public static void LogSessionEvent(string eventName, in System.Diagnostics.TagList fields) =>
        LogSessionEvent(eventName, EventLevel.Informational, in fields);

    /// <summary>
    /// <see cref="LogSessionEvent(string, EventLevel, IEnumerable{KeyValuePair{string, object}})"/> with the fields in a
    /// <see cref="System.Diagnostics.TagList"/>.
    /// </summary>
    public static void LogSessionEvent(string eventName, EventLevel level, in System.Diagnostics.TagList fields)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        Session? session = Session.Current;
        if (session is null && !UnifiedTelemetryEventSource.Log.IsEnabled(level, (EventKeywords)SessionKeywords.Session)) return;
        Record(session, CustomEvent.Of(eventName, level, DateTimeOffset.UtcNow, FieldValues.From(in fields)));
    }

    /// <summary>
    /// Emits <c>MilestoneReached</c> (Milestone keyword, level Informational) with <c>MilestoneName</c> first, then
    /// <paramref name="fields"/>, and journals it in the current session.
    /// </summary>
    public static void LogAchievementMilestone(string milestoneName, IEnumerable<KeyValuePair<string, object?>>? fields = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(milestoneName);
        Session? session = Session.Current;
        if (session is null && !IsEnabled(SessionKeywords.Milestone)) return;
        Record(session, new MilestoneReached(milestoneName, DateTimeOffset.UtcNow, FieldValues.From(fields)));
    }

    /// <summary>Records a custom event or milestone in <paramref name="session"/>, or on the provider alone when there is none.</summary>
    internal static void Record(Session? session, SessionRecord record)
    {
        if (session is not null) session.Record(record);
        else Pipeline.SessionEventPipeline.Sessionless.Emit(record);
    }
}

/// <summary>
/// Writes a custom event's fields as the provider's <c>Fields</c> JSON object and <c>FieldTypes</c> tag list (see
/// <see cref="TracePayload"/> for the reverse).
/// </summary>
internal static class UnifiedFieldEncoder
{
    public const string String = "string", Int64 = "int64", UInt64 = "uint64", Double = "double", Boolean = "bool",
        DateTime = "datetime", Guid = "guid", Null = "null", Json = "json";

    /// <summary>The field added last when string values were cut to fit the provider's size limit.</summary>
    public const string TruncatedField = "fields_truncated";

    private static readonly JsonWriterOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The provider form of <paramref name="fields"/>, at most <see cref="InputLimits.MaxProviderFieldsChars"/>
    /// characters of JSON (an event over ETW's 64 KB is dropped silently): when longer, string values are cut to
    /// <see cref="InputLimits.MaxProviderStringChars"/> (ending in <see cref="InputLimits.TruncationMarker"/>) and
    /// <c>fields_truncated: true</c> is added; when still longer, the fields are replaced by
    /// <c>{"fields_truncated": true, "field_count": N}</c>. The journal keeps every field whole.
    /// </summary>
    public static (int Count, string Json, string Types, bool Truncated) Encode(IReadOnlyList<Records.EventField> fields)
    {
        var whole = EncodeList(fields, cut: false);
        if (whole.Json.Length <= InputLimits.MaxProviderFieldsChars) return (whole.Count, whole.Json, whole.Types, false);
        var cut = EncodeList(fields, cut: true);
        if (cut.Json.Length <= InputLimits.MaxProviderFieldsChars) return (cut.Count, cut.Json, cut.Types, true);
        var summary = EncodeList([Records.FieldValues.From(TruncatedField, true), Records.FieldValues.From("field_count", (long)whole.Count)], cut: false);
        return (summary.Count, summary.Json, summary.Types, true);
    }

    /// <summary>Cuts a string to <paramref name="max"/> characters, the last ones being <see cref="InputLimits.TruncationMarker"/>.</summary>
    public static string Fit(string value, int max = InputLimits.MaxProviderStringChars) =>
        value.Length <= max ? value : string.Concat(value.AsSpan(0, max - InputLimits.TruncationMarker.Length), InputLimits.TruncationMarker);

    private static (int Count, string Json, string Types) EncodeList(IReadOnlyList<Records.EventField> fields, bool cut)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var types = new StringBuilder();
        int count = 0;
        using (var writer = new Utf8JsonWriter(buffer, Relaxed))
        {
            writer.WriteStartObject();
            foreach (var field in fields)
            {
                if (count > 0) types.Append(',');
                writer.WritePropertyName(field.Name);
                var node = JsonNode.Parse(field.Json);
                if (node is null) writer.WriteNullValue();
                else if (cut && node is JsonValue v && v.TryGetValue(out string? s)) writer.WriteStringValue(Fit(s));
                else node.WriteTo(writer);
                types.Append(field.ProviderType);
                count++;
            }
            if (cut)
            {
                if (count > 0) types.Append(',');
                writer.WriteBoolean(TruncatedField, true);
                types.Append(Boolean);
                count++;
            }
            writer.WriteEndObject();
        }
        return (count, Encoding.UTF8.GetString(buffer.WrittenSpan), types.ToString());
    }

    /// <summary>Unspecified counts as UTC (as the journal does).</summary>
    public static DateTimeOffset ToInstant(System.DateTime dt) =>
        dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt, TimeSpan.Zero) : new DateTimeOffset(dt.ToUniversalTime(), TimeSpan.Zero);
}
