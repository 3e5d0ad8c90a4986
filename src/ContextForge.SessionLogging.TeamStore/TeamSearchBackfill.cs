using ContextForge.SessionLogging.Index;
using Npgsql;
using NpgsqlTypes;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// The data step of migration 3: every line already on the server with searchable text gets its words
/// (<see cref="TeamSearchWords"/>), cut on the client by the local index's tokenizer (the server cannot run it). One
/// pass over the rows with a cursor, in pages: the words of a page go in by binary COPY into a temporary table and one
/// <c>UPDATE … FROM</c>, in the migration's transaction (the schema version is recorded only when every row has them).
/// </summary>
internal static class TeamSearchBackfill
{
    /// <summary>The migration this step belongs to.</summary>
    public const int Version = 3;

    private const int PageRows = 2000;

    /// <summary>Cuts the words of every row that has search text and no words yet; returns how many rows it updated.</summary>
    public static async Task<long> RunAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await Execute(connection, tx, """
            CREATE TEMP TABLE cfsession_backfill_words (session_id uuid, segment text, seq bigint, ts timestamptz, search_tokens text, search_words text[]) ON COMMIT DROP;
            DECLARE cfsession_backfill NO SCROLL CURSOR FOR
                SELECT session_id, segment, seq, ts, search_text FROM journal_lines WHERE search_text IS NOT NULL AND search_tokens IS NULL;
            """, cancellationToken).ConfigureAwait(false);
        using var tokenizer = new SearchTokenizer();
        long updated = 0;
        while (true)
        {
            var keys = new List<(Guid Session, string Segment, long Seq, DateTime Ts)>();
            var texts = new List<string>();
            await using (var fetch = new NpgsqlCommand($"FETCH {PageRows} FROM cfsession_backfill", connection, tx))
            await using (var reader = await fetch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    keys.Add((reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<DateTime>(3)));
                    texts.Add(reader.GetString(4));
                }
            }
            if (keys.Count == 0) break;
            var words = tokenizer.JoinedWords(texts);
            await using (var importer = await connection.BeginBinaryImportAsync("COPY cfsession_backfill_words FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false))
            {
                for (int i = 0; i < keys.Count; i++)
                {
                    await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(keys[i].Session, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(keys[i].Segment, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(keys[i].Seq, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(keys[i].Ts, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(words[i].Joined, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(TeamSearchWords.Lexemes(words[i].Distinct), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }
                await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            await using (var update = new NpgsqlCommand("""
                UPDATE journal_lines l SET search_tokens = b.search_tokens, search_words = array_to_tsvector(b.search_words)
                FROM cfsession_backfill_words b WHERE l.session_id = b.session_id AND l.segment = b.segment AND l.seq = b.seq AND l.ts = b.ts;
                TRUNCATE cfsession_backfill_words;
                """, connection, tx))
            {
                updated += await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await Execute(connection, tx, "CLOSE cfsession_backfill; DROP TABLE cfsession_backfill_words;", cancellationToken).ConfigureAwait(false);
        return updated;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
