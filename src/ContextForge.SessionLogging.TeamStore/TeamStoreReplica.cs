using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>What one refresh of a replica brought.</summary>
internal sealed record ReplicaRefresh(long LinesFetched, int SegmentsTouched, int BlobsFetched, TimeSpan Elapsed);

/// <summary>
/// The team store as a data directory, so the same query code (<see cref="Query.SessionQueries"/>, its SQLite index,
/// every document and its JSON) answers for every host and user: <c>&lt;data&gt;/team-cache/&lt;key&gt;/</c> holds the
/// segments and blobs the login may see (row-level security applies on the server), byte for byte, restricted to
/// <c>--host</c>/<c>--user</c> when given (parameters of the server query). Each refresh fetches only the lines past
/// what the replica holds per segment, appends them, and records the segments in the replica's change log, so the
/// replica's index catches up with the new lines only. A refresh cut short is undone on the next one (each segment is
/// cut back to the length last recorded). Derived data: deleting the directory fetches everything again.
/// </summary>
internal static class TeamStoreReplica
{
    public const string DirectoryName = "team-cache";
    private const string StateFileName = "replica.sqlite";

    /// <summary>The replica directory for this store, login and filters.</summary>
    public static DataDirectory For(DataDirectory local, TeamStoreAddress address, string? host, string? user)
    {
        string identity = string.Join('\n', address.Key, address.Builder.Username ?? "", host ?? "\0", user ?? "\0");
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        return new DataDirectory(Path.Combine(local.Root, DirectoryName, key));
    }

