using System.Globalization;
using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// Brings the index up to date with the journals, incrementally: each segment is read from the byte offset where
/// the last catch-up stopped, and only complete lines are consumed (a torn tail is read again next time). A segment
/// whose first line changed, or that shrank, was replaced and is read again from the start. Everything happens in
/// one <c>BEGIN IMMEDIATE</c> transaction, and events are unique on (segment, seq): two processes catching up at
/// once serialise on the write lock and the second finds nothing left to do.
/// <para>Quick catch-up (every query) re-examines sessions that are open, or ended less than
/// <see cref="SettleAfter"/> ago, and lists the sessions directory only when its mtime changed (a session was
/// created or removed). A full catch-up (<c>reindex</c>, <c>validate --all</c>, <c>history --rescan</c>) examines
/// every session.</para>
/// </summary>
internal sealed class JournalIndexer(HistoryIndex index)
{
    /// <summary>An ended or abandoned session this quiet is settled: quick catch-up skips it.</summary>
    public static readonly TimeSpan SettleAfter = TimeSpan.FromHours(1);

    /// <summary>A session without SessionEnd, no live writer and no event for this long is abandoned.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    /// <summary>A catch-up that adds this many events is a bulk load: the search index is optimised after it.</summary>
    public const int BulkLoadEvents = 5_000;

    private const string RootMtimeKey = "sessions_dir_mtime";
    private const string ChangeLogOffsetKey = "change_log_offset";
    private SqliteTransaction _tx = null!;
    private SqliteCommand _insertEvent = null!;
    private SqliteCommand _insertText = null!;
    private IndexedLineReader _lines = null!;
    private CatchUpResult _result = null!;

