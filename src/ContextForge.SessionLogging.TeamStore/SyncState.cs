using System.Globalization;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>One segment's push progress: bytes of complete lines pushed, lines, and whether its session has ended in it.</summary>
internal sealed record PushedSegment(string File, long Offset, long Lines, bool Ended, string Host, string User);

/// <summary>What the last sync to a store did (for <c>sync --status</c>).</summary>
internal sealed record StoreSyncRecord(string? StoreId, long ChangeLogOffset, bool Listed, string? LastSync, string? LastError);

/// <summary>
/// How far each segment was pushed to each team store (<c>&lt;data&gt;/team-sync.sqlite</c>, 0600). It advances only after
/// the server committed a batch, so a sync killed at any point resumes where the server stopped; a batch committed
/// but not recorded is pushed again and the server's <c>ON CONFLICT DO NOTHING</c> drops it. Derived data: deleting
/// the file makes the next sync push everything again, and nothing is duplicated on the server.
/// </summary>
internal sealed class SyncState : IDisposable
{
    public const string FileName = "team-sync.sqlite";
    private readonly SqliteConnection _connection;

    private SyncState(SqliteConnection connection, string storeKey)
    {
        _connection = connection;
        StoreKey = storeKey;
    }

    /// <summary>The store (address and team) this state is for.</summary>
    public string StoreKey { get; }

    public static SyncState Open(DataDirectory data, string storeKey)
    {
        FileSecurity.CreatePrivateDirectory(data.Root);
        string path = Path.Combine(data.Root, FileName);
        if (!File.Exists(path))
        {
            try { using (FileSecurity.CreateNewPrivateFile(path)) { } } catch (IOException) when (File.Exists(path)) { }
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        var state = new SyncState(connection, storeKey);
        state.Execute("PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
        state.Execute("""
            CREATE TABLE IF NOT EXISTS stores (key TEXT PRIMARY KEY, store_id TEXT, change_log_offset INTEGER NOT NULL DEFAULT 0,
                listed INTEGER NOT NULL DEFAULT 0, last_sync TEXT, last_error TEXT);
            CREATE TABLE IF NOT EXISTS segments (key TEXT NOT NULL, file TEXT NOT NULL, offset INTEGER NOT NULL, lines INTEGER NOT NULL,
                ended INTEGER NOT NULL, host TEXT NOT NULL, user TEXT NOT NULL, PRIMARY KEY (key, file));
            """);
        using var insert = state.Command("INSERT OR IGNORE INTO stores (key) VALUES ($k)");
        insert.ExecuteNonQuery();
        return state;
    }

    public StoreSyncRecord Store()
    {
        using var cmd = Command("SELECT store_id, change_log_offset, listed, last_sync, last_error FROM stores WHERE key = $k");
        using var r = cmd.ExecuteReader();
        r.Read();
        return new StoreSyncRecord(r.IsDBNull(0) ? null : r.GetString(0), r.GetInt64(1), r.GetInt64(2) != 0, r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4));
    }

    /// <summary>Forgets every segment of this store: the server is a different database than last time.</summary>
    public void ResetFor(Guid storeId)
    {
        using var tx = _connection.BeginTransaction();
        using (var del = Command("DELETE FROM segments WHERE key = $k", tx)) del.ExecuteNonQuery();
        using (var upd = Command("UPDATE stores SET store_id = $id, change_log_offset = 0, listed = 0 WHERE key = $k", tx))
        {
            upd.Parameters.AddWithValue("$id", storeId.ToString());
            upd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public Dictionary<string, PushedSegment> Segments()
    {
        var result = new Dictionary<string, PushedSegment>(StringComparer.Ordinal);
        using var cmd = Command("SELECT file, offset, lines, ended, host, user FROM segments WHERE key = $k");
        using var r = cmd.ExecuteReader();
        while (r.Read()) result[r.GetString(0)] = new PushedSegment(r.GetString(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3) != 0, r.GetString(4), r.GetString(5));
        return result;
    }

    /// <summary>Records segments pushed (after the server committed them).</summary>
    public void Record(IEnumerable<PushedSegment> segments)
    {
        using var tx = _connection.BeginTransaction();
        using var cmd = Command("""
            INSERT INTO segments (key, file, offset, lines, ended, host, user) VALUES ($k, $f, $o, $l, $e, $h, $u)
            ON CONFLICT (key, file) DO UPDATE SET offset = excluded.offset, lines = excluded.lines, ended = excluded.ended, host = excluded.host, user = excluded.user
            """, tx);
        foreach (var s in segments)
        {
            cmd.Parameters.Clear();
            cmd.Parameters.AddWithValue("$k", StoreKey);
            cmd.Parameters.AddWithValue("$f", s.File);
            cmd.Parameters.AddWithValue("$o", s.Offset);
            cmd.Parameters.AddWithValue("$l", s.Lines);
            cmd.Parameters.AddWithValue("$e", s.Ended ? 1 : 0);
            cmd.Parameters.AddWithValue("$h", s.Host);
            cmd.Parameters.AddWithValue("$u", s.User);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Records a completed sync: the change log read up to <paramref name="changeLogOffset"/>, every session directory known.</summary>
    public void Completed(long changeLogOffset, DateTimeOffset at)
    {
        using var cmd = Command("UPDATE stores SET change_log_offset = $o, listed = 1, last_sync = $t, last_error = NULL WHERE key = $k");
        cmd.Parameters.AddWithValue("$o", changeLogOffset);
        cmd.Parameters.AddWithValue("$t", SessionManager.FormatTime(at));
        cmd.ExecuteNonQuery();
    }

    /// <summary>Records why the last sync failed (shown by <c>sync --status</c>; cleared by the next complete sync).</summary>
    public void Failed(string error, DateTimeOffset at)
    {
        using var cmd = Command("UPDATE stores SET last_error = $e WHERE key = $k");
        cmd.Parameters.AddWithValue("$e", SessionManager.FormatTime(at) + " " + error);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.Parameters.AddWithValue("$k", StoreKey);
        return cmd;
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