    /// <summary>Brings the replica up to date with the server and returns it.</summary>
    public static async Task<(DataDirectory Replica, ReplicaRefresh Refresh)> RefreshAsync(TeamStoreConnection store, DataDirectory local, string? host, string? user, CancellationToken cancellationToken = default)
    {
        var replica = For(local, store.Address, host, user);
        try
        {
            return (replica, await RefreshReplicaAsync(store, replica, host, user, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (store.Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    private static async Task<ReplicaRefresh> RefreshReplicaAsync(TeamStoreConnection store, DataDirectory replica, string? host, string? user, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        FileSecurity.CreatePrivateDirectory(replica.SessionsDirectory);
        using var refreshLock = Lock(Path.Combine(replica.Root, "replica.lock"));
        await using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await store.RequireSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        string storeId = (await TeamStoreConnection.StoreIdAsync(connection, cancellationToken).ConfigureAwait(false)).ToString();

        using var state = OpenState(replica);
        if (Meta(state, "store_id") is { } recordedStore && recordedStore != storeId)
        {
            // A different database at the same address: start over.
            state.Close();
            SqliteConnection.ClearAllPools();
            Directory.Delete(replica.Root, recursive: true);
            FileSecurity.CreatePrivateDirectory(replica.SessionsDirectory);
            state.Open();
            CreateState(state);
        }
        SetMeta(state, "store_id", storeId);
        var segments = new Dictionary<string, (long Seq, long Length)>(StringComparer.Ordinal);
        using (var read = state.CreateCommand())
        {
            read.CommandText = "SELECT file, seq, length FROM segments";
            using var r = read.ExecuteReader();
            while (r.Read()) segments[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2));
        }

        await using (var known = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS cfsession_known (session_id uuid, segment text, seq bigint); TRUNCATE cfsession_known", connection))
            await known.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var importer = await connection.BeginBinaryImportAsync("COPY cfsession_known (session_id, segment, seq) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var (file, (seq, _)) in segments)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(Guid.Parse(file[..36]), NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(Path.GetFileNameWithoutExtension(file), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        long fetched = 0;
        var touched = new Dictionary<string, (long Seq, long Length)>(StringComparer.Ordinal);
        var blobsWanted = new Dictionary<string, List<string>>(StringComparer.Ordinal); // blob name -> session ids
        string? currentFile = null;
        FileStream? output = null;
        try
        {
            await using var fetch = new NpgsqlCommand("""
                SELECT l.session_id::text, l.segment, l.seq, l.line
                FROM journal_lines l LEFT JOIN cfsession_known k ON k.session_id = l.session_id AND k.segment = l.segment
                WHERE (k.seq IS NULL OR l.seq > k.seq) AND ($1::text IS NULL OR l.host = $1) AND ($2::text IS NULL OR l.user_name = $2)
                ORDER BY l.session_id, l.segment, l.seq
                """, connection);
            fetch.Parameters.Add(new NpgsqlParameter { Value = (object?)host ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            fetch.Parameters.Add(new NpgsqlParameter { Value = (object?)user ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await fetch.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string sessionId = reader.GetString(0);
                string segment = reader.GetString(1);
                long seq = reader.GetInt64(2);
                byte[] line = reader.GetFieldValue<byte[]>(3);
                if (!DataDirectory.IsValidSessionId(sessionId) || segment.Contains('/', StringComparison.Ordinal) || segment.Contains('\\', StringComparison.Ordinal) || segment is "." or ".." || segment.Length == 0)
                    continue; // a row that names no segment file: never a path
                string file = sessionId + "/" + segment + JournalReader.SegmentExtension;
                if (file != currentFile)
                {
                    if (output is not null) { touched[currentFile!] = (touched[currentFile!].Seq, output.Length); await output.DisposeAsync().ConfigureAwait(false); }
                    currentFile = file;
                    string path = Path.Combine(replica.SessionsDirectory, sessionId, segment + JournalReader.SegmentExtension);
                    FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(path)!);
                    long recorded = segments.TryGetValue(file, out var had) ? had.Length : 0;
                    var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.Read };
                    if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    output = new FileStream(path, options);
                    output.SetLength(recorded); // a refresh cut short appended lines it never recorded
                    output.Seek(recorded, SeekOrigin.Begin);
                    touched[file] = (had.Seq, recorded);
                }
                output!.Write(line);
                output.WriteByte((byte)'\n');
                touched[file] = (seq, 0);
                fetched++;
                if (PushedLine.Read(line) is { Blobs.Count: > 0 } parsed)
                {
                    foreach (string blob in parsed.Blobs)
                    {
                        if (!blobsWanted.TryGetValue(blob, out var owners)) blobsWanted[blob] = owners = [];
                        owners.Add(sessionId);
                    }
                }
            }
            if (output is not null) touched[currentFile!] = (touched[currentFile!].Seq, output.Length);
        }
        finally
        {
            if (output is not null) await output.DisposeAsync().ConfigureAwait(false);
        }

        int blobsFetched = await FetchBlobsAsync(connection, replica, blobsWanted, cancellationToken).ConfigureAwait(false);
        using (var tx = state.BeginTransaction())
        {
            using var upsert = state.CreateCommand();
            upsert.Transaction = tx;
            upsert.CommandText = "INSERT INTO segments (file, seq, length) VALUES ($f, $s, $l) ON CONFLICT (file) DO UPDATE SET seq = excluded.seq, length = excluded.length";
            foreach (var (file, (seq, length)) in touched)
            {
                upsert.Parameters.Clear();
                upsert.Parameters.AddWithValue("$f", file);
                upsert.Parameters.AddWithValue("$s", seq);
                upsert.Parameters.AddWithValue("$l", length);
                upsert.ExecuteNonQuery();
            }
            tx.Commit();
        }
        // The replica's index catches up through its change log, as a local one does.
        foreach (string file in touched.Keys) JournalChangeLog.Append(replica.ChangeLogPath, file[..36], file[37..], durable: false);
        return new ReplicaRefresh(fetched, touched.Count, blobsFetched, started.Elapsed);
    }

    private static async Task<int> FetchBlobsAsync(NpgsqlConnection connection, DataDirectory replica, Dictionary<string, List<string>> wanted, CancellationToken cancellationToken)
    {
        var missing = wanted.Where(w => w.Value.Any(s => !File.Exists(Path.Combine(replica.BlobDirectory(s), w.Key)))).Select(w => w.Key).ToArray();
        if (missing.Length == 0) return 0;
        int fetched = 0;
        await using var cmd = new NpgsqlCommand("SELECT DISTINCT ON (name) name, content FROM journal_blobs WHERE name = ANY($1) ORDER BY name", connection);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = missing });
        await using var reader = await cmd.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string name = reader.GetString(0);
            byte[] content = reader.GetFieldValue<byte[]>(1);
            if (PushedLine.BlobName("blobs/" + name) != name || !wanted.TryGetValue(name, out var owners)) continue;
            foreach (string sessionId in owners.Distinct(StringComparer.Ordinal))
            {
                string dir = replica.BlobDirectory(sessionId);
                FileSecurity.CreatePrivateDirectory(dir);
                string path = Path.Combine(dir, name);
                if (File.Exists(path)) continue;
                string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
                await using (var file = FileSecurity.CreateNewPrivateFile(temp)) await file.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                File.Move(temp, path, overwrite: true);
            }
            fetched++;
        }
        return fetched;
    }

    private static SqliteConnection OpenState(DataDirectory replica)
    {
        string path = Path.Combine(replica.Root, StateFileName);
        if (!File.Exists(path))
        {
            try { using (FileSecurity.CreateNewPrivateFile(path)) { } } catch (IOException) when (File.Exists(path)) { }
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        CreateState(connection);
        return connection;
    }

    private static void CreateState(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            CREATE TABLE IF NOT EXISTS segments (file TEXT PRIMARY KEY, seq INTEGER NOT NULL, length INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """;
        cmd.ExecuteNonQuery();
    }

    private static string? Meta(SqliteConnection connection, string key)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = $k";
        cmd.Parameters.AddWithValue("$k", key);
        return cmd.ExecuteScalar() as string;
    }

    private static void SetMeta(SqliteConnection connection, string key, string value)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    /// <summary>One refresh of a replica at a time (a second waits for the first).</summary>
    private static FileStream Lock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