    public CatchUpResult CatchUp(bool full, DateTimeOffset now)
    {
        _result = new CatchUpResult();
        var data = index.Data;
        using var tx = index.Connection.BeginTransaction(deferred: false);
        _tx = tx;
        if (!Directory.Exists(data.SessionsDirectory))
        {
            tx.Commit();
            return _result;
        }
        long rootMtime = Directory.GetLastWriteTimeUtc(data.SessionsDirectory).Ticks;
        string? storedRoot = index.Scalar($"SELECT value FROM meta WHERE key = '{RootMtimeKey}'", tx) as string;
        bool rootChanged = storedRoot != rootMtime.ToString(CultureInfo.InvariantCulture);
        // The change log's length is taken before anything is listed or read: a record appended meanwhile is read next time.
        long logLength = JournalChangeLog.IsSupported && File.Exists(data.ChangeLogPath) ? new FileInfo(data.ChangeLogPath).Length : 0;
        long? logOffset = long.TryParse(index.Scalar($"SELECT value FROM meta WHERE key = '{ChangeLogOffsetKey}'", tx) as string, CultureInfo.InvariantCulture, out long o) ? o : null;
        var logged = new HashSet<string>(StringComparer.Ordinal);
        long logConsumed = logLength;
        bool list = full;
        if (!list && !JournalChangeLog.IsSupported) list = rootChanged;
        else if (!list && logOffset is null) list = true; // an index from before the change log: list once
        else if (!list)
        {
            var records = JournalChangeLog.ReadRecords(data.ChangeLogPath, logOffset!.Value, logLength);
            logged.UnionWith(records.SessionIds);
            (logConsumed, _result.ChangeLogProblem) = (records.Consumed, records.Problem);
            // A damaged log, or sessions created or removed without a record (an older cfsession, a removal by hand).
            list = _result.ChangeLogProblem is not null || rootChanged && logged.Count == 0;
        }
        _result.Listed = list;
        if (_result.ChangeLogProblem is { } problem)
            Telemetry.SelfDiagnostics.Log.Warning($"index catch-up: {problem}; every session directory was listed instead");

        // Unsettled sessions are re-examined every time; the rest only when listing (and then only if new or full), or when the change log names them.
        var unsettled = Ids(index, "SELECT group_concat(session_id, ',') FROM sessions WHERE settled = 0", tx);
        List<string> candidates;
        if (list)
        {
            // One aggregated string instead of a row per session: at 50k sessions this is ~10x cheaper to read.
            var known = Ids(index, "SELECT group_concat(session_id, ',') FROM sessions", tx);
            var onDisk = ListSessionDirectories(data.SessionsDirectory);
            foreach (string gone in known.Where(id => !onDisk.Contains(id)).ToList())
            {
                index.DeleteSession(gone, tx);
                _result.SessionsRemoved++;
            }
            candidates = onDisk.Where(id => full || !known.Contains(id) || unsettled.Contains(id) || logged.Contains(id)).ToList();
        }
        else
        {
            unsettled.UnionWith(logged);
            candidates = unsettled.ToList();
        }

        // A bulk load (a rebuild, the first catch-up of a new or migrated index, thousands of new sessions) gets a
        // page cache that holds the b-trees it inserts into at random (events_ts and the rest), and a search index that
        // buffers terms in memory and writes them in a few large segments, merged once at the end (below).
        bool bulk = candidates.Count >= BulkLoadSessions;
        if (bulk) BeginBulkLoad(tx);

        using (_insertEvent = index.Command("""
            INSERT OR IGNORE INTO events (segment, seq, line, line_offset, line_length, ts, name, level, keywords,
                operation_id, operation_name, cwd, host, exit_code, failed, duration_ms, achievement_id, achievement_type)
            VALUES ($segment, $seq, $line, $offset, $length, $ts, $name, $level, $keywords,
                $op, $opname, $cwd, $host, $exit, $failed, $duration, $ach, $achtype)
            RETURNING id
            """, tx))
        using (_insertText = index.Command("INSERT INTO output_fts (rowid, text) VALUES ($id, $text)", tx))
        using (_lines = new IndexedLineReader(index, tx))
        {
            foreach (string sessionId in candidates.Order(StringComparer.Ordinal))
            {
                if (Directory.Exists(data.SessionDirectory(sessionId))) CatchUpSession(sessionId, now);
                // One session's segments open at a time: a full catch-up of 50,000 sessions held 50,000 descriptors
                // open and died at the process's limit (20,000 here, 1,024 by default).
                _lines.CloseSegments();
            }
        }

        // After a bulk load (a rebuild, the first catch-up of a new or migrated index) the search index is merged into
        // one b-tree: FTS5 otherwise keeps the many small segments it wrote, each repeating the terms it holds.
        if (_result.EventsAdded >= BulkLoadEvents) index.Execute("INSERT INTO output_fts (output_fts) VALUES ('optimize');", tx);
        if (bulk) EndBulkLoad(tx);

        // Every write below is skipped when it would store what is already there: a catch-up that found nothing new
        // commits no page, so the WAL stays empty and closing the index syncs nothing to disk.
        using (var meta = index.Command("INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value", tx))
        {
            meta.Parameters.AddWithValue("$k", RootMtimeKey);
            meta.Parameters.AddWithValue("$v", rootMtime.ToString(CultureInfo.InvariantCulture));
            meta.ExecuteNonQuery();
            meta.Parameters.Clear();
            meta.Parameters.AddWithValue("$k", ChangeLogOffsetKey);
            meta.Parameters.AddWithValue("$v", (list ? logLength : logConsumed).ToString(CultureInfo.InvariantCulture));
            meta.ExecuteNonQuery();
        }
        tx.Commit();
        return _result;
    }

    /// <summary>A catch-up that examines this many sessions is a bulk load (<see cref="BeginBulkLoad"/>).</summary>
    public const int BulkLoadSessions = 200;

    /// <summary>The page cache of a bulk load, KiB (SQLite's default is 2 MiB): the event b-trees of 1M operations fit.</summary>
    private const int BulkCacheKiB = 256 * 1024;

    /// <summary>The search index's in-memory term buffer during a bulk load, bytes (FTS5's default is 1 MiB).</summary>
    private const int BulkFtsHashBytes = 64 << 20;

    /// <summary>FTS5's defaults, restored after a bulk load (the settings are stored in the index).</summary>
    private const int DefaultFtsHashBytes = 1 << 20, DefaultFtsAutomerge = 4;

    /// <summary>
    /// Bulk-load settings, inside the catch-up's transaction: a large page cache for this connection, and a search
    /// index that flushes its terms every 64 MiB instead of every 1 MiB and does not merge its segments while loading
    /// (the 'optimize' at the end merges them once, instead of the incremental merges rewriting them again and again).
    /// </summary>
    private void BeginBulkLoad(SqliteTransaction tx)
    {
        index.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA cache_size = -{BulkCacheKiB};"), tx);
        index.Execute(string.Create(CultureInfo.InvariantCulture, $"""
            INSERT INTO output_fts (output_fts, rank) VALUES ('hashsize', {BulkFtsHashBytes});
            INSERT INTO output_fts (output_fts, rank) VALUES ('automerge', 0);
            """), tx);
    }

