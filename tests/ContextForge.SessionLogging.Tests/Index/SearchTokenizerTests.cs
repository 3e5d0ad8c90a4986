using ContextForge.SessionLogging.Index;

namespace ContextForge.SessionLogging.Tests.Index;

/// <summary>The local index's tokenizer outside the index: SQLite's FTS5 unicode61 words, and the ASCII rule written in C# for speed.</summary>
public sealed class SearchTokenizerTests
{
    [Fact]
    public void Words_are_the_fts5_unicode61_words_case_folded_diacritics_removed_punctuation_separating()
    {
        using var tokenizer = new SearchTokenizer();
        Assert.Equal(["first", "range", "text", "x86", "64", "system", "text", "json", "it", "s"], tokenizer.Words("first-range-text x86_64 System.Text.Json it's"));
        Assert.Equal(["cafe", "naive", "ete", "ecole"], tokenizer.Words("Caf\u00e9 NA\u00cfVE e\u0301te \u00c9cole"));
        Assert.Equal([], tokenizer.Words("--- *** ... \u00a0"));
    }

    [Fact]
    public void The_ascii_rule_gives_sqlites_words_for_every_ascii_character_and_random_ascii_text()
    {
        using var tokenizer = new SearchTokenizer();
        for (int c = 1; c < 128; c++)
        {
            foreach (string text in new[] { $"a{(char)c}b", $"{(char)c}", $"Xy{(char)c}{(char)c}Z9" })
            {
                var expected = tokenizer.Words(text);
                var (joined, distinct) = SearchTokenizer.AsciiWords(text);
                Assert.True(string.Join(' ', expected) == joined, $"U+{c:X4} in '{text}': SQLite '{string.Join(' ', expected)}', the ASCII rule '{joined}'");
                Assert.Equal(expected.Distinct(StringComparer.Ordinal), distinct);
            }
        }
        var random = new Random(77);
        var texts = Enumerable.Range(0, 200).Select(_ => new string(Enumerable.Range(0, random.Next(0, 300)).Select(_ => (char)random.Next(1, 128)).ToArray())).ToList();
        var words = tokenizer.Words(texts);
        var cut = tokenizer.JoinedWords(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(string.Join(' ', words[i]), cut[i].Joined);
            Assert.Equal(words[i].Distinct(StringComparer.Ordinal), cut[i].Distinct);
        }
    }

    [Fact]
    public void Joined_words_of_non_ascii_text_come_from_sqlite_in_order_with_each_distinct_word_once()
    {
        using var tokenizer = new SearchTokenizer();
        var cut = tokenizer.JoinedWords(["Stra\u00dfe stra\u00dfe \u0130stanbul", "plain ASCII plain", ""]);
        Assert.Equal("stra\u00dfe stra\u00dfe istanbul", cut[0].Joined);
        Assert.Equal(["stra\u00dfe", "istanbul"], cut[0].Distinct);
        Assert.Equal("plain ascii plain", cut[1].Joined);
        Assert.Equal(["plain", "ascii"], cut[1].Distinct);
        Assert.Equal("", cut[2].Joined);
        Assert.Empty(cut[2].Distinct);
    }
}
