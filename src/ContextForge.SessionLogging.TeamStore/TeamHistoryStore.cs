using System.Diagnostics.Tracing;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using Npgsql;
using NpgsqlTypes;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// The team store as a backend of the query API: every answer is one SQL query on PostgreSQL (as the login, so
/// row-level security decides which teams' rows it sees), over the query columns and session rows sync writes
/// (schema 2), restricted to <c>--host</c>/<c>--user</c> when given. Every value is a parameter. The rows are the
/// local index's rows, so <see cref="SessionQueries"/> builds the same documents from them. Stored outputs in blobs
/// are fetched on demand into <c>&lt;data&gt;/team-cache/blobs/</c> (content-addressed; derived data).
/// </summary>
internal sealed class TeamHistoryStore : IHistoryStore
{
    private const string EventColumns = "l.session_id::text, l.segment, l.seq, l.line_number, l.ts_ticks, l.event, l.level, l.keywords, l.fields::text";
    private const string Captures = "('TerminalCapture', 'TerminalCaptureFailed')";
    // OFFSET 0 keeps it a per-row probe of the (session_id, operation_id) index: without it, inside an OR, PostgreSQL may
    // turn it into a hashed subplan that reads every capture of the team (600 ms at 100k operations, linear in the data).
    private const string NoCapture = $"""
        NOT EXISTS (SELECT 1 FROM journal_lines c WHERE c.session_id = l.session_id AND c.team = l.team AND c.operation_id = l.operation_id
            AND c.event IN {Captures} AND c.fields IS NOT NULL OFFSET 0)
        """;
    private const string SessionColumns = """
        s.session_id::text, s.start_fields::text, s.end_fields::text, s.start_ticks, s.end_ticks, s.last_ticks, s.operation_count,
        s.failed_operation_count, s.achievement_count, s.last_exit_code, s.activity_id, s.incomplete_operation_count, s.start_host, s.team
        """;

    private readonly TeamStoreConnection _store;
    private readonly string? _host;
    private readonly string? _user;
    private NpgsqlConnection? _connection;

    public TeamHistoryStore(TeamStoreConnection store, DataDirectory local, string? host, string? user)
    {
        _store = store;
        Data = local;
        _host = host;
        _user = user;
    }

    public DataDirectory Data { get; }

    public string Description => "the team store at " + _store.Address.Describe();

    /// <summary>The blob cache: <c>&lt;data&gt;/team-cache/blobs/&lt;session&gt;/blobs/&lt;name&gt;</c>, so a capture's <c>blobs/</c> reference resolves as in a session directory.</summary>
    private string BlobCache => Path.Combine(Data.Root, CacheDirectoryName, "blobs");

    /// <summary>Under the data directory: what the team store's answers fetch to disk (derived data, safe to delete).</summary>
    public const string CacheDirectoryName = "team-cache";

    /// <summary>This instance's rebuilt journals (inspect, validate), removed when it is disposed.</summary>
    private string? _journals;

    public void CatchUp(bool full) => Run(connection => 0);