    /// <summary>FTS5's own settings back (in the same transaction), and the default page cache.</summary>
    private void EndBulkLoad(SqliteTransaction tx)
    {
        index.Execute(string.Create(CultureInfo.InvariantCulture, $"""
            INSERT INTO output_fts (output_fts, rank) VALUES ('hashsize', {DefaultFtsHashBytes});
            INSERT INTO output_fts (output_fts, rank) VALUES ('automerge', {DefaultFtsAutomerge});
            """), tx);
        index.Execute("PRAGMA cache_size = -2000;", tx);
    }

    private static HashSet<string> Ids(HistoryIndex index, string sql, SqliteTransaction tx) =>
        index.Scalar(sql, tx) is string joined ? joined.Split(',').ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The session directories, listed without allocating an object per entry (50k entries in a few ms).</summary>
    private static HashSet<string> ListSessionDirectories(string sessionsDirectory)
    {
        var names = new FileSystemEnumerable<string>(sessionsDirectory, static (ref FileSystemEntry e) => e.FileName.ToString(),
            new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = static (ref FileSystemEntry e) => e.IsDirectory && e.FileName.Length == 36,
        };
        return names.Where(DataDirectory.IsValidSessionId).ToHashSet(StringComparer.Ordinal);
    }

    private sealed record SegmentState(long Offset, long Lines, long Skipped, long Length, long Mtime, string HeadHash);

