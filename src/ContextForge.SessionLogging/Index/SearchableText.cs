using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// The one step that turns a capture's stored output into the text the index searches (the FTS5 table keeps only its
/// terms, not the text). Today: each stream's first <see cref="IndexedBytesPerStream"/> bytes, decoded leniently,
/// ANSI stripped, CRLF normalised, streams joined by a newline. A renderer of what the screen showed plugs in here.
/// </summary>
internal static class SearchableText
{
    /// <summary>Output text indexed for search, per stream: the first 1 MiB (of a larger blob, the rest is not searchable).</summary>
    public const int IndexedBytesPerStream = 1 << 20;

    /// <summary>The searchable text of a capture whose fields are <paramref name="fields"/> (inline output included); empty when it has none.</summary>
    public static string Of(JsonObject fields, string sessionDirectory)
    {
        var text = new StringBuilder();
        foreach (var stream in StoredOutput.Of(fields, sessionDirectory))
        {
            if (text.Length > 0) text.Append('\n');
            text.Append(Of(stream));
        }
        return text.ToString();
    }

    /// <summary>
    /// The searchable text of one stored stream: what the index holds the terms of, and what <c>search</c> shows its
    /// matching lines from (so a hit's line numbers count lines of this text).
    /// </summary>
    public static string Of(StoredOutput stream) => stream.ReadPlainPrefix(IndexedBytesPerStream);

    /// <summary>
    /// The lines of <see cref="Of(StoredOutput)"/> (split at <c>\n</c>, a final newline ending the last line), read and
    /// rendered only as far as the caller reads them: what <c>search</c> shows matching lines from.
    /// </summary>
    public static IEnumerable<string> LinesOf(StoredOutput stream) => TerminalRenderer.Lines(stream.ReadPrefixPieces(IndexedBytesPerStream));
}
