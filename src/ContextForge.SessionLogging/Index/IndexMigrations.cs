namespace ContextForge.SessionLogging.Index;

/// <summary>
/// The index schema as numbered, append-only migrations: a released migration is never edited, a change is a new
/// one. <c>migrations</c> records which ran. The index is derived data: <c>cfsession reindex</c> rebuilds it.
/// </summary>
internal static class IndexMigrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "journal index and output search", """
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

            -- One row per journal segment file: how far it has been read.
            CREATE TABLE segments (
                file TEXT PRIMARY KEY,          -- '<session-id>/<segment>.jsonl'
                session_id TEXT NOT NULL,
                offset INTEGER NOT NULL,        -- bytes of complete lines consumed
                lines INTEGER NOT NULL,         -- complete lines consumed
                skipped_lines INTEGER NOT NULL, -- lines that were not journal lines (validate reports them)
                length INTEGER NOT NULL,        -- file length when last read
                mtime INTEGER NOT NULL,         -- file mtime (ticks) when last read
                head_hash TEXT NOT NULL         -- SHA-256 of the first bytes: detects a replaced file
            );
            CREATE INDEX segments_session ON segments(session_id);

            CREATE TABLE sessions (
                session_id TEXT PRIMARY KEY,
                name TEXT NOT NULL DEFAULT '',
                type TEXT NOT NULL DEFAULT '',
                methodology TEXT,
                parent_session_id TEXT,
                host TEXT,
                user TEXT,
                start_ts INTEGER,               -- Unix ms
                end_ts INTEGER,
                first_ts INTEGER,
                last_ts INTEGER,
                duration_ms REAL,
                status TEXT NOT NULL,           -- ended | open | abandoned
                operation_count INTEGER NOT NULL DEFAULT 0,
                failed_operation_count INTEGER NOT NULL DEFAULT 0,
                achievement_count INTEGER NOT NULL DEFAULT 0,
                last_exit_code INTEGER,
                activity_id TEXT,
                dir_mtime INTEGER NOT NULL DEFAULT 0,
                settled INTEGER NOT NULL DEFAULT 0  -- ended/abandoned and quiet: quick catch-up skips it
            );
            CREATE INDEX sessions_start ON sessions(start_ts DESC);
            CREATE INDEX sessions_unsettled ON sessions(settled) WHERE settled = 0;

            CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                file TEXT NOT NULL,
                seq INTEGER NOT NULL,
                line INTEGER NOT NULL,          -- 1-based line number in the segment
                line_offset INTEGER NOT NULL,   -- byte offset of the line (to re-read output)
                line_length INTEGER NOT NULL,
                ts INTEGER NOT NULL,            -- Unix ms
                name TEXT NOT NULL,
                level INTEGER NOT NULL,
                keywords INTEGER NOT NULL,
                operation_id TEXT,
                operation_name TEXT,
                cwd TEXT,
                host TEXT,
                exit_code INTEGER,
                failed INTEGER NOT NULL DEFAULT 0,
                duration_ms REAL,
                achievement_id TEXT,
                achievement_type TEXT,
                fields TEXT NOT NULL,           -- the event's fields as JSON, without inline output
                UNIQUE (file, seq)
            );
            -- Ascending on purpose: read backwards it yields (ts DESC, rowid DESC), the order every query returns.
            CREATE INDEX events_ts ON events(ts);
            CREATE INDEX events_session ON events(session_id, ts);
            CREATE INDEX events_failed ON events(ts) WHERE failed = 1;
            CREATE INDEX events_operation ON events(operation_id) WHERE operation_id IS NOT NULL;
            CREATE INDEX events_achievement_type ON events(achievement_type, ts) WHERE achievement_type IS NOT NULL;

            -- Output text, ANSI stripped and CRLF normalised; rowid = events.id. Contentless: the journal keeps the text.
            CREATE VIRTUAL TABLE output_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61');
            """),
        (2, "interrupted operations per session", """
            -- Operations whose OperationStarted has no capture and whose process is provably gone (killed mid-run).
            ALTER TABLE sessions ADD COLUMN interrupted_operation_count INTEGER NOT NULL DEFAULT 0;
            -- Open and abandoned sessions are examined again, so their counts and status follow the new rules.
            UPDATE sessions SET settled = 0 WHERE status <> 'ended';
            """),
        (3, "journal format 2: writer lines", """
            -- A format-2 segment's Writer lines: the provenance and activity id its events refer to by seq.
            CREATE TABLE writers (
                file TEXT NOT NULL,
                seq INTEGER NOT NULL,
                session_id TEXT NOT NULL,
                activity_id TEXT NOT NULL,
                provenance TEXT NOT NULL,
                PRIMARY KEY (file, seq)
            );
            CREATE INDEX writers_session ON writers(session_id);
            """),
        (4, "timestamps in ticks", """
            -- Every time column (events.ts, sessions.start_ts/end_ts/first_ts/last_ts) now holds 100-ns ticks since the
            -- Unix epoch, the journal's full precision, instead of whole milliseconds. The old values cannot be made
            -- exact, so the derived rows go and the next catch-up reads every journal again.
            DELETE FROM output_fts;
            DELETE FROM events;
            DELETE FROM sessions;
            DELETE FROM segments;
            DELETE FROM writers;
            DELETE FROM meta;
            """),
        (CompactVersion, "rows locate journal lines: fields, provenance and output text stay in the journal", """
            -- Every derived table is made again, empty: the next catch-up finds no change-log offset and no sessions, so
            -- it lists every session directory and indexes it anew (an old index is rebuilt without a 'reindex').
            DROP TABLE output_fts;
            DROP TABLE events;
            DROP TABLE writers;
            DROP TABLE segments;
            DELETE FROM sessions;
            DELETE FROM meta;

            -- A segment's row id is what its events and Writer lines refer to (an integer, not its 50-character name).
            CREATE TABLE segments (
                id INTEGER PRIMARY KEY,
                file TEXT NOT NULL UNIQUE,      -- '<session-id>/<segment>.jsonl'
                session_id TEXT NOT NULL,
                offset INTEGER NOT NULL,        -- bytes of complete lines consumed
                lines INTEGER NOT NULL,         -- complete lines consumed
                skipped_lines INTEGER NOT NULL, -- lines that were not journal lines (validate reports them)
                length INTEGER NOT NULL,        -- file length when last read
                mtime INTEGER NOT NULL,         -- file mtime (ticks) when last read
                head_hash TEXT NOT NULL         -- SHA-256 of the first line: detects a replaced file
            );
            CREATE INDEX segments_session ON segments(session_id);

            -- Only what queries filter and sort on, and where the line is: the fields are read from the journal line
            -- (IndexedLineReader), so the index holds no copy of them. An event's session is its segment's.
            CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                segment INTEGER NOT NULL,       -- segments.id
                seq INTEGER NOT NULL,
                line INTEGER NOT NULL,          -- 1-based line number in the segment
                line_offset INTEGER NOT NULL,   -- byte offset of the line
                line_length INTEGER NOT NULL,
                ts INTEGER NOT NULL,            -- 100-ns ticks since the Unix epoch (migration 4)
                name TEXT NOT NULL,
                level INTEGER NOT NULL,
                keywords INTEGER NOT NULL,
                operation_id TEXT,
                operation_name TEXT,
                cwd TEXT,
                host TEXT,
                exit_code INTEGER,
                failed INTEGER NOT NULL DEFAULT 0,
                duration_ms REAL,
                achievement_id TEXT,
                achievement_type TEXT,
                UNIQUE (segment, seq)
            );
            -- Ascending on purpose: read backwards it yields (ts DESC, rowid DESC), the order every query returns.
            CREATE INDEX events_ts ON events(ts);
            CREATE INDEX events_failed ON events(ts) WHERE failed = 1;
            -- Captures only: what HistoryQuery.NoCaptureClause looks up (the same term, so the planner uses it).
            CREATE INDEX events_capture_operation ON events(operation_id) WHERE name IN ('TerminalCapture', 'TerminalCaptureFailed');
            CREATE INDEX events_achievement_type ON events(achievement_type, ts) WHERE achievement_type IS NOT NULL;

            -- Where each format-2 Writer line is (its provenance and activity id are read from it).
            CREATE TABLE writers (
                segment INTEGER NOT NULL,
                seq INTEGER NOT NULL,
                line_offset INTEGER NOT NULL,
                line_length INTEGER NOT NULL,
                PRIMARY KEY (segment, seq)
            ) WITHOUT ROWID;

            -- The terms of SearchableText.Of(output); rowid = events.id. Contentless: the text is not stored.
            CREATE VIRTUAL TABLE output_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61');
            """),
        (6, "newest sessions from one index walk", """
            -- Every session listing is ORDER BY start_ts DESC, session_id; with sessions_start (start_ts alone) the planner
            -- sorted the whole table for LIMIT 1 (the newest session: inspect and show without an argument), 2,600 pages
            -- at 50,000 sessions. This index yields the order itself, and covers inspect's count of the last day's
            -- sessions (first_ts IS NOT NULL) without reading a row. Built from the sessions table in place: no reindex.
            DROP INDEX IF EXISTS sessions_start;
            CREATE INDEX IF NOT EXISTS sessions_newest ON sessions(start_ts DESC, session_id, first_ts);
            """),
    ];

    /// <summary>The migration after which the index holds no copy of the journal's fields (older indexes are rebuilt).</summary>
    public const int CompactVersion = 5;
}
