using System.Text;
using Microsoft.Data.Sqlite;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// The local index's full-text tokenizer applied outside the index: the words (FTS5 "tokens") SQLite's
/// <c>unicode61</c> tokenizer makes of a text, in order, exactly as <c>output_fts</c> indexes them (case folded,
/// diacritics removed, every character that is not a letter, a digit or private use a separator). It runs the same
/// SQLite tokenizer on an in-memory FTS5 table and reads the words back through <c>fts5vocab</c>, so another store
/// (the team store) matches the words the local index matches without a second implementation of its rules. The one
/// rule written here is the ASCII one, for speed (most output is ASCII): <c>unicode61</c>'s words of an ASCII text are
/// its runs of ASCII letters and digits, lowercased (every other ASCII character separates); the tests check it against
/// SQLite for every ASCII character and for random text.
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

    /// <summary>
    /// For each text: its words in order joined by single spaces, and its distinct words in first-seen order (ASCII
    /// text by the ASCII rule, the rest by SQLite).
    /// </summary>
    public (string Joined, IReadOnlyList<string> Distinct)[] JoinedWords(IReadOnlyList<string> texts)
    {
        var result = new (string Joined, IReadOnlyList<string> Distinct)[texts.Count];
        var others = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            if (Ascii.IsValid(texts[i])) result[i] = AsciiWords(texts[i]);
            else others.Add(i);
        }
        if (others.Count > 0)
        {
            var words = Words(others.ConvertAll(i => texts[i]));
            for (int k = 0; k < others.Count; k++) result[others[k]] = (string.Join(' ', words[k]), words[k].Distinct(StringComparer.Ordinal).ToList());
        }
        return result;
    }

    /// <summary>The ASCII rule: runs of ASCII letters and digits, lowercased.</summary>
    internal static (string Joined, IReadOnlyList<string> Distinct) AsciiWords(string text)
    {
        char[] joined = new char[text.Length];
        int length = 0;
        var distinct = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lookup = seen.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int i = 0; i < text.Length;)
        {
            if (!char.IsAsciiLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }
            if (length > 0) joined[length++] = ' ';
            int start = length;
            for (; i < text.Length && char.IsAsciiLetterOrDigit(text[i]); i++) joined[length++] = char.IsAsciiLetterUpper(text[i]) ? (char)(text[i] | 0x20) : text[i];
            var word = joined.AsSpan(start, length - start);
            if (!lookup.Contains(word))
            {
                string w = word.ToString();
                seen.Add(w);
                distinct.Add(w);
            }
        }
        return (new string(joined, 0, length), distinct);
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
