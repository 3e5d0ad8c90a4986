using System.Text;
using ContextForge.SessionLogging.Redaction;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>The scan's keyword comparison gives the answer of <c>StartsWith(keyword, OrdinalIgnoreCase)</c>.</summary>
public sealed class AsciiKeywordTests
{
    [Fact]
    public void Ordinal_ignore_case_folds_no_character_outside_ascii_onto_an_ascii_character()
    {
        // AsciiKeyword folds only 'A'-'Z' onto 'a'-'z'. That is exact only if no other UTF-16 unit equals an ASCII
        // character under OrdinalIgnoreCase (the Kelvin sign, dotless i and long s are the usual suspects).
        var mismatches = new List<string>();
        for (int c = 0; c <= char.MaxValue; c++)
        {
            string other = ((char)c).ToString();
            for (int k = 0; k < 128; k++)
            {
                bool expected = c == k || (char.IsAsciiLetter((char)k) && c == (k ^ 0x20));
                if (string.Equals(other, ((char)k).ToString(), StringComparison.OrdinalIgnoreCase) != expected) mismatches.Add($"U+{c:X4} vs U+{k:X4}");
            }
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void A_keyword_is_found_where_starts_with_ignoring_case_finds_it_and_nowhere_else()
    {
        // Every built-in keyword, at every position of a text holding it in several cases, near and at the text's end
        // (where the comparison reads one character at a time), next to look-alikes that differ in one character.
        var keywords = BuiltInRules.All.SelectMany(r => r.Keywords).Concat(BuiltInRules.WordNeedles).Distinct().ToList();
        var random = new Random(7);
        int found = 0;
        foreach (string k in keywords)
        {
            var keyword = new AsciiKeyword(k);
            var text = new StringBuilder();
            text.Append(k).Append(' ').Append(k.ToUpperInvariant()).Append(k.ToLowerInvariant()).Append('\u212A');
            for (int i = 0; i < k.Length; i++)
            {
                char[] near = k.ToCharArray();
                near[i] = (char)(near[i] ^ (random.Next(2) == 0 ? 0x20 : 0x01)); // a case flip (still a match for a letter) or another character
                text.Append(near).Append('\u0131');
            }
            text.Append(k[..^1]);
            string s = text.ToString() + k;
            // The same text as captured bytes (Latin-1, one byte per character): the two characters above U+00FF replaced.
            string latin1 = s.Replace('\u212A', '\u00C5').Replace('\u0131', '\u00FF');
            byte[] bytes = Encoding.Latin1.GetBytes(latin1);
            for (int at = 0; at <= s.Length; at++)
            {
                bool expected = s.AsSpan(at).StartsWith(k, StringComparison.OrdinalIgnoreCase);
                Assert.True(expected == keyword.IsAt(s, at), $"'{k}' at {at} of '{s}': expected {expected}");
                bool expectedInBytes = latin1.AsSpan(at).StartsWith(k, StringComparison.OrdinalIgnoreCase);
                Assert.True(expectedInBytes == keyword.IsAt(bytes, at), $"'{k}' at {at} of the bytes: expected {expectedInBytes}");
                if (expected) found++;
            }
        }
        Assert.True(found > keywords.Count * 3, $"{found} matches");
    }
}
