using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Journal;

/// <summary>
/// Journal format 2 leaves out of each line what a reader can derive exactly, and says so in the line's
/// <c>derived</c> bit set, so that reading gives back the very fields that were recorded (docs/journal-format.md):
/// a field is dropped only when it holds the derivable value, and a reader restores only the fields whose bit is set.
/// </summary>
internal static class JournalCompaction
{
    /// <summary>The line key holding the bit set.</summary>
    public const string DerivedKey = "derived";

    /// <summary><c>correlation_id</c> = the session id.</summary>
    public const int CorrelationId = 1;
    /// <summary><c>trace_id</c> = the session id without dashes.</summary>
    public const int TraceId = 2;
    /// <summary><c>span_id</c> = the first 16 hex digits of the operation id (a capture) or of the activity id (SessionStart).</summary>
    public const int SpanId = 4;
    /// <summary><c>etw_correlation.activity_id</c> = the event's activity id.</summary>
    public const int EtwActivityId = 8;
    /// <summary><c>etw_correlation.operation_id</c> / <c>achievement_id</c> = the event's own operation / achievement id.</summary>
    public const int EtwOwnId = 16;
    /// <summary><c>integrity_hash</c> = the SHA-256 of nothing (<c>output_length</c> 0).</summary>
    public const int EmptyOutputHash = 32;
    /// <summary><c>stderr_hash</c> = the SHA-256 of nothing (<c>stderr_length</c> 0).</summary>
    public const int EmptyStderrHash = 64;

    /// <summary><c>start_time</c> = the line's <c>ts</c>, character for character.</summary>
    public const int StartTimeIsTimestamp = 128;
    /// <summary><c>end_time</c> = the line's <c>ts</c>, character for character.</summary>
    public const int EndTimeIsTimestamp = 256;
    /// <summary><c>output_sample</c> = <c>output</c> (an output short enough to be its own sample).</summary>
    public const int OutputSampleIsOutput = 512;
    /// <summary><c>cwd</c> = the event's <c>provenance.cwd</c>.</summary>
    public const int CwdIsProvenanceCwd = 1024;
    /// <summary><c>parent_span_id</c> = the first 16 hex digits of the event's activity id (a top-level operation of the session).</summary>
    public const int ParentSpanIsActivity = 2048;
    /// <summary><c>stderr</c> = <c>""</c> (<c>stderr_length</c> 0).</summary>
    public const int EmptyStderr = 4096;
    /// <summary><c>etw_correlation</c> = <c>{"etw_emitted":false}</c> once its derivable members are out: the whole object is left out.</summary>
    public const int EtwNotEmitted = 8192;

    /// <summary>The bits a reader can restore from the line alone (its <c>ts</c> and session id): no provenance or activity id needed.</summary>
    public const int LineLocalBits = CorrelationId | TraceId | EmptyOutputHash | EmptyStderrHash | StartTimeIsTimestamp | EndTimeIsTimestamp | OutputSampleIsOutput | EmptyStderr;

    /// <summary>
    /// The fields a <c>TerminalCapture</c> shares with its <c>OperationStarted</c>: when the capture's are all equal to
    /// the start line's (and its fields are in the contract's order), it leaves them out and refers to that line (<c>op</c>).
    /// </summary>
    public static readonly string[] StartFields = [JournalFields.OperationId, JournalFields.OperationName, JournalFields.OperationKind, JournalFields.StartTime, JournalFields.Command, JournalFields.Arguments];

    /// <summary>The start fields of an <c>OperationStarted</c> event, as a capture of the operation compares and restores them; null when one is missing.</summary>
    public static JsonObject? StartFieldsOf(JsonObject fields)
    {
        var start = new JsonObject();
        foreach (string key in StartFields)
        {
            if (!fields.TryGetPropertyValue(key, out var value)) return null;
            start[key] = value?.DeepClone();
        }
        return start;
    }

    /// <summary>True when a capture may refer to its operation's start line instead of holding <see cref="StartFields"/>.</summary>
    public static bool SharesStartFields(SessionEvent capture, JsonObject start)
    {
        if (capture.Name != SessionEventNames.TerminalCapture || !IsInContractOrder(capture.Fields, EventContracts.TerminalCapture.JournalFields)) return false;
        foreach (string key in StartFields)
        {
            if (!capture.Fields.TryGetPropertyValue(key, out var value) || !JsonNode.DeepEquals(value, start[key])) return false;
        }
        return true;
    }