    public IReadOnlyList<IndexedSession> Sessions(int limit, SessionFilter? filter = null, string? exceptSessionId = null, IReadOnlyCollection<string>? only = null) => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = SessionsWhere(cmd, filter, exceptSessionId, only);
        sql.Append(" ORDER BY s.start_ticks DESC NULLS LAST, s.session_id, s.team LIMIT ").Append(Param(cmd, limit <= 0 ? null : (long?)limit, NpgsqlDbType.Bigint));
        sql.Append(" OFFSET ").Append(Param(cmd, (long)Math.Max(0, filter?.Offset ?? 0)));
        cmd.CommandText = sql.ToString();
        return ReadSessionRows(cmd).Select(row => ToSession(connection, row)).ToList();
    });

    /// <summary>
    /// Every session matching <paramref name="filter"/> (its limit and offset ignored), newest start first, read in
    /// keyset pages of <see cref="SessionPageRows"/> rows: what is in memory at once is one page, however many sessions
    /// the team has. Rows with a start time come first, each page bounded by the last row's time in the start-time
    /// index (<c>start_ticks &lt;= t</c>, then id and team break the tie), so a page costs the same deep in the list
    /// as at its top; rows without one (NULLS LAST) follow, by id and team.
    /// </summary>
    public IEnumerable<IndexedSession> EachSession(SessionFilter? filter)
    {
        foreach (bool timed in new[] { true, false })
        {
            (long? Ticks, Guid Id, string Team)? after = null;
            while (true)
            {
                var page = Run(connection =>
                {
                    using var cmd = new NpgsqlCommand { Connection = connection };
                    var sql = SessionsWhere(cmd, filter, null, null);
                    sql.Append(timed ? " AND s.start_ticks IS NOT NULL" : " AND s.start_ticks IS NULL");
                    if (after is { } last)
                    {
                        string tie = $"(s.session_id, s.team) > ({Param(cmd, last.Id)}, {Param(cmd, last.Team)})";
                        if (last.Ticks is { } ticks)
                        {
                            string t = Param(cmd, ticks);
                            sql.Append($" AND s.start_ticks <= {t} AND (s.start_ticks < {t} OR {tie})");
                        }
                        else
                        {
                            sql.Append(" AND ").Append(tie);
                        }
                    }
                    sql.Append(" ORDER BY s.start_ticks DESC NULLS LAST, s.session_id, s.team LIMIT ").Append(Param(cmd, (long)SessionPageRows));
                    cmd.CommandText = sql.ToString();
                    var rows = ReadSessionRows(cmd);
                    return (Rows: rows, Sessions: rows.Select(row => ToSession(connection, row)).ToList());
                });
                foreach (var session in page.Sessions) yield return session;
                if (page.Rows.Count < SessionPageRows) break;
                var tail = page.Rows[^1];
                after = (tail.StartTicks, Guid.Parse(tail.SessionId), tail.Team);
            }
        }
    }

    /// <summary>Rows per page of <see cref="EachSession"/> (small in a test, to cross pages).</summary>
    internal int SessionPageRows { get; init; } = 1000;

    /// <summary>The session rows' SELECT and WHERE: the filters, <c>--host</c>/<c>--user</c>, an excluded id, a list of ids.</summary>
    private StringBuilder SessionsWhere(NpgsqlCommand cmd, SessionFilter? filter, string? exceptSessionId, IReadOnlyCollection<string>? only)
    {
        var sql = new StringBuilder($"SELECT {SessionColumns} FROM journal_sessions s WHERE s.first_ticks IS NOT NULL");
        Restrict(sql, cmd, "s.hosts", "s.users", array: true);
        if (filter is not null)
        {
            if (filter.Since is { } since) sql.Append(" AND s.start_ticks >= ").Append(Param(cmd, IndexTime.Of(since)));
            if (filter.Name is { } name) sql.Append(" AND s.name ILIKE ").Append(Param(cmd, "%" + EscapeLike(name) + "%")).Append(" ESCAPE '\\'");
            if (filter.Type is { } type) sql.Append(" AND s.type = ").Append(Param(cmd, type));
            if (filter.Host is { } host) sql.Append(" AND s.start_host = ").Append(Param(cmd, host));
            if (filter.Failed) sql.Append(" AND s.failed_operation_count > 0");
        }
        if (exceptSessionId is not null) sql.Append(" AND s.session_id::text <> ").Append(Param(cmd, exceptSessionId));
        if (only is not null)
        {
            var ids = only.Select(o => Guid.TryParseExact(o, "D", out var g) ? g : (Guid?)null).OfType<Guid>().ToArray();
            sql.Append(" AND s.session_id = ANY(").Append(Param(cmd, ids, NpgsqlDbType.Array | NpgsqlDbType.Uuid)).Append(')');
        }
        return sql;
    }

    private static List<SessionRow> ReadSessionRows(NpgsqlCommand cmd)
    {
        var rows = new List<SessionRow>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            rows.Add(new SessionRow(r.GetString(0), Object(r, 1), Object(r, 2), Long(r, 3), Long(r, 4), Long(r, 5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8),
                Long(r, 9), r.IsDBNull(10) ? Guid.Empty : r.GetGuid(10), r.GetInt64(11), r.IsDBNull(12) ? null : r.GetString(12), r.GetString(13)));
        }
        return rows;
    }

    public long CountSessionsSince(DateTimeOffset since, string? exceptSessionId) => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder("SELECT count(*) FROM journal_sessions s WHERE s.first_ticks IS NOT NULL AND s.start_ticks >= ");
        sql.Append(Param(cmd, IndexTime.Of(since))).Append(" AND s.session_id::text <> ").Append(Param(cmd, exceptSessionId ?? ""));
        Restrict(sql, cmd, "s.hosts", "s.users", array: true);
        cmd.CommandText = sql.ToString();
        return (long)cmd.ExecuteScalar()!;
    });

    public IReadOnlyList<IndexedEvent> Events(HistoryFilter filter) => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l{(NeedsSession(filter) ? " JOIN journal_sessions s ON s.team = l.team AND s.session_id = l.session_id" : "")} WHERE ");
        Where(filter, sql, cmd);
        Page(filter, sql, cmd);
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public IReadOnlyList<IndexedEvent> Search(string text, HistoryFilter filter) => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l{(NeedsSession(filter) ? " JOIN journal_sessions s ON s.team = l.team AND s.session_id = l.session_id" : "")} WHERE ");
        // Each term cut into the local index's words (its FTS5 phrase): all required, each term's words consecutive.
        using var tokenizer = new SearchTokenizer();
        var terms = tokenizer.Words(HistoryQuery.SearchTerms(text));
        string? condition = TeamSearchWords.Condition(terms, "l.search_words", "l.search_tokens", value => Param(cmd, value));
        if (condition is null) return (IReadOnlyList<IndexedEvent>)[];
        sql.Append(condition).Append(" AND ");
        Where(filter with { Keywords = SessionKeywords.Terminal }, sql, cmd);
        Page(filter, sql, cmd);
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public IReadOnlyList<IndexedEvent> SessionEvents(string sessionId) => Run(connection =>
    {
        if (!Guid.TryParseExact(sessionId, "D", out var id)) return (IReadOnlyList<IndexedEvent>)[];
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l WHERE l.session_id = ").Append(Param(cmd, id)).Append(" AND l.fields IS NOT NULL");
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
        sql.Append(" ORDER BY l.ts_ticks, (l.segment || '.jsonl') COLLATE \"C\", l.seq");
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public IReadOnlyList<IndexedEvent> FindOperation(string sessionId, string operationPrefix) => Run(connection =>
    {
        if (!Guid.TryParseExact(sessionId, "D", out var id)) return (IReadOnlyList<IndexedEvent>)[];
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l WHERE l.session_id = ").Append(Param(cmd, id));
        sql.Append(" AND l.operation_id LIKE ").Append(Param(cmd, EscapeLike(operationPrefix.Trim().ToLowerInvariant()) + "%")).Append(" ESCAPE '\\'");
        sql.Append($" AND l.event IN {Captures} AND l.fields IS NOT NULL");
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
        sql.Append(" ORDER BY l.ts_ticks LIMIT 2");
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public IReadOnlyList<IndexedEvent> FindOperationAnywhere(string operationPrefix) => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l WHERE l.operation_id LIKE ");
        sql.Append(Param(cmd, EscapeLike(operationPrefix.Trim().ToLowerInvariant()) + "%")).Append(" ESCAPE '\\'");
        sql.Append($" AND l.event IN {Captures} AND l.fields IS NOT NULL");
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
        sql.Append(" ORDER BY l.ts_ticks LIMIT 2");
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public RecordedOutput? Output(IndexedEvent capture) => Run(connection =>
    {
        if (!Guid.TryParseExact(capture.SessionId, "D", out var id)) return null;
        byte[]? line;
        using (var cmd = new NpgsqlCommand("SELECT line FROM journal_lines WHERE session_id = $1 AND segment = $2 AND seq = $3 LIMIT 1", connection))
        {
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Path.GetFileNameWithoutExtension(capture.File) });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = capture.Sequence });
            line = cmd.ExecuteScalar() as byte[];
        }
        if (line is null || StoredOutput.LineFields(line, capture.SessionId) is not { } fields) return null;
        string directory = Path.Combine(BlobCache, capture.SessionId);
        var wanted = new[] { JournalFields.OutputBlob, JournalFields.StderrBlob }
            .Select(f => fields[f] is JsonValue v && v.TryGetValue(out string? reference) ? PushedLine.BlobName(reference) : null)
            .OfType<string>().Where(name => !File.Exists(Path.Combine(directory, "blobs", name))).Distinct().ToArray();
        if (wanted.Length > 0) FetchBlobs(connection, directory, wanted);
        var ranges = StoredOutput.Of(fields, directory).Select(RangeOf).OfType<PushedStreamRange>()
            .Where(range => !File.Exists(RangeMarker(directory, range.Name))).Select(range => range.Name).ToArray();
        if (ranges.Length > 0) FetchRanges(connection, directory, ranges);
        return new RecordedOutput(fields, directory);
    });

    public string ResolveSessionId(string idOrPrefix) => Run(connection =>
    {
        string wanted = idOrPrefix.Trim().ToLowerInvariant();
        if (wanted.Length > InputLimits.MaxSessionIdChars || wanted.Length == 0 || !wanted.All(c => char.IsAsciiHexDigitLower(c) || c == '-'))
            throw new SessionNotFoundException(idOrPrefix[..Math.Min(idOrPrefix.Length, 40)], $"'{(idOrPrefix.Length > 40 ? idOrPrefix[..40] + "..." : idOrPrefix)}' is not a session id or id prefix");
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder("SELECT DISTINCT s.session_id::text FROM journal_sessions s WHERE s.session_id::text LIKE ").Append(Param(cmd, EscapeLike(wanted) + "%")).Append(" ESCAPE '\\'");
        Restrict(sql, cmd, "s.hosts", "s.users", array: true);
        sql.Append(" LIMIT 2");
        cmd.CommandText = sql.ToString();
        var matches = new List<string>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read()) matches.Add(r.GetString(0));
        }
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new SessionNotFoundException(idOrPrefix, $"no session '{idOrPrefix}' in {Description}"),
            _ => throw new SessionNotFoundException(idOrPrefix, $"'{idOrPrefix}' matches more than one session; give more characters"),
        };
    });

    public IReadOnlyList<IndexedEvent> IncompleteOperations(string sessionId) => Run(connection =>
    {
        if (!Guid.TryParseExact(sessionId, "D", out var id)) return (IReadOnlyList<IndexedEvent>)[];
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder($"SELECT {EventColumns} FROM journal_lines l WHERE l.session_id = ").Append(Param(cmd, id));
        sql.Append($" AND l.event = 'OperationStarted' AND l.fields IS NOT NULL AND {NoCapture}");
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
        sql.Append(" ORDER BY l.ts_ticks, (l.segment || '.jsonl') COLLATE \"C\", l.seq");
        cmd.CommandText = sql.ToString();
        return ReadEvents(cmd);
    });

    public IReadOnlyList<string> SessionIds() => Run(connection =>
    {
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder("SELECT DISTINCT s.session_id::text FROM journal_sessions s WHERE true");
        Restrict(sql, cmd, "s.hosts", "s.users", array: true);
        cmd.CommandText = sql.ToString();
        var ids = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) ids.Add(r.GetString(0));
        return (IReadOnlyList<string>)ids;
    });

    /// <summary>
    /// The session's segments rebuilt from its rows (one index range of the primary key: only this session's lines,
    /// in seq order, byte for byte) and the blobs they refer to, in a directory of this instance's own.
    /// </summary>
    public string SessionJournals(string sessionId) => Run(connection =>
    {
        _journals ??= Path.Combine(Data.Root, CacheDirectoryName, "journals-" + Guid.NewGuid().ToString("N"));
        string directory = Path.Combine(_journals, DataDirectory.IsValidSessionId(sessionId) ? sessionId : "none");
        if (Directory.Exists(directory)) return directory;
        FileSecurity.CreatePrivateDirectory(directory);
        if (!Guid.TryParseExact(sessionId, "D", out var id)) return directory;
        using var cmd = new NpgsqlCommand { Connection = connection };
        var sql = new StringBuilder("SELECT l.segment, l.line FROM journal_lines l WHERE l.session_id = ").Append(Param(cmd, id));
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
        sql.Append(" ORDER BY l.segment, l.seq");
        cmd.CommandText = sql.ToString();
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        var ranges = new HashSet<string>(StringComparer.Ordinal);
        using (var r = cmd.ExecuteReader(System.Data.CommandBehavior.SequentialAccess))
        {
            string? current = null;
            FileStream? output = null;
            try
            {
                while (r.Read())
                {
                    string segment = r.GetString(0);
                    byte[] line = r.GetFieldValue<byte[]>(1);
                    if (segment.Length == 0 || segment.Contains('/', StringComparison.Ordinal) || segment.Contains('\\', StringComparison.Ordinal) || segment is "." or "..")
                        continue; // a row that names no segment file: never a path
                    if (segment != current)
                    {
                        output?.Dispose();
                        current = segment;
                        output = FileSecurity.CreateNewPrivateFile(Path.Combine(directory, segment + JournalReader.SegmentExtension));
                    }
                    output!.Write(line);
                    output.WriteByte((byte)'\n');
                    if (PushedLine.Read(line) is { } parsed)
                    {
                        blobs.UnionWith(parsed.Blobs);
                        if (parsed.Range is { } range) ranges.Add(range.Name);
                    }
                }
            }
            finally
            {
                output?.Dispose();
            }
        }
        if (blobs.Count > 0) FetchBlobs(connection, directory, [.. blobs]);
        if (ranges.Count > 0) FetchRanges(connection, directory, [.. ranges]);
        return directory;
    });

    public void Dispose()
    {
        _connection?.Dispose();
        _store.Dispose();
        if (_journals is not null)
        {
            try { Directory.Delete(_journals, recursive: true); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>Runs one answer on the store's connection (opened, and the schema checked, on first use); failures come out translated.</summary>
    private T Run<T>(Func<NpgsqlConnection, T> query)
    {
        try
        {
            if (_connection is null)
            {
                var connection = _store.OpenAsync().GetAwaiter().GetResult();
                try
                {
                    _store.RequireSchemaAsync(connection).GetAwaiter().GetResult();
                }
                catch
                {
                    connection.Dispose();
                    throw;
                }
                _connection = connection;
            }
            return query(_connection);
        }
        catch (Exception ex) when (_store.Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Reads the named rows of <c>journal_blobs</c> the login may see, each handed to <paramref name="store"/>.</summary>
    private static void ReadBlobs(NpgsqlConnection connection, string[] names, Action<string, byte[]> store)
    {
        using var cmd = new NpgsqlCommand("SELECT DISTINCT ON (name) name, content FROM journal_blobs WHERE name = ANY($1) ORDER BY name", connection);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = names });
        using var reader = cmd.ExecuteReader(System.Data.CommandBehavior.SequentialAccess);
        while (reader.Read()) store(reader.GetString(0), reader.GetFieldValue<byte[]>(1));
    }

    private static void FetchBlobs(NpgsqlConnection connection, string directory, string[] names) => ReadBlobs(connection, names, (name, content) =>
    {
        if (PushedLine.BlobName("blobs/" + name) != name) return; // never a path
        string dir = Path.Combine(directory, "blobs");
        FileSecurity.CreatePrivateDirectory(dir);
        string path = Path.Combine(dir, name);
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        using (var file = FileSecurity.CreateNewPrivateFile(temp)) file.Write(content);
        File.Move(temp, path, overwrite: true);
    });

    /// <summary>The range of a shell's stream a stored output is (a shell command's output), if it is one.</summary>
    private static PushedStreamRange? RangeOf(StoredOutput output) =>
        PushedLine.StreamName(output.StreamReference) is { } stream && output.Length is { } length and > 0
            ? new PushedStreamRange(stream, output.StreamOffset, length) : null;

    // Written after a range's bytes are in place in the cached stream file (which has holes where nothing was fetched).
    private static string RangeMarker(string directory, string rangeName) => Path.Combine(directory, "streams", rangeName + ".fetched");

    /// <summary>
    /// Writes each pushed range at its offset of <c>streams/&lt;id&gt;</c> under <paramref name="directory"/>, so the
    /// capture's <c>output_stream</c> reference reads there as in the session directory it was recorded in.
    /// </summary>
    private static void FetchRanges(NpgsqlConnection connection, string directory, string[] names) => ReadBlobs(connection, names, (name, content) =>
    {
        if (PushedStreamRange.Parse(name) is not { } range) return; // never a path
        FileSecurity.CreatePrivateDirectory(Path.Combine(directory, "streams"));
        string path = Capture.BlobStore.StreamPath(directory, range.Stream);
        if (!File.Exists(path)) FileSecurity.CreateNewPrivateFile(path).Dispose();
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = range.Offset;
            file.Write(content);
        }
        FileSecurity.WriteAllTextPrivate(RangeMarker(directory, name), "");
    });

    private sealed record SessionRow(string SessionId, JsonObject? Start, JsonObject? End, long? StartTicks, long? EndTicks, long? LastTicks, long Operations,
        long Failed, long Achievements, long? LastExitCode, Guid ActivityId, long Incomplete, string? StartHost, string Team);

    /// <summary>The index's session row: status and interrupted operations judged here and now, as the local index judges them.</summary>
    private IndexedSession ToSession(NpgsqlConnection connection, SessionRow row)
    {
        var start = row.Start;
        double? duration = row.End?[JournalFields.DurationMs] is JsonValue dv && dv.TryGetValue(out double dd) ? dd
            : row.StartTicks is { } s0 && row.LastTicks is { } l0 ? IndexTime.Milliseconds(s0, l0) : null;
        string status = row.End is not null ? "ended" : OpenStatus(connection, row);
        long interrupted = row.Incomplete == 0 ? 0 : IncompleteOperations(connection, row).Count(e => ProcessLiveness.Check(e[JournalFields.Provenance]) == WriterState.Dead);
        return new IndexedSession(row.SessionId, Str(start?[JournalFields.SessionName]) ?? "", Str(start?[JournalFields.SessionType]) ?? "",
            Str(start?[JournalFields.ParentSessionId]), row.StartHost, Time(row.StartTicks), Time(row.EndTicks), Time(row.LastTicks), duration, status,
            row.Operations, row.Failed, row.Achievements, row.LastExitCode, row.ActivityId, interrupted);
    }

    /// <summary>As <c>JournalIndexer.OpenStatus</c>: another host's session is open; on this host, the writers' liveness and the quiet time decide.</summary>
    private static string OpenStatus(NpgsqlConnection connection, SessionRow row)
    {
        if (row.StartHost is not null && row.StartHost != CurrentProvenance.Host) return "open";
        var states = new HashSet<WriterState>();
        using (var cmd = new NpgsqlCommand("""
            SELECT g.segment, (SELECT f.fields->'provenance' FROM journal_lines f WHERE f.team = $1 AND f.session_id = $2 AND f.segment = g.segment AND f.fields IS NOT NULL ORDER BY f.seq LIMIT 1)::text
            FROM (SELECT DISTINCT segment FROM journal_lines WHERE team = $1 AND session_id = $2) g
            UNION ALL
            SELECT NULL, writer_provenance::text FROM journal_lines WHERE team = $1 AND session_id = $2 AND writer_provenance IS NOT NULL
            """, connection))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Team });
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Parse(row.SessionId) });
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var provenance = r.IsDBNull(1) ? null : JsonNode.Parse(r.GetString(1));
                var state = ProcessLiveness.Check(provenance);
                if (provenance is null && !r.IsDBNull(0) && ProcessLiveness.PidFromSegmentName(r.GetString(0) + JournalReader.SegmentExtension) is { } pid)
                    state = ProcessLiveness.IsAlive(pid) ? WriterState.Alive : WriterState.Dead;
                states.Add(state);
            }
        }
        if (states.Contains(WriterState.Alive)) return "open";
        if (Str(row.Start?[JournalFields.SessionLifetime]) == SessionManager.ProcessLifetime
            && ProcessLiveness.Check(row.Start?[JournalFields.Provenance]) == WriterState.Dead)
            return "abandoned";
        return row.LastTicks is null || IndexTime.Of(DateTimeOffset.UtcNow) - row.LastTicks < IndexTime.Of(JournalIndexer.AbandonedAfter) ? "open" : "abandoned";
    }

    private static List<JsonObject> IncompleteOperations(NpgsqlConnection connection, SessionRow row)
    {
        using var cmd = new NpgsqlCommand($"SELECT l.fields::text FROM journal_lines l WHERE l.team = $1 AND l.session_id = $2 AND l.event = 'OperationStarted' AND l.fields IS NOT NULL AND {NoCapture}", connection);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Team });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Parse(row.SessionId) });
        var list = new List<JsonObject>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            if (JsonNode.Parse(r.GetString(0)) is JsonObject o) list.Add(o);
        }
        return list;
    }

    private static bool NeedsSession(HistoryFilter f) => f.Name is not null || f.Type is not null;

    /// <summary>The history filters as SQL, as <c>HistoryQuery</c> gives them to SQLite (LIKE there is ASCII case-insensitive: ILIKE here).</summary>
    private void Where(HistoryFilter f, StringBuilder sql, NpgsqlCommand cmd)
    {
        sql.Append("l.fields IS NOT NULL AND (l.keywords & ").Append(Param(cmd, (long)f.Keywords)).Append(") <> 0");
        sql.Append($" AND (l.event <> 'OperationStarted' OR {NoCapture})");
        if (f.From is { } from)
        {
            // ts (microseconds) lets the planner skip whole months; ts_ticks decides.
            sql.Append(" AND l.ts >= ").Append(Param(cmd, from.UtcDateTime.AddTicks(-10), NpgsqlDbType.TimestampTz));
            sql.Append(" AND l.ts_ticks >= ").Append(Param(cmd, IndexTime.Of(from)));
        }
        if (f.To is { } to)
        {
            sql.Append(" AND l.ts <= ").Append(Param(cmd, to.UtcDateTime.AddTicks(10), NpgsqlDbType.TimestampTz));
            sql.Append(" AND l.ts_ticks <= ").Append(Param(cmd, IndexTime.Of(to)));
        }
        if (f.Session is { Length: > 0 } session)
            sql.Append(" AND l.session_id::text LIKE ").Append(Param(cmd, EscapeLike(session.Trim().ToLowerInvariant()) + "%")).Append(" ESCAPE '\\'");
        if (f.Name is { } name) sql.Append(" AND s.name ILIKE ").Append(Param(cmd, "%" + EscapeLike(name) + "%")).Append(" ESCAPE '\\'");
        if (f.Type is { } type) sql.Append(" AND s.type = ").Append(Param(cmd, type));
        if (f.Command is { Length: > 0 } c)
            sql.Append(" AND l.operation_name ILIKE ").Append(Param(cmd, c.StartsWith('^') ? EscapeLike(c[1..]) + "%" : "%" + EscapeLike(c) + "%")).Append(" ESCAPE '\\'");
        if (f.Cwd is { Length: > 0 } cwd)
        {
            string dir = cwd.Length > 1 ? cwd.TrimEnd('/') : cwd;
            sql.Append(" AND (l.cwd ILIKE ").Append(Param(cmd, EscapeLike(dir))).Append(" ESCAPE '\\' OR l.cwd ILIKE ")
                .Append(Param(cmd, EscapeLike(dir == "/" ? "" : dir) + "/%")).Append(" ESCAPE '\\')");
        }
        if (f.Host is { } host) sql.Append(" AND l.host = ").Append(Param(cmd, host));
        if (f.Failed) sql.Append(" AND l.failed");
        if (f.ExitCode is { } exit) sql.Append(exit != 0 ? " AND l.failed" : "").Append(" AND l.exit_code = ").Append(Param(cmd, exit));
        if (f.AchievementType is { } at) sql.Append(" AND l.achievement_type = ").Append(Param(cmd, at));
        Restrict(sql, cmd, "l.host", "l.user_name", array: false);
    }

    private static void Page(HistoryFilter f, StringBuilder sql, NpgsqlCommand cmd)
    {
        sql.Append(" ORDER BY l.ts_ticks DESC, l.session_id DESC, (l.segment || '.jsonl') COLLATE \"C\" DESC, l.seq DESC LIMIT ")
            .Append(Param(cmd, f.Limit <= 0 ? null : (long?)f.Limit, NpgsqlDbType.Bigint))
            .Append(" OFFSET ").Append(Param(cmd, (long)Math.Max(0, f.Offset)));
    }

    /// <summary><c>--host</c> and <c>--user</c> of the command line: every answer is restricted to them.</summary>
    private void Restrict(StringBuilder sql, NpgsqlCommand cmd, string hostColumn, string userColumn, bool array)
    {
        if (_host is not null) sql.Append(" AND ").Append(array ? $"{Param(cmd, _host)} = ANY({hostColumn})" : $"{hostColumn} = {Param(cmd, _host)}");
        if (_user is not null) sql.Append(" AND ").Append(array ? $"{Param(cmd, _user)} = ANY({userColumn})" : $"{userColumn} = {Param(cmd, _user)}");
    }

    private static List<IndexedEvent> ReadEvents(NpgsqlCommand cmd)
    {
        var list = new List<IndexedEvent>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            string sessionId = r.GetString(0);
            var fields = JsonNode.Parse(r.GetString(8)) as JsonObject ?? [];
            list.Add(new IndexedEvent(0, sessionId, sessionId + "/" + r.GetString(1) + JournalReader.SegmentExtension, r.GetInt64(2), r.GetInt64(3), 0, 0,
                IndexTime.ToTime(r.GetInt64(4)), r.GetString(5), (EventLevel)r.GetInt32(6), (SessionKeywords)r.GetInt64(7), fields));
        }
        return list;
    }

    private static string Param<T>(NpgsqlCommand cmd, T value)
    {
        // PostgreSQL text holds no NUL, and no stored value has one (sync drops them): such a filter matches nothing, as a value no row has.
        if (value is string text && text.Contains('\0', StringComparison.Ordinal)) value = (T)(object)text.Replace('\0', '\uFFFF');
        cmd.Parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
        return "$" + cmd.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Param(NpgsqlCommand cmd, object? value, NpgsqlDbType type)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        return "$" + cmd.Parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private static JsonObject? Object(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : JsonNode.Parse(r.GetString(i)) as JsonObject;

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);

    private static DateTimeOffset? Time(long? ticks) => ticks is { } t ? IndexTime.ToTime(t) : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