    private void CatchUpSession(string sessionId, DateTimeOffset now)
    {
        _result.SessionsExamined++;
        string dir = index.Data.SessionDirectory(sessionId);
        long dirMtime = Directory.GetLastWriteTimeUtc(dir).Ticks;
        var states = new Dictionary<string, SegmentState>(StringComparer.Ordinal);
        using (var cmd = index.Command("SELECT file, offset, lines, skipped_lines, length, mtime, head_hash FROM segments WHERE session_id = $s", _tx))
        {
            cmd.Parameters.AddWithValue("$s", sessionId);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
                states[reader.GetString(0)] = new(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6));
        }
        bool changed = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFiles(dir, "*" + JournalReader.SegmentExtension))
        {
            string file = sessionId + "/" + Path.GetFileName(path);
            seen.Add(file);
            var info = new FileInfo(path);
            if (!info.Exists) continue;
            if (states.TryGetValue(file, out var state) && state.Length == info.Length && state.Mtime == info.LastWriteTimeUtc.Ticks) continue;
            changed |= ReadSegment(sessionId, path, file, state);
        }
        foreach (string vanished in states.Keys.Where(f => !seen.Contains(f)))
        {
            DeleteSegment(vanished);
            changed = true;
        }
        RecomputeSession(sessionId, dirMtime, now, changed);
    }

    private void DeleteSegment(string file)
    {
        using var cmd = index.Command("""
            DELETE FROM output_fts WHERE rowid IN (SELECT id FROM events WHERE segment = (SELECT id FROM segments WHERE file = $f));
            DELETE FROM events WHERE segment = (SELECT id FROM segments WHERE file = $f);
            DELETE FROM writers WHERE segment = (SELECT id FROM segments WHERE file = $f);
            DELETE FROM segments WHERE file = $f;
            """, _tx);
        cmd.Parameters.AddWithValue("$f", file);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Reads the complete lines after the recorded offset; returns true when anything was added.</summary>
    private bool ReadSegment(string sessionId, string path, string file, SegmentState? state)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // validate reports an unreadable segment; the next catch-up tries again
        }
        using (stream)
        {
            long length = stream.Length;
            long mtime = File.GetLastWriteTimeUtc(path).Ticks;
            long offset = 0, lines = 0, skipped = 0;
            string headHash = string.Empty;
            bool replaced = false;
            if (state is not null)
            {
                headHash = FirstLineHash(stream, state.Offset);
                if (length < state.Offset || headHash != state.HeadHash)
                {
                    DeleteSegment(file);
                    _result.SegmentsReplaced++;
                    replaced = true;
                    headHash = string.Empty;
                }
                else
                {
                    (offset, lines, skipped) = (state.Offset, state.Lines, state.Skipped);
                }
            }
            _result.SegmentsRead++;
            _segmentId = SegmentId(sessionId, file);
            _context = new SegmentContext(Path.GetFileNameWithoutExtension(path)) { Resolve = seq => LoadWriter(file, seq), ResolveOperation = seq => LoadStart(file, seq) };
            stream.Seek(offset, SeekOrigin.Begin);
            long readFrom = offset, added = 0;
            // The journal reader's line splitter: a line over the limit comes back empty with its length, never held.
            foreach (var (line, complete, oversizedLength) in JournalReader.ReadLines(stream, InputLimits.MaxJournalLineBytes))
            {
                if (!complete) break; // a torn tail (or an oversized line the file ends in) stays unread until it is complete
                lines++;
                _result.LinesRead++;
                if (oversizedLength > 0)
                {
                    // A line over the journal line limit (garbage, tampering): skipped, counted.
                    skipped++;
                    if (lines == 1) headHash = "unreadable"; // what FirstLineHash sees for a line longer than 1 MiB
                    offset += oversizedLength + 1;
                    continue;
                }
                if (lines == 1) headHash = Convert.ToHexStringLower(SHA256.HashData(line.Span));
                if (line.Length > 0)
                {
                    if (IndexLine(sessionId, line.Span, lines, offset)) added++;
                    else if (!_lastLineParsed) skipped++;
                    else if (_lastWriter is { } writer) StoreWriter(writer, offset, line.Length);
                }
                offset += line.Length + 1;
            }
            _result.BytesRead += stream.Position - readFrom;
            _result.EventsAdded += added;
            _result.LinesSkipped += skipped - (replaced || state is null ? 0 : state.Skipped);
            // A segment with no complete line yet keeps no head: its first line is hashed when it arrives.
            using var upsert = index.Command("""
                INSERT INTO segments (file, session_id, offset, lines, skipped_lines, length, mtime, head_hash)
                VALUES ($f, $s, $o, $l, $k, $len, $m, $h)
                ON CONFLICT(file) DO UPDATE SET offset = excluded.offset, lines = excluded.lines, skipped_lines = excluded.skipped_lines,
                    length = excluded.length, mtime = excluded.mtime, head_hash = excluded.head_hash
                """, _tx);
            upsert.Parameters.AddWithValue("$f", file);
            upsert.Parameters.AddWithValue("$s", sessionId);
            upsert.Parameters.AddWithValue("$o", offset);
            upsert.Parameters.AddWithValue("$l", lines);
            upsert.Parameters.AddWithValue("$k", skipped);
            // The length recorded is what was consumed when a tail is torn, so the next catch-up looks again.
            upsert.Parameters.AddWithValue("$len", offset == length ? length : offset);
            upsert.Parameters.AddWithValue("$m", mtime);
            upsert.Parameters.AddWithValue("$h", headHash);
            upsert.ExecuteNonQuery();
            return added > 0 || replaced;
        }
    }

    /// <summary>The SHA-256 of the segment's first line, read again to detect a replaced file.</summary>
    private static string FirstLineHash(FileStream stream, long consumed)
    {
        if (consumed == 0) return string.Empty;
        stream.Seek(0, SeekOrigin.Begin);
        byte[] buffer = new byte[(int)Math.Min(consumed, 1 << 20)];
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        int newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
        return newline < 0 ? "unreadable" : Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, newline)));
    }

    private bool _lastLineParsed;
    private WriterLine? _lastWriter;
    private long _segmentId;
    private SegmentContext _context = new(string.Empty);

    /// <summary>The segment's row id: the row is made (empty) when the segment is first read, so its lines can refer to it.</summary>
    private long SegmentId(string sessionId, string file)
    {
        using var cmd = index.Command("""
            INSERT INTO segments (file, session_id, offset, lines, skipped_lines, length, mtime, head_hash) VALUES ($f, $s, 0, 0, 0, 0, 0, '')
            ON CONFLICT(file) DO NOTHING;
            SELECT id FROM segments WHERE file = $f;
            """, _tx);
        cmd.Parameters.AddWithValue("$f", file);
        cmd.Parameters.AddWithValue("$s", sessionId);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Where a Writer line is (its provenance stays in the journal: <see cref="IndexedLineReader"/> reads it back).</summary>
    private void StoreWriter(WriterLine writer, long lineOffset, int lineLength)
    {
        using var cmd = index.Command("INSERT OR IGNORE INTO writers (segment, seq, line_offset, line_length) VALUES ($g, $q, $o, $l)", _tx);
        cmd.Parameters.AddWithValue("$g", _segmentId);
        cmd.Parameters.AddWithValue("$q", writer.Sequence);
        cmd.Parameters.AddWithValue("$o", lineOffset);
        cmd.Parameters.AddWithValue("$l", lineLength);
        cmd.ExecuteNonQuery();
    }

    /// <summary>A Writer line indexed by an earlier catch-up (this one starts after it), read again from the journal.</summary>
    private WriterLine? LoadWriter(string file, long seq)
    {
        var writer = _lines.Writer(file, seq);
        if (writer is not null) _context.Writers[seq] = writer;
        return writer;
    }

    /// <summary>An OperationStarted line indexed by an earlier catch-up (a capture read now refers to it): its start fields, read again from the journal.</summary>
    private JsonObject? LoadStart(string file, long seq) => _lines.StartFields(file, seq);

    private bool IndexLine(string sessionId, ReadOnlySpan<byte> line, long lineNumber, long lineOffset)
    {
        SessionEvent e;
        _lastWriter = null;
        try
        {
            var parsed = JournalReader.ParseLine(line, _context);
            _lastLineParsed = true;
            if (parsed.Event is null)
            {
                _lastWriter = parsed.Writer;
                return false;
            }
            e = parsed.Event;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            _lastLineParsed = false;
            return false; // reported by validate; never fatal here
        }
        var fields = e.Fields;
        bool capture = e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed;
        long? exit = e.GetInt64(JournalFields.ExitCode);
        bool failed = OperationOutcome.IsFailed(e);
        var p = _insertEvent.Parameters;
        p.Clear();
        p.AddWithValue("$segment", _segmentId);
        p.AddWithValue("$seq", e.Sequence);
        p.AddWithValue("$line", lineNumber);
        p.AddWithValue("$offset", lineOffset);
        p.AddWithValue("$length", line.Length);
        p.AddWithValue("$ts", IndexTime.Of(e.Timestamp));
        p.AddWithValue("$name", e.Name);
        p.AddWithValue("$level", (int)e.Level);
        p.AddWithValue("$keywords", (long)e.Keywords);
        p.AddWithValue("$op", (object?)e.GetString(JournalFields.OperationId) ?? DBNull.Value);
        p.AddWithValue("$opname", (object?)e.GetString(JournalFields.OperationName) ?? DBNull.Value);
        p.AddWithValue("$cwd", (object?)(e.GetString(JournalFields.Cwd) ?? fields[JournalFields.Provenance]?[JournalFields.Cwd]?.GetValue<string>()) ?? DBNull.Value);
        p.AddWithValue("$host", (object?)(fields[JournalFields.Provenance]?["host"] is JsonValue h && h.TryGetValue(out string? host) ? host : null) ?? DBNull.Value);
        p.AddWithValue("$exit", exit is { } ec ? ec : DBNull.Value);
        p.AddWithValue("$failed", failed ? 1 : 0);
        p.AddWithValue("$duration", e.GetDouble(JournalFields.DurationMs) is { } d ? d : DBNull.Value);
        p.AddWithValue("$ach", (object?)e.GetString(JournalFields.AchievementId) ?? DBNull.Value);
        p.AddWithValue("$achtype", (object?)e.GetString(JournalFields.AchievementType) ?? DBNull.Value);
        if (_insertEvent.ExecuteScalar() is not long id) return false; // already indexed (another process, or a duplicate seq)
        if (capture && SearchableText.Of(fields, index.Data.SessionDirectory(sessionId)) is { Length: > 0 } text)
        {
            _insertText.Parameters.Clear();
            _insertText.Parameters.AddWithValue("$id", id);
            _insertText.Parameters.AddWithValue("$text", text);
            _insertText.ExecuteNonQuery();
        }
        return true;
    }

    /// <summary>Derives the session row from its indexed events (segments arrive in any order, so it is recomputed).</summary>
    private void RecomputeSession(string sessionId, long dirMtime, DateTimeOffset now, bool changed)
    {
        using var existing = index.Command("SELECT status FROM sessions WHERE session_id = $s", _tx);
        existing.Parameters.AddWithValue("$s", sessionId);
        string? status = existing.ExecuteScalar() as string;
        if (!changed && status == "ended")
        {
            UpdateSettled(sessionId, dirMtime, now);
            return;
        }

        JsonObject? start = null, end = null;
        long? startEventTs = null, endTs = null;
        using (var cmd = index.Command($"""
            SELECT e.name, e.ts, g.file, e.line_offset, e.line_length FROM {HistoryQuery.EventsWithSegment}
            WHERE e.segment IN {HistoryQuery.SegmentsOfSession} AND e.name IN ('SessionStart', 'SessionEnd') ORDER BY e.ts, g.file, e.seq
            """, _tx))
        {
            cmd.Parameters.AddWithValue("$s", sessionId);
            var rows = new List<(string Name, long Ts, string File, long Offset, int Length)>();
            using (var reader = cmd.ExecuteReader())
            {
                while (reader.Read()) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3), reader.GetInt32(4)));
            }
            foreach (var row in rows)
            {
                if (row.Name == SessionEventNames.SessionStart)
                {
                    if (start is null) { start = _lines.Fields(row.File, row.Offset, row.Length); startEventTs = row.Ts; }
                }
                else
                {
                    end = _lines.Fields(row.File, row.Offset, row.Length);
                    endTs = row.Ts;
                }
            }
        }
        long operations = 0, failed = 0, achievements = 0;
        long? firstTs = null, lastTs = null, lastExit = null;
        using (var cmd = index.Command($"""
            SELECT COUNT(*) FILTER (WHERE name IN ('TerminalCapture', 'TerminalCaptureFailed')), COALESCE(SUM(failed), 0),
                   COUNT(*) FILTER (WHERE name = 'AchievementLogged'), MIN(ts), MAX(ts),
                   (SELECT exit_code FROM events WHERE segment IN {HistoryQuery.SegmentsOfSession} AND name = 'TerminalCapture' ORDER BY ts DESC, id DESC LIMIT 1)
            FROM events WHERE segment IN {HistoryQuery.SegmentsOfSession}
            """, _tx))
        {
            cmd.Parameters.AddWithValue("$s", sessionId);
            using var reader = cmd.ExecuteReader();
            reader.Read();
            operations = reader.GetInt64(0);
            failed = reader.GetInt64(1);
            achievements = reader.GetInt64(2);
            firstTs = reader.IsDBNull(3) ? null : reader.GetInt64(3);
            lastTs = reader.IsDBNull(4) ? null : reader.GetInt64(4);
            lastExit = reader.IsDBNull(5) ? null : reader.GetInt64(5);
        }
        string? host = Str(start?[JournalFields.Provenance]?["host"]);
        long? startTs = SessionManager.ParseTime(Str(start?[JournalFields.StartTime])) is { } startTime ? IndexTime.Of(startTime) : startEventTs ?? firstTs;
        status = end is not null ? "ended" : OpenStatus(sessionId, host, start, lastTs, now);
        long interrupted = IncompleteOperations(index, sessionId, _tx).Count(o => o.State == WriterState.Dead);
        double? duration = end?[JournalFields.DurationMs] is JsonValue dv && dv.TryGetValue(out double dd) ? dd
            : startTs is { } s0 && lastTs is { } l0 ? IndexTime.Milliseconds(s0, l0) : null;

        using var upsert = index.Command("""
            INSERT INTO sessions (session_id, name, type, methodology, parent_session_id, host, user, start_ts, end_ts, first_ts, last_ts,
                duration_ms, status, operation_count, failed_operation_count, achievement_count, last_exit_code, activity_id, dir_mtime, settled,
                interrupted_operation_count)
            VALUES ($s, $name, $type, $meth, $parent, $host, $user, $start, $end, $first, $last, $dur, $status, $ops, $failed, $ach, $exit, $activity, $dirm, $settled,
                $interrupted)
            ON CONFLICT(session_id) DO UPDATE SET name = excluded.name, type = excluded.type, methodology = excluded.methodology,
                parent_session_id = excluded.parent_session_id, host = excluded.host, user = excluded.user, start_ts = excluded.start_ts,
                end_ts = excluded.end_ts, first_ts = excluded.first_ts, last_ts = excluded.last_ts, duration_ms = excluded.duration_ms,
                status = excluded.status, operation_count = excluded.operation_count, failed_operation_count = excluded.failed_operation_count,
                achievement_count = excluded.achievement_count, last_exit_code = excluded.last_exit_code, activity_id = excluded.activity_id,
                dir_mtime = excluded.dir_mtime, settled = excluded.settled, interrupted_operation_count = excluded.interrupted_operation_count
            WHERE (name, type, methodology, parent_session_id, host, user, start_ts, end_ts, first_ts, last_ts, duration_ms, status,
                operation_count, failed_operation_count, achievement_count, last_exit_code, activity_id, dir_mtime, settled, interrupted_operation_count)
                IS NOT (excluded.name, excluded.type, excluded.methodology, excluded.parent_session_id, excluded.host, excluded.user,
                excluded.start_ts, excluded.end_ts, excluded.first_ts, excluded.last_ts, excluded.duration_ms, excluded.status,
                excluded.operation_count, excluded.failed_operation_count, excluded.achievement_count, excluded.last_exit_code,
                excluded.activity_id, excluded.dir_mtime, excluded.settled, excluded.interrupted_operation_count)
            """, _tx);
        var p = upsert.Parameters;
        p.AddWithValue("$s", sessionId);
        p.AddWithValue("$name", Str(start?[JournalFields.SessionName]) ?? string.Empty);
        p.AddWithValue("$type", Str(start?[JournalFields.SessionType]) ?? string.Empty);
        p.AddWithValue("$meth", (object?)Str(start?[JournalFields.Methodology]) ?? DBNull.Value);
        p.AddWithValue("$parent", (object?)Str(start?[JournalFields.ParentSessionId]) ?? DBNull.Value);
        p.AddWithValue("$host", (object?)host ?? DBNull.Value);
        p.AddWithValue("$user", (object?)Str(start?[JournalFields.Provenance]?["user"]) ?? DBNull.Value);
        p.AddWithValue("$start", startTs is { } st ? st : DBNull.Value);
        p.AddWithValue("$end", endTs is { } et ? et : DBNull.Value);
        p.AddWithValue("$first", firstTs is { } ft ? ft : DBNull.Value);
        p.AddWithValue("$last", lastTs is { } lt ? lt : DBNull.Value);
        p.AddWithValue("$dur", duration is { } du ? du : DBNull.Value);
        p.AddWithValue("$status", status);
        p.AddWithValue("$ops", operations);
        p.AddWithValue("$failed", failed);
        p.AddWithValue("$ach", achievements);
        p.AddWithValue("$exit", lastExit is { } le ? le : DBNull.Value);
        p.AddWithValue("$activity", (object?)ActivityId(sessionId) ?? DBNull.Value);
        p.AddWithValue("$dirm", dirMtime);
        p.AddWithValue("$settled", IsSettled(status, lastTs, now) ? 1 : 0);
        p.AddWithValue("$interrupted", interrupted);
        upsert.ExecuteNonQuery();
    }

    private void UpdateSettled(string sessionId, long dirMtime, DateTimeOffset now)
    {
        using var cmd = index.Command("""
            UPDATE sessions SET dir_mtime = $d, settled = CASE WHEN last_ts < $cutoff THEN 1 ELSE 0 END
            WHERE session_id = $s AND (dir_mtime IS NOT $d OR settled IS NOT (CASE WHEN last_ts < $cutoff THEN 1 ELSE 0 END))
            """, _tx);
        cmd.Parameters.AddWithValue("$d", dirMtime);
        cmd.Parameters.AddWithValue("$cutoff", IndexTime.Of(now - SettleAfter));
        cmd.Parameters.AddWithValue("$s", sessionId);
        cmd.ExecuteNonQuery();
    }

    private static bool IsSettled(string status, long? lastTs, DateTimeOffset now) =>
        status is "ended" or "abandoned" && lastTs is { } t && IndexTime.Of(now) - t >= IndexTime.Of(SettleAfter);

    private string? ActivityId(string sessionId)
    {
        // The activity id is in the journal header, not the fields: read it from the session's first line.
        // (Format 2: on the Writer line it refers to, which reading the line brings in.)
        using var cmd = index.Command($"SELECT g.file, e.line_offset, e.line_length FROM {HistoryQuery.EventsWithSegment} WHERE e.segment IN {HistoryQuery.SegmentsOfSession} ORDER BY e.ts, g.file, e.seq LIMIT 1", _tx);
        cmd.Parameters.AddWithValue("$s", sessionId);
        string file;
        long offset;
        int length;
        using (var reader = cmd.ExecuteReader())
        {
            if (!reader.Read()) return null;
            (file, offset, length) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2));
        }
        return _lines.Event(file, offset, length) is { } e && e.ActivityId != Guid.Empty ? e.ActivityId.ToString("D") : null;
    }

    /// <summary>
    /// The status of a session without SessionEnd. Another host's session is "open": nothing here can tell. A session
    /// that ends with the process that started it (<c>session_lifetime</c> "process": a <c>run</c> without a session, a
    /// library host) is "abandoned" as soon as that process is provably gone and no other writer of the session runs.
    /// Any other session (one from <c>cfsession start</c>, which stays open between runs, or one journaled before
    /// <c>session_lifetime</c> existed) is "abandoned" only when no writer runs and nothing was recorded for
    /// <see cref="AbandonedAfter"/>.
    /// </summary>
    private string OpenStatus(string sessionId, string? host, JsonObject? start, long? lastTs, DateTimeOffset now)
    {
        if (host is not null && host != CurrentProvenance.Host) return "open";
        var writers = WriterStates(sessionId);
        if (writers.Contains(WriterState.Alive)) return "open";
        if (Str(start?[JournalFields.SessionLifetime]) == SessionManager.ProcessLifetime
            && ProcessLiveness.Check(start?[JournalFields.Provenance]) == WriterState.Dead)
            return "abandoned";
        return lastTs is null || IndexTime.Of(now) - lastTs < IndexTime.Of(AbandonedAfter) ? "open" : "abandoned";
    }

    /// <summary>
    /// The state of each segment's writer: from the provenance of the segment's first line (pid, start time, boot),
    /// else from the pid in the segment's name.
    /// </summary>
    private HashSet<WriterState> WriterStates(string sessionId)
    {
        var states = new HashSet<WriterState>();
        var firstLines = new List<(string File, long? Offset, int Length)>();
        using (var cmd = index.Command("""
            SELECT s.file, e.line_offset, e.line_length FROM segments s
            LEFT JOIN events e ON e.id = (SELECT f.id FROM events f WHERE f.segment = s.id ORDER BY f.seq LIMIT 1)
            WHERE s.session_id = $s
            """, _tx))
        {
            cmd.Parameters.AddWithValue("$s", sessionId);
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) firstLines.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt32(2)));
        }
        foreach (var (file, offset, length) in firstLines)
        {
            var provenance = offset is { } o ? _lines.Fields(file, o, length)[JournalFields.Provenance] : null;
            var state = ProcessLiveness.Check(provenance);
            if (provenance is null && ProcessLiveness.PidFromSegmentName(file) is { } pid)
                state = ProcessLiveness.IsAlive(pid) ? WriterState.Alive : WriterState.Dead;
            states.Add(state);
        }
        // Format 2: every writer of a shared segment has its own Writer line.
        var writerLines = new List<(string File, long Seq)>();
        using (var writers = index.Command("SELECT s.file, w.seq FROM writers w JOIN segments s ON s.id = w.segment WHERE s.session_id = $s", _tx))
        {
            writers.Parameters.AddWithValue("$s", sessionId);
            using var rows = writers.ExecuteReader();
            while (rows.Read()) writerLines.Add((rows.GetString(0), rows.GetInt64(1)));
        }
        foreach (var (file, seq) in writerLines) states.Add(ProcessLiveness.Check(_lines.Writer(file, seq)?.Provenance));
        return states;
    }

    /// <summary>One OperationStarted without its TerminalCapture, and the state of the process that started it.</summary>
    internal sealed record IncompleteOperation(IndexedEvent Started, WriterState State)
    {
        /// <summary>"interrupted" when the process that ran it is provably gone, else "running".</summary>
        public string Status => State == WriterState.Dead ? "interrupted" : "running";
    }

    /// <summary>The session's operations that started and have no capture (yet), oldest first.</summary>
    internal static List<IncompleteOperation> IncompleteOperations(HistoryIndex index, string sessionId, SqliteTransaction? tx = null)
    {
        using var cmd = index.Command($"""
            SELECT {HistoryQuery.EventColumns} FROM {HistoryQuery.EventsWithSegment}
            WHERE e.segment IN {HistoryQuery.SegmentsOfSession} AND e.name = 'OperationStarted' AND {HistoryQuery.NoCaptureClause}
            ORDER BY e.ts, g.file, e.seq
            """, tx);
        cmd.Parameters.AddWithValue("$s", sessionId);
        return HistoryQuery.ReadEvents(index, cmd).Select(e => new IncompleteOperation(e, ProcessLiveness.Check(e.Fields[JournalFields.Provenance]))).ToList();
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}
