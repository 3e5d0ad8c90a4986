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

    /// <summary>The hash of zero bytes, as stored.</summary>
    public const string EmptyHash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private const string EtwActivityIdKey = "activity_id";

    /// <summary>Which derivable fields of <paramref name="e"/> hold exactly their derived value (and so are left out).</summary>
    public static int DerivableOf(SessionEvent e)
    {
        var f = e.Fields;
        // Only a typed event's own contract fields: a caller's field of the same name is kept as given.
        var order = EventContracts.For(e.Name).JournalFields;
        if (order.Count <= 1) return 0;
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
        return bits;
    }

    /// <summary>True when <paramref name="key"/> of the event is left out under <paramref name="bits"/>.</summary>
    public static bool IsDropped(string key, int bits) => key switch
    {
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
    public static void Restore(string eventName, JsonObject fields, string sessionId, Guid activityId, int bits)
    {
        if (bits == 0) return;
        var order = EventContracts.For(eventName).JournalFields;
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

    private static bool IsEmptyStream(JsonObject f, string lengthKey, string hashKey) =>
        f[lengthKey] is JsonValue l && l.TryGetValue(out long length) && length == 0 && Text(f[hashKey]) == EmptyHash && IndexOf(f, hashKey) == IndexOf(f, lengthKey) + 1;

    private static void InsertInOrder(JsonObject fields, IReadOnlyList<string> order, string key, string? value)
    {
        if (value is null || fields.ContainsKey(key)) return;
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
