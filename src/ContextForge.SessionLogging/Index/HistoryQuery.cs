using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Query;
using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.Index;

/// <summary>One indexed event: where it is in the journal, and its fields (inline output left out).</summary>
internal sealed record IndexedEvent(long Id, string SessionId, string File, long Sequence, long Line, long LineOffset, int LineLength,
    DateTimeOffset Timestamp, string Name, EventLevel Level, SessionKeywords Keywords, JsonObject Fields)
{
    public string? OperationId => Fields[JournalFields.OperationId] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>Of an OperationStarted without a capture: "interrupted" when the process that ran it is provably gone, else "running".</summary>
    public string OperationStatus => ProcessLiveness.Check(Fields[JournalFields.Provenance]) == WriterState.Dead ? "interrupted" : "running";

    public SessionEvent ToSessionEvent(Guid activityId) =>
        new(Name, Timestamp, SessionId, activityId, Level, Keywords, (JsonObject)Fields.DeepClone()) { Sequence = Sequence, Segment = Path.GetFileNameWithoutExtension(File) };

    /// <summary>
    /// <see cref="ToSessionEvent"/> that hands this event's <see cref="Fields"/> over instead of copying them: for rows
    /// read for that one use (each row's fields are parsed from its own line, shared with nothing), after which this
    /// event is not used again. Copying them was 5 % of <c>inspect</c>'s time (its five cross-session summaries).
    /// </summary>
    public SessionEvent IntoSessionEvent(Guid activityId) =>
        new(Name, Timestamp, SessionId, activityId, Level, Keywords, Fields) { Sequence = Sequence, Segment = Path.GetFileNameWithoutExtension(File) };
}

/// <summary>One session row of the index.</summary>
internal sealed record IndexedSession(string SessionId, string Name, string Type, string? ParentSessionId, string? Host, DateTimeOffset? StartTime,
    DateTimeOffset? EndTime, DateTimeOffset? LastEventTime, double? DurationMs, string Status, long OperationCount, long FailedOperationCount,
    long AchievementCount, long? LastExitCode, Guid ActivityId, long InterruptedOperationCount = 0);

/// <summary>The read side of the index: history, sessions, search hits, one session's timeline.</summary>
internal static class HistoryQuery
{
    internal const string EventColumns = "e.id, g.session_id, g.file, e.seq, e.line, e.line_offset, e.line_length, e.ts, e.name, e.level, e.keywords";

    /// <summary>The events with their segment (<c>g</c>: its file and session), as every event query reads them.</summary>
    internal const string EventsWithSegment = "events e JOIN segments g ON g.id = e.segment";

    /// <summary>The segments of session <c>$s</c>: an event's session is its segment's.</summary>
    internal const string SegmentsOfSession = "(SELECT id FROM segments WHERE session_id = $s)";
    private const string SessionColumns = "session_id, name, type, parent_session_id, host, start_ts, end_ts, last_ts, duration_ms, status, operation_count, failed_operation_count, achievement_count, last_exit_code, activity_id, interrupted_operation_count";

    public static IReadOnlyList<IndexedEvent> Events(HistoryIndex index, HistoryFilter filter)
    {
        using var cmd = index.Command("");
        var where = Where(filter, cmd);
        cmd.CommandText = $"SELECT {EventColumns} FROM {EventsWithSegment}{(NeedsSessionJoin(filter) ? " JOIN sessions s ON s.session_id = g.session_id" : "")} WHERE {where} ORDER BY e.ts DESC, e.id DESC LIMIT $limit OFFSET $offset";
        cmd.Parameters.AddWithValue("$limit", filter.Limit <= 0 ? -1 : filter.Limit);
        cmd.Parameters.AddWithValue("$offset", Math.Max(0, filter.Offset));
        return ReadEvents(index, cmd);
    }

