using System.Globalization;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// The SQLite index over every journal in a data directory (<c>&lt;root&gt;/index.sqlite</c>): WAL mode, a busy
/// timeout, schema from <see cref="IndexMigrations"/>. Derived data only: <see cref="Rebuild"/> recreates it from
/// the journals. Queries call <see cref="CatchUp"/> first; the write path (<c>run</c>) never touches the index.
/// </summary>
internal sealed class HistoryIndex : IDisposable
{
    public const string FileName = "index.sqlite";
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private HistoryIndex(DataDirectory data, SqliteConnection connection)
    {
        Data = data;
        Connection = connection;
    }

    public DataDirectory Data { get; }

    public SqliteConnection Connection { get; }

    public string PathOnDisk => Path.Combine(Data.Root, FileName);

    /// <summary>Opens (creating and migrating as needed) the index of <paramref name="data"/>.</summary>
    public static HistoryIndex Open(DataDirectory data)
    {
        FileSecurity.CreatePrivateDirectory(data.Root);
        string path = Path.Combine(data.Root, FileName);
        if (!File.Exists(path))
        {
            // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode, so
            // no index file is ever readable by others, not even for the moment between creation and a chmod.
            try { using (FileSecurity.CreateNewPrivateFile(path)) { } } catch (IOException) when (File.Exists(path)) { }
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        connection.Open();
        if (!OperatingSystem.IsWindows())
        {
            // An index made by an older version (or copied in) is made private too, with its -wal and -shm.
            foreach (string file in new[] { path, path + "-wal", path + "-shm" })
            {
                try
                {
                    if (File.Exists(file) && (File.GetUnixFileMode(file) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
            }
        }
        var index = new HistoryIndex(data, connection);
        index.Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};"));
        index.Execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;");
        index.Migrate();
        return index;
    }

    /// <summary>True when SQLite reports the index file itself as damaged (SQLITE_CORRUPT, SQLITE_NOTADB).</summary>
    public static bool IsCorruption(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is 11 or 26;

    /// <summary>
    /// Moves a corrupt index (with its -wal and -shm) aside to <c>index.sqlite.corrupt-&lt;utc timestamp&gt;</c> so
    /// the next <see cref="Open"/> creates a fresh one and rebuilds it from the journals (the index is derived data).
    /// Returns the new path of the damaged file.
    /// </summary>
    public static string MoveAsideCorrupt(DataDirectory data)
    {
        SqliteConnection.ClearAllPools();
        string path = Path.Combine(data.Root, FileName);
        string aside = path + ".corrupt-" + DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        foreach (string suffix in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(path + suffix)) File.Move(path + suffix, aside + suffix, overwrite: true);
        }
        return aside;
    }

    /// <summary>The schema version (the highest applied migration).</summary>
    public int SchemaVersion => Convert.ToInt32(Scalar("SELECT COALESCE(MAX(version), 0) FROM migrations"), CultureInfo.InvariantCulture);

    private void Migrate()
    {
        Execute("CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);");
        if (Convert.ToInt32(Scalar("SELECT COALESCE(MAX(version), 0) FROM migrations"), CultureInfo.InvariantCulture) >= IndexMigrations.All[^1].Version) return;
        // BEGIN IMMEDIATE: two processes opening a new index at once apply each migration exactly once.
        using var tx = Connection.BeginTransaction(deferred: false);
        long current = Convert.ToInt64(Scalar("SELECT COALESCE(MAX(version), 0) FROM migrations", tx), CultureInfo.InvariantCulture);
        foreach (var (version, name, sql) in IndexMigrations.All)
        {
            if (version <= current) continue;
            Execute(sql, tx);
            using var record = Command("INSERT INTO migrations (version, name, applied_at) VALUES ($v, $n, $t)", tx);
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$n", name);
            record.Parameters.AddWithValue("$t", SessionManager.FormatTime(DateTimeOffset.UtcNow));
            record.ExecuteNonQuery();
        }
        tx.Commit();
        // Migrating an existing index past version 4 dropped its old tables: give their pages back to the file system.
        // (A new index has next to nothing to give back: no VACUUM, which needs room for a copy, on a nearly full disk too.)
        if (current is > 0 and < IndexMigrations.CompactVersion) Pack();
    }

    /// <summary>Reads what the journals gained since the last catch-up. See <see cref="JournalIndexer"/>.</summary>
    public CatchUpResult CatchUp(bool full = false)
    {
        // What the hook-only shells (cfsession init) spooled is journaled first: every query sees it.
        Shell.ShellSpool.Ingest(Data);
        var result = new JournalIndexer(this).CatchUp(full, DateTimeOffset.UtcNow);
        // A bulk load (the first catch-up of a new or migrated index) rewrote the search b-trees: pack the file.
        if (result.EventsAdded >= JournalIndexer.BulkLoadEvents) Pack();
        return result;
    }

    /// <summary>
    /// Gives the pages the index no longer uses back to the file system (<c>VACUUM</c>). Skipped when another process
    /// holds the index busy or the disk has no room for the copy: the file is only larger until the next bulk load.
    /// </summary>
    private void Pack()
    {
        try
        {
            Execute("VACUUM;");
            Execute("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        catch (SqliteException ex) when ((ex.SqliteErrorCode & 0xFF) is 5 or 6 or 13) // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL
        {
            // VACUUM is all or nothing: the index is as it was, only larger.
        }
    }

    /// <summary>Empties the index and reads every journal again.</summary>
    public CatchUpResult Rebuild()
    {
        using (var tx = Connection.BeginTransaction(deferred: false))
        {
            // 'delete-all' empties the contentless search index at once (a DELETE would remove its rows one by one).
            Execute("DELETE FROM events; INSERT INTO output_fts (output_fts) VALUES ('delete-all'); DELETE FROM writers; DELETE FROM sessions; DELETE FROM segments; DELETE FROM meta;", tx);
            tx.Commit();
        }
        var result = CatchUp(full: true);
        // The rows and search b-trees written in bulk (and the pages the old ones held) are packed into a file of their size.
        if (result.EventsAdded < JournalIndexer.BulkLoadEvents) Pack();
        return result;
    }

    /// <summary>Removes every index row of a session (prune, a vanished directory).</summary>
    internal void DeleteSession(string sessionId, SqliteTransaction tx)
    {
        using var cmd = Command("""
            DELETE FROM output_fts WHERE rowid IN (SELECT id FROM events WHERE segment IN (SELECT id FROM segments WHERE session_id = $s));
            DELETE FROM events WHERE segment IN (SELECT id FROM segments WHERE session_id = $s);
            DELETE FROM writers WHERE segment IN (SELECT id FROM segments WHERE session_id = $s);
            DELETE FROM segments WHERE session_id = $s;
            DELETE FROM sessions WHERE session_id = $s;
            """, tx);
        cmd.Parameters.AddWithValue("$s", sessionId);
        cmd.ExecuteNonQuery();
    }

    internal SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    internal void Execute(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    internal object? Scalar(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        return cmd.ExecuteScalar();
    }

    public void Dispose() => Connection.Dispose();
}

/// <summary>What one catch-up did: the counters tests and benchmarks use to prove it read only new lines.</summary>
internal sealed class CatchUpResult
{
    public int SessionsExamined { get; set; }
    public int SegmentsRead { get; set; }
    public long BytesRead { get; set; }
    public long LinesRead { get; set; }
    public long EventsAdded { get; set; }
    public long LinesSkipped { get; set; }
    public int SessionsRemoved { get; set; }
    public int SegmentsReplaced { get; set; }
    /// <summary>True when the session directories were listed (a full catch-up, a first one, or a damaged change log).</summary>
    public bool Listed { get; set; }
    /// <summary>Why the change log could not be used and every session directory was listed instead; null when it could.</summary>
    public string? ChangeLogProblem { get; set; }
}
