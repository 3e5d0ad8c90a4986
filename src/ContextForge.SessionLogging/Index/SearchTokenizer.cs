using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// The local index's full-text tokenizer applied outside the index: the words (FTS5 "tokens") SQLite's
/// <c>unicode61</c> tokenizer makes of a text, in order, exactly as <c>output_fts</c> indexes them (case folded,
/// diacritics removed, every character that is not a letter, a digit or private use a separator). It runs the same
/// SQLite tokenizer on an in-memory FTS5 table and reads the words back through <c>fts5vocab</c>, so another store
/// (the team store) matches the words the local index matches without a second implementation of its rules.
/// </summary>
internal sealed class SearchTokenizer : IDisposable
{
    /// <summary>The tokenizer <c>output_fts</c> is created with (<see cref="IndexMigrations"/>); the two must stay the same.</summary>
    public const string Tokenize = "unicode61";

    private readonly SqliteConnection _connection;

    public SearchTokenizer()
    {
        _connection = new SqliteConnection("Data Source=:memory:;Pooling=False");
        _connection.Open();
        using var create = _connection.CreateCommand();
        create.CommandText = $"""
            CREATE VIRTUAL TABLE texts USING fts5(text, content='', tokenize='{Tokenize}');
            CREATE VIRTUAL TABLE words USING fts5vocab(texts, instance);
            """;
        create.ExecuteNonQuery();
    }

    /// <summary>The words of <paramref name="text"/>, in order (a word occurring twice is listed twice).</summary>
    public IReadOnlyList<string> Words(string text) => Words([text])[0];

    /// <summary>The words of each text, in order: one list per text, in the order given.</summary>
    public IReadOnlyList<string>[] Words(IReadOnlyList<string> texts)
    {
        var result = new List<(long Offset, string Word)>[texts.Count];
        for (int i = 0; i < texts.Count; i++) result[i] = [];
        using var tx = _connection.BeginTransaction();
        using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO texts (rowid, text) VALUES ($id, $text)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var value = insert.Parameters.Add("$text", SqliteType.Text);
            for (int i = 0; i < texts.Count; i++)
            {
                if (texts[i].Length == 0) continue;
                id.Value = i + 1L;
                value.Value = texts[i];
                insert.ExecuteNonQuery();
            }
        }
        using (var read = _connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT doc, offset, term FROM words";
            using var r = read.ExecuteReader();
            while (r.Read()) result[r.GetInt64(0) - 1].Add((r.GetInt64(1), r.GetString(2)));
        }
        using (var clear = _connection.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "INSERT INTO texts (texts) VALUES ('delete-all')";
            clear.ExecuteNonQuery();
        }
        tx.Commit();
        var words = new IReadOnlyList<string>[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            var list = result[i];
            list.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            words[i] = list.ConvertAll(w => w.Word);
        }
        return words;
    }

    public void Dispose() => _connection.Dispose();
}