    /// <summary>Puts a capture's start fields back from its operation's start line, in the contract's order.</summary>
    public static void RestoreStartFields(string eventName, JsonObject fields, JsonObject start)
    {
        var order = EventContracts.For(eventName).JournalFields;
        foreach (string key in StartFields) InsertInOrder(fields, order, key, start[key]?.DeepClone(), nullable: true);
    }

    /// <summary>The hash of zero bytes, as stored.</summary>
    public const string EmptyHash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private const string EtwActivityIdKey = "activity_id";
    private const string EtwEmittedKey = "etw_emitted";

    /// <summary>Which derivable fields of <paramref name="e"/> hold exactly their derived value (and so are left out).</summary>
    public static int DerivableOf(SessionEvent e)
    {
        var f = e.Fields;
        // Only a typed event's own contract fields: a caller's field of the same name is kept as given.
        var order = EventContracts.For(e.Name).JournalFields;
        // Only fields in the contract's order: then a restored field goes back exactly where it was.
        if (order.Count <= 1 || !IsInContractOrder(f, order)) return 0;
        int bits = 0;
        if (Text(f[JournalFields.CorrelationId]) is { } correlation && correlation == e.SessionId && order.Contains(JournalFields.CorrelationId)) bits |= CorrelationId;
        if (Text(f[JournalFields.TraceId]) is { } trace && trace == TraceIdOf(e.SessionId) && order.Contains(JournalFields.TraceId)) bits |= TraceId;
        if (Text(f[JournalFields.SpanId]) is { } span && span == SpanIdOf(e.Name, f, e.ActivityId) && order.Contains(JournalFields.SpanId)) bits |= SpanId;
        if (f[JournalFields.EtwCorrelation] is JsonObject etw && order.Contains(JournalFields.EtwCorrelation))
        {
            if (Text(etw[EtwActivityIdKey]) is { } activity && Guid.TryParse(activity, out var a) && a == e.ActivityId
                && activity == e.ActivityId.ToString("D") && etw.Count > 0 && etw.First().Key == EtwActivityIdKey)
                bits |= EtwActivityId;
            if (OwnIdKey(f) is { } idKey && etw.Count > 0 && etw.Last().Key == idKey && etw[idKey] is JsonValue idv
                && idv.TryGetValue(out string? id) && id == Text(f[idKey]) && idKey != EtwActivityIdKey)
                bits |= EtwOwnId;
        }
        if (order.Contains(JournalFields.IntegrityHash) && IsEmptyStream(f, JournalFields.OutputLength, JournalFields.IntegrityHash)) bits |= EmptyOutputHash;
        if (order.Contains(JournalFields.StderrHash) && IsEmptyStream(f, JournalFields.StderrLength, JournalFields.StderrHash)) bits |= EmptyStderrHash;
        string ts = TimestampText(e.Timestamp);
        if (order.Contains(JournalFields.StartTime) && Text(f[JournalFields.StartTime]) == ts) bits |= StartTimeIsTimestamp;
        if (order.Contains(JournalFields.EndTime) && Text(f[JournalFields.EndTime]) == ts) bits |= EndTimeIsTimestamp;
        if (order.Contains(JournalFields.OutputSample) && Text(f[JournalFields.OutputSample]) is { } sample && sample == Text(f[JournalFields.Output])) bits |= OutputSampleIsOutput;
        if (order.Contains(JournalFields.Cwd) && Text(f[JournalFields.Cwd]) is { } cwd && f[JournalFields.Provenance] is JsonObject p && Text(p[JournalFields.Cwd]) == cwd
            && IndexOf(f, JournalFields.Provenance) > IndexOf(f, JournalFields.Cwd)) bits |= CwdIsProvenanceCwd;
        if (order.Contains(JournalFields.ParentSpanId) && Text(f[JournalFields.ParentSpanId]) is { } parent && parent == e.ActivityId.ToString("N")[..16]) bits |= ParentSpanIsActivity;
        if (order.Contains(JournalFields.Stderr) && Text(f[JournalFields.Stderr]) == "" && f[JournalFields.StderrLength] is JsonValue sl && sl.TryGetValue(out long stderrLength) && stderrLength == 0) bits |= EmptyStderr;
        if (f[JournalFields.EtwCorrelation] is JsonObject etwAll && order.Contains(JournalFields.EtwCorrelation) && IsOnlyNotEmitted(etwAll, bits)) bits |= EtwNotEmitted;
        return bits;
    }