    /// <summary>
    /// Full-text search over output (FTS5): every whitespace-separated term must occur; newest first, one page. Ranked
    /// by the index alone, in one of two ways chosen by how many outputs match (FTS5 counts them from its doclists,
    /// without reading rows): few matches are looked up and sorted (cost: the matches); many are found by walking
    /// the events newest first (the <c>events_ts</c> index) and keeping those in the match set, which stops once the
    /// page is full (cost: about page × events ÷ matches). A common word on 100k operations is a few index pages,
    /// not 16k row lookups and a sort.
    /// </summary>
    public static IReadOnlyList<IndexedEvent> Search(HistoryIndex index, string text, HistoryFilter filter)
    {
        string match = MatchExpression(text);
        using var cmd = index.Command("");
        var where = Where(filter with { Keywords = SessionKeywords.Terminal }, cmd);
        string sessions = NeedsSessionJoin(filter) ? " JOIN sessions s ON s.session_id = g.session_id" : "";
        cmd.CommandText = WalkNewestFirst(index, match, filter)
            ? $"SELECT {EventColumns} FROM events e INDEXED BY events_ts JOIN segments g ON g.id = e.segment{sessions} WHERE e.id IN (SELECT rowid FROM output_fts WHERE output_fts MATCH $match) AND {where} ORDER BY e.ts DESC, e.id DESC LIMIT $limit OFFSET $offset"
            : $"SELECT {EventColumns} FROM output_fts f JOIN events e ON e.id = f.rowid JOIN segments g ON g.id = e.segment{sessions} WHERE output_fts MATCH $match AND {where} ORDER BY e.ts DESC, e.id DESC LIMIT $limit OFFSET $offset";
        cmd.Parameters.AddWithValue("$match", match);
        cmd.Parameters.AddWithValue("$limit", filter.Limit <= 0 ? -1 : filter.Limit);
        cmd.Parameters.AddWithValue("$offset", Math.Max(0, filter.Offset));
        return ReadEvents(index, cmd);
    }

    /// <summary>
    /// True when walking the events newest first is cheaper than sorting the matches: when matches² ≥ (page end) ×
    /// events ÷ 16 (a sorted match costs about 16 times a walked index entry). Never for an unbounded page.
    /// </summary>
    private static bool WalkNewestFirst(HistoryIndex index, string match, HistoryFilter filter)
    {
        if (filter.Limit <= 0) return false;
        using var count = index.Command("SELECT (SELECT count(*) FROM output_fts WHERE output_fts MATCH $match), (SELECT max(id) FROM events)");
        count.Parameters.AddWithValue("$match", match);
        using var r = count.ExecuteReader();
        if (!r.Read() || r.IsDBNull(1)) return false;
        long matches = r.GetInt64(0), events = r.GetInt64(1);
        long pageEnd = (long)filter.Limit + Math.Max(0, filter.Offset);
        return matches > 0 && matches * matches >= pageEnd * events / 16;
    }

    /// <summary>The FTS5 expression for plain user text: each term quoted (so punctuation is literal), all required.</summary>
    public static string MatchExpression(string text) =>
        string.Join(" AND ", SearchTerms(text).Select(t => "\"" + t.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));

    // Control characters are separators: a NUL inside an FTS5 string ends it early ("unterminated string"), and the
    // indexed text holds no controls anyway.
    public static IReadOnlyList<string> SearchTerms(string text) =>
        new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static IReadOnlyList<IndexedEvent> SessionEvents(HistoryIndex index, string sessionId)
    {
        using var cmd = index.Command($"SELECT {EventColumns} FROM {EventsWithSegment} WHERE e.segment IN {SegmentsOfSession} ORDER BY e.ts, g.file, e.seq");
        cmd.Parameters.AddWithValue("$s", sessionId);
        return ReadEvents(index, cmd);
    }

