using System.Globalization;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using Npgsql;
using NpgsqlTypes;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>How sync sends rows: binary COPY into a staging table then one INSERT … ON CONFLICT DO NOTHING (the default), or batched INSERTs (the benchmark's baseline).</summary>
internal enum SyncMethod
{
    Copy,
    Insert,
}

/// <summary>What a sync pushes and how.</summary>
internal sealed record SyncOptions
{
    /// <summary>The team every pushed row is stored with.</summary>
    public required string Team { get; init; }

    /// <summary>At most this many lines per batch (one server transaction).</summary>
    public int BatchLines { get; init; } = 5000;

    /// <summary>At most about this many bytes (lines and blobs) per batch.</summary>
    public long BatchBytes { get; init; } = 16L << 20;

    public SyncMethod Method { get; init; } = SyncMethod.Copy;

    /// <summary>Forget the local state and send every line again (the server keeps one copy): after the server was restored from a backup.</summary>
    public bool Full { get; init; }
}

/// <summary>What one sync did.</summary>
internal sealed record SyncResult(long LinesSent, long LinesInserted, long BlobsSent, long BlobBytesSent, int SegmentsRead, long UnreadableLines, int Batches, TimeSpan Elapsed);

/// <summary>What is not yet on the server (from the local state alone: no connection needed).</summary>
internal sealed record PendingSummary(int Segments, int Sessions, long Bytes, StoreSyncRecord Store);

/// <summary>
/// <c>cfsession sync</c>: pushes every complete journal line (and every blob a line refers to) not yet on the team
/// store. Which segments to look at comes from the change log (<c>journal-changes.log</c>) since the last sync, plus
/// segments whose session has not ended; the first sync lists every session directory. Each segment is read from the
/// byte offset pushed last time. Rows go in bounded batches, each one server transaction: binary COPY into a
/// temporary staging table, then <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> into the partitioned table (unique on
/// session, segment, seq and ts), so a batch sent twice (a sync killed after the commit, two syncs at once) adds
/// nothing. The local state advances only after a commit. The journals stay the source of truth.
/// </summary>
internal sealed partial class JournalSync(DataDirectory data, TeamStoreConnection store, SyncOptions options)
{
    private const string LineColumns = "team, host, user_name, session_id, segment, seq, ts, event, operation_name, search_text, line, "
        + "ts_ticks, line_number, level, keywords, operation_id, cwd, exit_code, failed, achievement_type, activity_id, start_ticks, fields, writer_provenance";

    /// <summary>The search words (schema 3): the staging table holds the distinct words as text[], the line's row their tsvector.</summary>
    private const string WordColumns = "search_tokens, search_words";

    /// <summary>The query columns a line pushed again fills when it lacks them (it was pushed before schema 2).</summary>
    private const string FillQueryColumns = """
        ON CONFLICT (session_id, segment, seq, ts) DO UPDATE SET operation_name = excluded.operation_name, search_text = excluded.search_text,
            ts_ticks = excluded.ts_ticks, line_number = excluded.line_number, level = excluded.level, keywords = excluded.keywords,
            operation_id = excluded.operation_id, cwd = excluded.cwd, exit_code = excluded.exit_code, failed = excluded.failed,
            achievement_type = excluded.achievement_type, activity_id = excluded.activity_id, start_ticks = excluded.start_ticks,
            fields = excluded.fields, writer_provenance = excluded.writer_provenance, search_tokens = excluded.search_tokens, search_words = excluded.search_words
        WHERE journal_lines.ts_ticks IS NULL
        """;
    private readonly HashSet<DateOnly> _ensuredMonths = [];

    /// <summary>A team name: lowercase letters, digits and underscores, at most 48 (it names the role cfsession_team_&lt;team&gt;).</summary>
    [GeneratedRegex("^[a-z0-9_]{1,48}$")]
    private static partial Regex TeamName();

    public static bool IsValidTeam(string team) => TeamName().IsMatch(team);

    /// <summary>The local state's key for a store and team.</summary>
    public static string StateKey(TeamStoreAddress address, string team) => address.Key + "#" + team;

    /// <summary>What is pending for the store named by <paramref name="stateKey"/>, from the journals and the local state.</summary>
    public static PendingSummary Pending(DataDirectory data, string stateKey)
    {
        using var state = SyncState.Open(data, stateKey);
        var record = state.Store();
        var pushed = state.Segments();
        var (files, _) = Candidates(data, record, pushed);
        int segments = 0;
        long bytes = 0;
        var sessions = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            var info = new FileInfo(Path.Combine(data.SessionsDirectory, file));
            if (!info.Exists) continue;
            long from = pushed.TryGetValue(file, out var p) && p.Offset <= info.Length ? p.Offset : 0;
            if (info.Length <= from) continue;
            segments++;
            bytes += info.Length - from;
            sessions.Add(file[..36]);
        }
        return new PendingSummary(segments, sessions.Count, bytes, record);
    }

    /// <summary>Pushes what is pending. Failures come out as the exceptions <see cref="TeamStoreConnection.Translate"/> makes.</summary>
    public async Task<SyncResult> PushAsync(CancellationToken cancellationToken = default)
    {
        if (!IsValidTeam(options.Team)) throw new TeamStoreConfigurationException($"team '{Events.PrintableText.Escape(options.Team)}' is not a team name (lowercase letters, digits, _; at most 48)");
        using var state = SyncState.Open(data, StateKey(store.Address, options.Team));
        try
        {
            return await PushAsync(state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (store.Translate(ex) is { } translated)
        {
            state.Failed(translated.Message, DateTimeOffset.UtcNow);
            throw translated;
        }
        catch (Exception ex) when (ex is TeamStoreUnavailableException or TeamStorePermissionException or TeamStoreSchemaException or TeamStoreConfigurationException)
        {
            state.Failed(ex.Message, DateTimeOffset.UtcNow);
            throw;
        }
    }

    private async Task<SyncResult> PushAsync(SyncState state, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = await store.OpenAsync(cancellationToken).ConfigureAwait(false);
        await store.RequireSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        var storeId = await TeamStoreConnection.StoreIdAsync(connection, cancellationToken).ConfigureAwait(false);
        var record = state.Store();
        if (record.StoreId != storeId.ToString() || options.Full)
        {
            state.ResetFor(storeId);
            record = state.Store();
        }
        await using (var staging = new NpgsqlCommand("""
            CREATE TEMP TABLE IF NOT EXISTS cfsession_staging_lines (team text, host text, user_name text, session_id uuid, segment text,
                seq bigint, ts timestamptz, event text, operation_name text, search_text text, line bytea,
                ts_ticks bigint, line_number bigint, level integer, keywords bigint, operation_id text, cwd text, exit_code bigint, failed boolean,
                achievement_type text, activity_id uuid, start_ticks bigint, fields json, writer_provenance json,
                search_tokens text, search_words text[]) ON COMMIT DELETE ROWS;
            CREATE TEMP TABLE IF NOT EXISTS cfsession_staging_blobs (team text, name text, content bytea) ON COMMIT DELETE ROWS;
            """, connection))
        {
            await staging.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var pushed = state.Segments();
        var (files, logConsumed) = Candidates(data, record, pushed);
        var batch = new Batch();
        long sent = 0, inserted = 0, blobs = 0, blobBytes = 0, unreadable = 0;
        int segmentsRead = 0, batches = 0;

        // One batch is on its way to the server (words cut, blobs read, COPY, commit) while the next one is read and
        // parsed here: the client's work and the server's overlap. A batch's progress is recorded after its commit, in order.
        Task? inFlight = null;
        async Task Landed()
        {
            if (inFlight is null) return;
            var landing = inFlight;
            inFlight = null;
            await landing.ConfigureAwait(false);
        }
        async Task Flush(bool last)
        {
            await Landed().ConfigureAwait(false);
            if (batch.Progress.Count > 0)
            {
                var sending = batch;
                batch = new Batch();
                inFlight = Task.Run(async () =>
                {
                    if (sending.Rows.Count > 0)
                    {
                        var (rows, newBlobs, newBlobBytes) = await SendAsync(connection, sending, cancellationToken).ConfigureAwait(false);
                        sent += sending.Rows.Count;
                        inserted += rows;
                        blobs += newBlobs;
                        blobBytes += newBlobBytes;
                        batches++;
                    }
                    state.Record(sending.Progress.Values);
                }, cancellationToken);
            }
            if (last) await Landed().ConfigureAwait(false);
        }

        try
        {
            await ReadAll().ConfigureAwait(false);
        }
        catch when (inFlight is not null)
        {
            // The batch on its way ends (committed or not) before the connection closes; the first failure is the one reported.
            try { await inFlight.ConfigureAwait(false); } catch (Exception) { }
            throw;
        }
        state.Completed(logConsumed, DateTimeOffset.UtcNow);
        return new SyncResult(sent, inserted, blobs, blobBytes, segmentsRead, unreadable, batches, started.Elapsed);

        async Task ReadAll()
        {
            foreach (string file in files.Order(StringComparer.Ordinal))
            {
                string path = Path.Combine(data.SessionsDirectory, file);
                FileStream stream;
                try
                {
                    stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    continue; // gone (pruned) or unreadable: validate reports it; the next sync looks again
                }
                using (stream)
                {
                    pushed.TryGetValue(file, out var previous);
                    if (previous is not null && stream.Length == previous.Offset) continue;
                    if (previous is not null && stream.Length < previous.Offset) previous = null; // replaced: the server drops what it has
                    segmentsRead++;
                    string sessionId = file[..36];
                    string segment = Path.GetFileNameWithoutExtension(file);
                    string sessionDirectory = data.SessionDirectory(sessionId);
                    var (host, user) = previous is not null ? (previous.Host, previous.User) : Identity(stream);
                    long offset = previous?.Offset ?? 0, lines = previous?.Lines ?? 0;
                    bool ended = previous?.Ended ?? false;
                    var context = QueryColumns.ContextAt(stream, segment, offset);
                    stream.Seek(offset, SeekOrigin.Begin);
                    foreach (var (line, complete, oversized) in JournalReader.ReadLines(stream, InputLimits.MaxJournalLineBytes))
                    {
                        if (!complete) break; // a torn tail waits until it is complete
                        lines++;
                        if (oversized > 0)
                        {
                            unreadable++;
                            offset += oversized + 1;
                        }
                        else
                        {
                            offset += line.Length + 1;
                            if (line.Length > 0 && PushedLine.Read(line.Span) is { } parsed)
                            {
                                byte[] bytes = line.ToArray();
                                var columns = QueryColumns.Of(line.Span, lines, parsed.Timestamp, context, sessionDirectory);
                                batch.Rows.Add(new Row(sessionId, segment, host, user, parsed, bytes, columns));
                                batch.Bytes += bytes.Length + (columns.Fields?.Length ?? 0) + (columns.SearchText?.Length ?? 0);
                                ended |= parsed.Event == "SessionEnd";
                                foreach (string blob in parsed.Blobs)
                                {
                                    string blobPath = Path.Combine(sessionDirectory, "blobs", blob);
                                    if (batch.Blobs.ContainsKey(blob) || !File.Exists(blobPath)) continue;
                                    batch.Blobs[blob] = new BlobSource(blobPath, 0, -1);
                                    batch.Bytes += new FileInfo(blobPath).Length;
                                }
                                // A shell command's output is a range of the shell's stream file: pushed as its own blob.
                                if (parsed.Range is { } range && !batch.Blobs.ContainsKey(range.Name))
                                {
                                    string streamPath = Capture.BlobStore.StreamPath(sessionDirectory, range.Stream);
                                    if (Capture.BlobStore.StreamExists(streamPath))
                                    {
                                        batch.Blobs[range.Name] = new BlobSource(streamPath, range.Offset, range.Length);
                                        batch.Bytes += range.Length;
                                    }
                                }
                            }
                            else if (line.Length > 0)
                            {
                                unreadable++;
                            }
                        }
                        batch.Progress[file] = new PushedSegment(file, offset, lines, ended, host, user);
                        if (batch.Rows.Count >= options.BatchLines || batch.Bytes >= options.BatchBytes) await Flush(last: false).ConfigureAwait(false);
                    }
                }
            }
            await Flush(last: true).ConfigureAwait(false);
        }
    }

    /// <summary>Where a pushed blob's bytes are: a whole blob file (<paramref name="Length"/> -1), or a range of a shell's stream file.</summary>
    private sealed record BlobSource(string Path, long Offset, long Length)
    {
        /// <summary>The bytes; null when the stream is shorter than the range (not pushed, retried next sync).</summary>
        public async Task<byte[]?> ReadAsync(CancellationToken cancellationToken)
        {
            if (Length < 0) return await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
            if (Length > Array.MaxLength) return null;
            // The shell's stream file, raw or recompacted (Capture.BlobStore.OpenStreamRange reads either).
            await using var range = Capture.BlobStore.OpenStreamRange(Path, Offset, Length);
            byte[] bytes = new byte[Length];
            int read = await range.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return read < bytes.Length ? null : bytes;
        }
    }

    private sealed record Row(string SessionId, string Segment, string Host, string User, PushedLine Line, byte[] Bytes, QueryColumns Columns)
    {
        /// <summary>The capture's searchable text (a line pushed without query columns: the text its own fields hold).</summary>
        public string? SearchText => Columns.Fields is null ? Line.SearchText : Columns.SearchText;

        /// <summary>The local tokenizer's words of <see cref="SearchText"/>: joined in order, and distinct (set before the batch is sent; null without text).</summary>
        public (string Joined, IReadOnlyList<string> Distinct)? Words { get; set; }
    }

    private sealed class Batch
    {
        public List<Row> Rows { get; } = [];
        public Dictionary<string, BlobSource> Blobs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, PushedSegment> Progress { get; } = new(StringComparer.Ordinal);
        public long Bytes { get; set; }
    }

    /// <summary>One batch in one transaction: blobs the server lacks, then the lines. Returns (lines inserted, blobs sent, blob bytes sent).</summary>
    private async Task<(long Rows, long Blobs, long BlobBytes)> SendAsync(NpgsqlConnection connection, Batch batch, CancellationToken cancellationToken)
    {
        foreach (var month in batch.Rows.Select(r => new DateOnly(r.Line.Timestamp.Year, r.Line.Timestamp.Month, 1)).Distinct())
        {
            if (_ensuredMonths.Contains(month)) continue;
            await using var ensure = new NpgsqlCommand("SELECT cfsession_ensure_month($1::date)", connection);
            ensure.Parameters.Add(new NpgsqlParameter<string> { TypedValue = month.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) });
            await ensure.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _ensuredMonths.Add(month);
        }
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long blobsSent = 0, blobBytes = 0;
        if (batch.Blobs.Count > 0)
        {
            var missing = new HashSet<string>(batch.Blobs.Keys, StringComparer.Ordinal);
            await using (var have = new NpgsqlCommand("SELECT name FROM journal_blobs WHERE team = $1 AND name = ANY($2)", connection, tx))
            {
                have.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Team });
                have.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. batch.Blobs.Keys] });
                await using var reader = await have.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) missing.Remove(reader.GetString(0));
            }
            if (missing.Count > 0)
            {
                await using (var importer = await connection.BeginBinaryImportAsync("COPY cfsession_staging_blobs (team, name, content) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
                {
                    foreach (string name in missing.Order(StringComparer.Ordinal))
                    {
                        byte[]? content;
                        try { content = await batch.Blobs[name].ReadAsync(cancellationToken).ConfigureAwait(false); }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                        if (content is null) continue;
                        await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(options.Team, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        await importer.WriteAsync(content, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
                        blobBytes += content.Length;
                    }
                    await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                }
                await using var move = new NpgsqlCommand("INSERT INTO journal_blobs (team, name, content) SELECT team, name, content FROM cfsession_staging_blobs ON CONFLICT DO NOTHING", connection, tx);
                blobsSent = await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        CutWords(batch.Rows);
        long inserted = options.Method == SyncMethod.Copy
            ? await CopyLinesAsync(connection, tx, batch.Rows, cancellationToken).ConfigureAwait(false)
            : await InsertLinesAsync(connection, tx, batch.Rows, cancellationToken).ConfigureAwait(false);
        await TeamSessionRows.RecomputeAsync(connection, tx, options.Team, batch.Rows.Select(r => Guid.Parse(r.SessionId)).Distinct().ToArray(), cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (inserted, blobsSent, blobBytes);
    }

    /// <summary>Cuts every row's searchable text into the local index's words, one tokenizer pass for the batch.</summary>
    private static void CutWords(List<Row> rows)
    {
        var withText = rows.Where(r => r.SearchText is not null).ToList();
        if (withText.Count == 0) return;
        using var tokenizer = new Index.SearchTokenizer();
        var words = tokenizer.JoinedWords(withText.ConvertAll(r => r.SearchText!));
        for (int i = 0; i < withText.Count; i++) withText[i].Words = words[i];
    }

    private async Task<long> CopyLinesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Row> rows, CancellationToken cancellationToken)
    {
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY cfsession_staging_lines ({LineColumns}, {WordColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
        {
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(options.Team, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Host, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.User, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(Guid.Parse(row.SessionId), NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Segment, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Line.Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Line.Timestamp, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(row.Line.Event, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, row.Columns.OperationName ?? row.Line.OperationName, cancellationToken).ConfigureAwait(false);
                await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false); // search_text: its words are what is kept (schema 3)
                await importer.WriteAsync(row.Bytes, NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
                var c = row.Columns;
                await importer.WriteAsync(c.TsTicks, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(c.LineNumber, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.Level, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.Keywords, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.OperationId, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.Cwd, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.ExitCode, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.Failed, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.AchievementType, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.ActivityId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.StartTicks, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.Fields, NpgsqlDbType.Json, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, c.WriterProvenance, NpgsqlDbType.Json, cancellationToken).ConfigureAwait(false);
                await WriteNullable(importer, row.Words?.Joined, cancellationToken).ConfigureAwait(false);
                if (row.Words is { } words) await importer.WriteAsync(TeamSearchWords.Lexemes(words.Distinct), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                else await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
            }
            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var move = new NpgsqlCommand($"INSERT INTO journal_lines ({LineColumns}, {WordColumns}) SELECT {LineColumns}, search_tokens, array_to_tsvector(search_words) FROM cfsession_staging_lines {FillQueryColumns}", connection, tx);
        return await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
    {
        if (value is null) await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
        else await importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
    {
        if (value is null) await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
        else await importer.WriteAsync(value, type, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteNullable<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : struct
    {
        if (value is { } v) await importer.WriteAsync(v, type, cancellationToken).ConfigureAwait(false);
        else await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The baseline the benchmark compares COPY against: one parameterised INSERT per line, sent as one batch.</summary>
    private async Task<long> InsertLinesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<Row> rows, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var row in rows)
        {
            var cmd = new NpgsqlBatchCommand($"INSERT INTO journal_lines ({LineColumns}, {WordColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, array_to_tsvector($26)) {FillQueryColumns}");
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = options.Team });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Host });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.User });
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.Parse(row.SessionId) });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Segment });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.Line.Seq });
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = row.Line.Timestamp, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Line.Event });
            var c = row.Columns;
            cmd.Parameters.Add(Nullable(c.OperationName ?? row.Line.OperationName, NpgsqlDbType.Text));
            cmd.Parameters.Add(Nullable(null, NpgsqlDbType.Text)); // search_text: its words are what is kept (schema 3)
            cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = row.Bytes });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.TsTicks });
            cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = c.LineNumber });
            cmd.Parameters.Add(Nullable(c.Level, NpgsqlDbType.Integer));
            cmd.Parameters.Add(Nullable(c.Keywords, NpgsqlDbType.Bigint));
            cmd.Parameters.Add(Nullable(c.OperationId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Nullable(c.Cwd, NpgsqlDbType.Text));
            cmd.Parameters.Add(Nullable(c.ExitCode, NpgsqlDbType.Bigint));
            cmd.Parameters.Add(Nullable(c.Failed, NpgsqlDbType.Boolean));
            cmd.Parameters.Add(Nullable(c.AchievementType, NpgsqlDbType.Text));
            cmd.Parameters.Add(Nullable(c.ActivityId, NpgsqlDbType.Uuid));
            cmd.Parameters.Add(Nullable(c.StartTicks, NpgsqlDbType.Bigint));
            cmd.Parameters.Add(Nullable(c.Fields, NpgsqlDbType.Json));
            cmd.Parameters.Add(Nullable(c.WriterProvenance, NpgsqlDbType.Json));
            cmd.Parameters.Add(Nullable(row.Words?.Joined, NpgsqlDbType.Text));
            cmd.Parameters.Add(Nullable(row.Words is { } words ? TeamSearchWords.Lexemes(words.Distinct) : null, NpgsqlDbType.Array | NpgsqlDbType.Text));
            batch.BatchCommands.Add(cmd);
        }
        return await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    /// <summary>host and user of a segment: from its first line's provenance (a Writer line, or a format-1 event).</summary>
    private static (string Host, string User) Identity(FileStream stream)
    {
        stream.Seek(0, SeekOrigin.Begin);
        foreach (var (line, complete, oversized) in JournalReader.ReadLines(stream, InputLimits.MaxJournalLineBytes))
        {
            if (!complete || oversized > 0) break;
            if (PushedLine.Read(line.Span) is { } first) return (first.Host ?? "", first.User ?? "");
            break;
        }
        return ("", "");
    }

    /// <summary>
    /// The segments (<c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c>) to look at: every one on disk the first time (or when the
    /// change log cannot be used); else those the change log names since the last sync and those whose session has
    /// not ended. Returns how far the change log was read.
    /// </summary>
    private static (HashSet<string> Files, long ChangeLogOffset) Candidates(DataDirectory data, StoreSyncRecord record, Dictionary<string, PushedSegment> pushed)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        string log = data.ChangeLogPath;
        long logLength = JournalChangeLog.IsSupported && File.Exists(log) ? new FileInfo(log).Length : 0;
        bool list = !record.Listed || !JournalChangeLog.IsSupported || logLength < record.ChangeLogOffset;
        long consumed = logLength;
        if (!list)
        {
            var records = JournalChangeLog.ReadRecords(log, record.ChangeLogOffset, logLength);
            files.UnionWith(records.Segments);
            consumed = records.Consumed;
            list = records.Problem is not null;
        }
        if (list)
        {
            consumed = logLength;
            if (Directory.Exists(data.SessionsDirectory))
            {
                foreach (string dir in Directory.EnumerateDirectories(data.SessionsDirectory))
                {
                    string id = Path.GetFileName(dir);
                    if (!DataDirectory.IsValidSessionId(id)) continue;
                    foreach (string segment in Directory.EnumerateFiles(dir, "*" + JournalReader.SegmentExtension))
                        files.Add(id + "/" + Path.GetFileName(segment));
                }
            }
        }
        foreach (var segment in pushed.Values)
        {
            if (!segment.Ended) files.Add(segment.File);
        }
        return (files, consumed);
    }
}