    /// <summary>The line's <c>ts</c> as the writer formats it ("O" of the UTC time: 28 characters).</summary>
    public static string TimestampText(DateTimeOffset timestamp) => timestamp.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="key"/> of the event is left out under <paramref name="bits"/>.</summary>
    public static bool IsDropped(string key, int bits) => key switch
    {
        JournalFields.StartTime => (bits & StartTimeIsTimestamp) != 0,
        JournalFields.EndTime => (bits & EndTimeIsTimestamp) != 0,
        JournalFields.OutputSample => (bits & OutputSampleIsOutput) != 0,
        JournalFields.Cwd => (bits & CwdIsProvenanceCwd) != 0,
        JournalFields.ParentSpanId => (bits & ParentSpanIsActivity) != 0,
        JournalFields.Stderr => (bits & EmptyStderr) != 0,
        JournalFields.EtwCorrelation => (bits & EtwNotEmitted) != 0,
        JournalFields.CorrelationId => (bits & CorrelationId) != 0,
        JournalFields.TraceId => (bits & TraceId) != 0,
        JournalFields.SpanId => (bits & SpanId) != 0,
        JournalFields.IntegrityHash => (bits & EmptyOutputHash) != 0,
        JournalFields.StderrHash => (bits & EmptyStderrHash) != 0,
        _ => false,
    };

    /// <summary>Writes <c>etw_correlation</c> without its derivable members.</summary>
    public static void WriteEtwCorrelation(Utf8JsonWriter json, JsonObject etw, int bits)
    {
        json.WriteStartObject();
        int n = 0;
        foreach (var (key, value) in etw)
        {
            n++;
            if (n == 1 && key == EtwActivityIdKey && (bits & EtwActivityId) != 0) continue;
            if (n == etw.Count && (bits & EtwOwnId) != 0) continue;
            json.WritePropertyName(key);
            if (value is null) json.WriteNullValue();
            else value.WriteTo(json);
        }
        json.WriteEndObject();
    }

    /// <summary>Puts back, in the contract's order, every field <paramref name="bits"/> says was left out.</summary>
    public static void Restore(string eventName, JsonObject fields, string sessionId, Guid activityId, string timestamp, int bits)
    {
        if (bits == 0) return;
        var order = EventContracts.For(eventName).JournalFields;
        // In the contract's order, so that each one finds the fields before it already in place.
        if ((bits & ParentSpanIsActivity) != 0) InsertInOrder(fields, order, JournalFields.ParentSpanId, activityId.ToString("N")[..16]);
        if ((bits & StartTimeIsTimestamp) != 0) InsertInOrder(fields, order, JournalFields.StartTime, timestamp);
        if ((bits & EndTimeIsTimestamp) != 0) InsertInOrder(fields, order, JournalFields.EndTime, timestamp);
        if ((bits & CwdIsProvenanceCwd) != 0 && fields[JournalFields.Provenance] is JsonObject p) InsertInOrder(fields, order, JournalFields.Cwd, Text(p[JournalFields.Cwd]));
        if ((bits & EmptyStderr) != 0) InsertInOrder(fields, order, JournalFields.Stderr, "");
        if ((bits & OutputSampleIsOutput) != 0) InsertInOrder(fields, order, JournalFields.OutputSample, Text(fields[JournalFields.Output]));
        if ((bits & EtwNotEmitted) != 0) InsertInOrder(fields, order, JournalFields.EtwCorrelation, new JsonObject { [EtwEmittedKey] = false });
        if ((bits & CorrelationId) != 0) InsertInOrder(fields, order, JournalFields.CorrelationId, sessionId);
        if ((bits & TraceId) != 0) InsertInOrder(fields, order, JournalFields.TraceId, TraceIdOf(sessionId));
        if ((bits & SpanId) != 0) InsertInOrder(fields, order, JournalFields.SpanId, SpanIdOf(eventName, fields, activityId));
        if ((bits & EmptyOutputHash) != 0) InsertAfter(fields, JournalFields.OutputLength, JournalFields.IntegrityHash, EmptyHash);
        if ((bits & EmptyStderrHash) != 0) InsertAfter(fields, JournalFields.StderrLength, JournalFields.StderrHash, EmptyHash);
        if (fields[JournalFields.EtwCorrelation] is JsonObject etw)
        {
            if ((bits & EtwActivityId) != 0) etw.Insert(0, EtwActivityIdKey, activityId.ToString("D"));
            if ((bits & EtwOwnId) != 0 && OwnIdKey(fields) is { } idKey) etw[idKey] = fields[idKey]?.DeepClone();
        }
    }

