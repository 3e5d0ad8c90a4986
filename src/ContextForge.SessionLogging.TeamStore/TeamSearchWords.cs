using System.Text;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// Search on the team store as the local index searches (schema 3): a capture's searchable text is cut into the local
/// tokenizer's words at sync time (<see cref="Index.SearchTokenizer"/>), kept in order as <c>search_tokens</c> (the
/// words joined by single spaces) and as a <c>tsvector</c> of its distinct words, <c>search_words</c>, with a GIN
/// index (built by <c>array_to_tsvector</c>: PostgreSQL's parser and dictionaries never see the text). A query's
/// terms are cut by the same tokenizer on the client: every word of every term must be in <c>search_words</c> (the
/// index), and a term of several words must occur as that phrase in <c>search_tokens</c> (consecutive words, as the
/// FTS5 phrase the local index matches); a term with no word matches nothing, as there.
/// </summary>
internal static class TeamSearchWords
{
    /// <summary>A lexeme is shorter than 2 KiB in PostgreSQL: a longer word is found through <c>search_tokens</c> only.</summary>
    public const int MaxLexemeBytes = 2047;

    /// <summary>A tsvector holds at most 1 MiB of lexemes: a capture's distinct words past about this many bytes are not indexed.</summary>
    public const int MaxLexemeVectorBytes = 1_000_000;

    /// <summary>The lexemes of <c>search_words</c> (the <c>search_tokens</c> column is the words joined by single spaces): each distinct word once, in first-seen order, while they fit a tsvector.</summary>
    public static string[] Lexemes(IReadOnlyList<string> words)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lexemes = new List<string>();
        long bytes = 0;
        foreach (string word in words)
        {
            if (!seen.Add(word)) continue;
            int length = Encoding.UTF8.GetByteCount(word);
            if (length > MaxLexemeBytes) continue;
            bytes += length + 4;
            if (bytes > MaxLexemeVectorBytes) break;
            lexemes.Add(word);
        }
        return [.. lexemes];
    }

    /// <summary>
    /// The SQL condition for the search terms (each already cut into words), its parameters added by <paramref name="parameter"/>:
    /// null when a term has no word (nothing matches).
    /// </summary>
    public static string? Condition(IReadOnlyList<IReadOnlyList<string>> terms, string wordsColumn, string tokensColumn, Func<string, string> parameter)
    {
        if (terms.Count == 0 || terms.Any(t => t.Count == 0)) return null;
        var conditions = new List<string>();
        var indexed = terms.SelectMany(t => t).Distinct(StringComparer.Ordinal).Where(w => Encoding.UTF8.GetByteCount(w) <= MaxLexemeBytes).ToList();
        if (indexed.Count > 0)
            conditions.Add($"{wordsColumn} @@ {parameter(string.Join(" & ", indexed.Select(Lexeme)))}::tsquery");
        foreach (var term in terms)
        {
            if (term.Count == 1 && Encoding.UTF8.GetByteCount(term[0]) <= MaxLexemeBytes) continue;
            conditions.Add($"(' ' || {tokensColumn} || ' ') LIKE {parameter("% " + EscapeLike(string.Join(' ', term)) + " %")}");
        }
        return string.Join(" AND ", conditions);
    }

    /// <summary>A word as a tsquery lexeme: quoted, a quote doubled and a backslash escaped (the tokenizer's words hold neither, but input is never trusted).</summary>
    private static string Lexeme(string word) => "'" + word.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