    /// <summary>Sessions with at least one event, newest start first.</summary>
    public static IReadOnlyList<IndexedSession> Sessions(HistoryIndex index, int limit, string? exceptSessionId = null, IReadOnlyCollection<string>? only = null, SessionFilter? filter = null)
    {
        using var cmd = index.Command("");
        var sql = new StringBuilder($"SELECT {SessionColumns} FROM sessions WHERE first_ts IS NOT NULL");
        if (filter is not null) AppendSessionFilter(filter, sql, cmd);
        if (exceptSessionId is not null)
        {
            sql.Append(" AND session_id <> $except");
            cmd.Parameters.AddWithValue("$except", exceptSessionId);
        }
        if (only is not null)
        {
            sql.Append(" AND session_id IN (SELECT value FROM json_each($only))");
            cmd.Parameters.AddWithValue("$only", new JsonArray(only.Select(o => (JsonNode?)o).ToArray()).ToJsonString());
        }
        sql.Append(" ORDER BY start_ts DESC, session_id LIMIT $limit OFFSET $offset");
        cmd.Parameters.AddWithValue("$limit", limit <= 0 ? -1 : limit);
        cmd.Parameters.AddWithValue("$offset", Math.Max(0, filter?.Offset ?? 0));
        cmd.CommandText = sql.ToString();
        var list = new List<IndexedSession>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new IndexedSession(r.GetString(0), r.GetString(1), r.GetString(2), Nullable(r, 3), Nullable(r, 4), Time(r, 5), Time(r, 6), Time(r, 7),
                r.IsDBNull(8) ? null : r.GetDouble(8), r.GetString(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12),
                r.IsDBNull(13) ? null : r.GetInt64(13), r.IsDBNull(14) ? Guid.Empty : Guid.Parse(r.GetString(14)), r.GetInt64(15)));
        }
        return list;
    }

    private static void AppendSessionFilter(SessionFilter f, StringBuilder sql, SqliteCommand cmd)
    {
        void Add(string clause, string name, object value)
        {
            sql.Append(" AND ").Append(clause);
            cmd.Parameters.AddWithValue(name, value);
        }
        if (f.Since is { } since) Add("start_ts >= $since", "$since", since.ToUnixTimeMilliseconds());
        if (f.Name is { } n) Add("name LIKE $name ESCAPE '\\'", "$name", "%" + EscapeLike(n) + "%");
        if (f.Type is { } t) Add("type = $type", "$type", t);
        if (f.Host is { } h) Add("host = $host", "$host", h);
        if (f.Failed) sql.Append(" AND failed_operation_count > 0");
    }

    public static IndexedSession? Session(HistoryIndex index, string sessionId) => Sessions(index, 1, only: [sessionId]).FirstOrDefault();

    /// <summary>How many other sessions started at or after <paramref name="since"/>.</summary>
    public static long CountSessionsSince(HistoryIndex index, DateTimeOffset since, string? exceptSessionId)
    {
        using var cmd = index.Command("SELECT COUNT(*) FROM sessions WHERE first_ts IS NOT NULL AND start_ts >= $since AND session_id <> $except");
        cmd.Parameters.AddWithValue("$since", IndexTime.Of(since));
        cmd.Parameters.AddWithValue("$except", exceptSessionId ?? string.Empty);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>A session rebuilt from the index as a <see cref="SessionSummary"/> (for the grouped form).</summary>
    public static SessionSummary Summary(HistoryIndex index, IndexedSession session) =>
        SessionSummary.FromEvents(session.SessionId, SessionEvents(index, session.SessionId).Select(e => e.IntoSessionEvent(session.ActivityId)).ToList())
            .WithIndexedStatus(session.Status);

    /// <summary>Finds an operation of a session by its id or a unique prefix of it.</summary>
    public static IReadOnlyList<IndexedEvent> FindOperation(HistoryIndex index, string sessionId, string operationPrefix)
    {
        string prefix = operationPrefix.Trim().ToLowerInvariant();
        // A whole id is looked up through the captures' operation-id index (a report asks once per operation): LIKE
        // with ESCAPE cannot use it, and the unary + keeps the segment list out of the planner's index choice.
        bool whole = Guid.TryParseExact(prefix, "D", out _);
        using var cmd = index.Command($"SELECT {EventColumns} FROM {EventsWithSegment} WHERE {(whole ? $"+e.segment IN {SegmentsOfSession} AND e.operation_id = $p" : $"e.segment IN {SegmentsOfSession} AND e.operation_id LIKE $p ESCAPE '\\'")} AND e.name IN ('TerminalCapture', 'TerminalCaptureFailed') ORDER BY e.ts LIMIT 2");
        cmd.Parameters.AddWithValue("$s", sessionId);
        cmd.Parameters.AddWithValue("$p", whole ? prefix : EscapeLike(prefix) + "%");
        return ReadEvents(index, cmd);
    }

    /// <summary>Finds an operation in any session by its full id or a unique prefix of it (at most two rows: more means ambiguous).</summary>
    public static IReadOnlyList<IndexedEvent> FindOperationAnywhere(HistoryIndex index, string operationPrefix)
    {
        string wanted = operationPrefix.Trim().ToLowerInvariant();
        using var cmd = index.Command(Guid.TryParseExact(wanted, "D", out _)
            ? $"SELECT {EventColumns} FROM {EventsWithSegment} WHERE e.operation_id = $p AND e.name IN ('TerminalCapture', 'TerminalCaptureFailed') ORDER BY e.ts LIMIT 2"
            : $"SELECT {EventColumns} FROM {EventsWithSegment} WHERE e.operation_id LIKE $p ESCAPE '\\' AND e.name IN ('TerminalCapture', 'TerminalCaptureFailed') ORDER BY e.ts LIMIT 2");
        cmd.Parameters.AddWithValue("$p", Guid.TryParseExact(wanted, "D", out _) ? wanted : EscapeLike(wanted) + "%");
        return ReadEvents(index, cmd);
    }

    /// <summary>For an OperationStarted row <c>e</c> of segment <c>g</c>: the session holds no capture of the same operation.</summary>
    internal const string NoCaptureClause = """
        NOT EXISTS (SELECT 1 FROM events c JOIN segments cg ON cg.id = c.segment WHERE c.name IN ('TerminalCapture', 'TerminalCaptureFailed')
            AND c.operation_id = e.operation_id AND cg.session_id = g.session_id)
        """;

    private static bool NeedsSessionJoin(HistoryFilter f) => f.Name is not null || f.Type is not null;

    private static string Where(HistoryFilter f, SqliteCommand cmd)
    {
        // An OperationStarted is listed only while its capture is missing (running, or interrupted).
        var clauses = new List<string> { "(e.keywords & $keywords) <> 0", $"(e.name <> 'OperationStarted' OR {NoCaptureClause})" };
        cmd.Parameters.AddWithValue("$keywords", (long)f.Keywords);
        void Add(string clause, string name, object value)
        {
            clauses.Add(clause);
            cmd.Parameters.AddWithValue(name, value);
        }
        if (f.From is { } from) Add("e.ts >= $from", "$from", IndexTime.Of(from));
        if (f.To is { } to) Add("e.ts <= $to", "$to", IndexTime.Of(to));
        if (f.Session is { Length: > 0 } s) Add("g.session_id LIKE $session ESCAPE '\\'", "$session", EscapeLike(s.Trim().ToLowerInvariant()) + "%");
        if (f.Name is { } n) Add("s.name LIKE $name ESCAPE '\\'", "$name", "%" + EscapeLike(n) + "%");
        if (f.Type is { } t) Add("s.type = $type", "$type", t);
        if (f.Command is { Length: > 0 } c)
            Add("e.operation_name LIKE $command ESCAPE '\\'", "$command", c.StartsWith('^') ? EscapeLike(c[1..]) + "%" : "%" + EscapeLike(c) + "%");
        if (f.Cwd is { Length: > 0 } cwd)
        {
            string dir = cwd.Length > 1 ? cwd.TrimEnd('/') : cwd;
            Add("(e.cwd = $cwd OR e.cwd LIKE $cwdbelow ESCAPE '\\')", "$cwd", dir);
            cmd.Parameters.AddWithValue("$cwdbelow", EscapeLike(dir == "/" ? "" : dir) + "/%");
        }
        if (f.Host is { } h) Add("e.host = $host", "$host", h);
        if (f.Failed) clauses.Add("e.failed = 1");
        if (f.ExitCode is { } x) Add(x != 0 ? "e.failed = 1 AND e.exit_code = $exit" : "e.exit_code = $exit", "$exit", x); // failed = 1 lets the partial index serve
        if (f.AchievementType is { } at) Add("e.achievement_type = $achtype", "$achtype", at);
        return string.Join(" AND ", clauses);
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    /// <summary>
    /// The rows <paramref name="cmd"/> selects (<see cref="EventColumns"/>), each with its fields read back from its
    /// journal line (the index does not hold them: <see cref="IndexedLineReader"/>).
    /// </summary>
    internal static List<IndexedEvent> ReadEvents(HistoryIndex index, SqliteCommand cmd)
    {
        var rows = new List<(long Id, string Session, string File, long Seq, long Line, long Offset, int Length, long Ts, string Name, int Level, long Keywords)>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
                rows.Add((r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt32(6), r.GetInt64(7), r.GetString(8), r.GetInt32(9), r.GetInt64(10)));
        }
        using var lines = new IndexedLineReader(index, cmd.Transaction);
        lines.Prefetch(rows.Select(x => (x.File, x.Offset, x.Length)));
        var list = new List<IndexedEvent>(rows.Count);
        foreach (var x in rows)
        {
            list.Add(new IndexedEvent(x.Id, x.Session, x.File, x.Seq, x.Line, x.Offset, x.Length, IndexTime.ToTime(x.Ts), x.Name,
                (EventLevel)x.Level, (SessionKeywords)x.Keywords, lines.Fields(x.File, x.Offset, x.Length)));
        }
        return list;
    }

    private static string? Nullable(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : IndexTime.ToTime(r.GetInt64(i));

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