    /// <summary>The W3C trace id of a session: its id without dashes.</summary>
    public static string TraceIdOf(string sessionId) => sessionId.Replace("-", "", StringComparison.Ordinal);

    private static string? SpanIdOf(string eventName, JsonObject fields, Guid activityId)
    {
        if (eventName == SessionEventNames.SessionStart) return activityId.ToString("N")[..16];
        return Text(fields[JournalFields.OperationId]) is { Length: >= 36 } op && Guid.TryParse(op, out var g) ? g.ToString("N")[..16] : null;
    }

    private static string? OwnIdKey(JsonObject fields) =>
        fields.ContainsKey(JournalFields.OperationId) ? JournalFields.OperationId
        : fields.ContainsKey(JournalFields.AchievementId) ? JournalFields.AchievementId
        : null;

    /// <summary>True when the keys of <paramref name="fields"/> are all in <paramref name="order"/>, in that order.</summary>
    private static bool IsInContractOrder(JsonObject fields, IReadOnlyList<string> order)
    {
        int at = 0;
        foreach (var (key, _) in fields)
        {
            while (at < order.Count && order[at] != key) at++;
            if (at == order.Count) return false;
            at++;
        }
        return true;
    }

    /// <summary>True when <c>etw_correlation</c> holds nothing but <c>"etw_emitted": false</c> besides the members <paramref name="bits"/> derives.</summary>
    private static bool IsOnlyNotEmitted(JsonObject etw, int bits)
    {
        int kept = 0;
        int n = 0;
        foreach (var (key, value) in etw)
        {
            n++;
            if (n == 1 && key == EtwActivityIdKey && (bits & EtwActivityId) != 0) continue;
            if (n == etw.Count && (bits & EtwOwnId) != 0) continue;
            if (key != EtwEmittedKey || value is not JsonValue v || !v.TryGetValue(out bool emitted) || emitted) return false;
            kept++;
        }
        // Restored as {"etw_emitted":false}, then the activity id put first and the own id last, as they were.
        return kept == 1;
    }

    private static bool IsEmptyStream(JsonObject f, string lengthKey, string hashKey) =>
        f[lengthKey] is JsonValue l && l.TryGetValue(out long length) && length == 0 && Text(f[hashKey]) == EmptyHash && IndexOf(f, hashKey) == IndexOf(f, lengthKey) + 1;

    private static void InsertInOrder(JsonObject fields, IReadOnlyList<string> order, string key, JsonNode? value, bool nullable = false)
    {
        if (value is null && !nullable || fields.ContainsKey(key)) return;
        int rank = IndexOf(order, key);
        int at = 0;
        for (int i = rank - 1; i >= 0; i--)
        {
            int present = IndexOf(fields, order[i]);
            if (present >= 0)
            {
                at = present + 1;
                break;
            }
        }
        fields.Insert(at, key, value);
    }

    private static void InsertAfter(JsonObject fields, string after, string key, string value)
    {
        if (fields.ContainsKey(key)) return;
        fields.Insert(IndexOf(fields, after) + 1, key, value);
    }

    private static int IndexOf(IReadOnlyList<string> list, string key)
    {
        for (int i = 0; i < list.Count; i++) if (list[i] == key) return i;
        return -1;
    }

    private static int IndexOf(JsonObject fields, string key)
    {
        int i = 0;
        foreach (var (k, _) in fields)
        {
            if (k == key) return i;
            i++;
        }
        return -1;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
