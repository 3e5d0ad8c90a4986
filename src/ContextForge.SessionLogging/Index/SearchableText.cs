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

    /// <summary>
    /// The searchable text of a capture whose fields are <paramref name="fields"/> (inline output included); empty when
    /// it has none. A <c>cfsession shell</c>'s whole stream is not searchable text: its commands are ranges of it, and a
    /// hit is each command's, once (the prompts and typed input between them are not any command's output).
    /// </summary>
    public static string Of(JsonObject fields, string sessionDirectory)
    {
        var text = new StringBuilder();
        string? operationId = fields[Events.JournalFields.OperationId] is JsonValue v && v.TryGetValue(out string? id) ? id : null;
        int rows = ScreenRowsOf(sessionDirectory, operationId);
        foreach (var stream in StoredOutput.Of(fields, sessionDirectory))
        {
            if (stream.IsWholeShellStream(operationId)) continue;
            if (text.Length > 0) text.Append('\n');
            text.Append(Of(stream, rows));
        }
        return text.ToString();
    }

    /// <summary>
    /// The searchable text of one stored stream: what the index holds the terms of, and what <c>search</c> shows its
    /// matching lines from (so a hit's line numbers count lines of this text).
    /// </summary>
    public static string Of(StoredOutput stream, int screenRows) => stream.ReadPlainPrefix(IndexedBytesPerStream, screenRows);

    /// <summary>
    /// The lines of <see cref="Of(StoredOutput, int)"/> (split at <c>\n</c>, a final newline ending the last line), read
    /// and rendered only as far as the caller reads them: what <c>search</c> shows matching lines from.
    /// </summary>
    public static IEnumerable<string> LinesOf(StoredOutput stream, int screenRows) =>
        TerminalRenderer.Lines(stream.ReadPrefixPieces(IndexedBytesPerStream), screenRows);

    /// <summary>
    /// The height of the screen an operation's output was drawn on: the size its timing recorded when it started
    /// (<c>cfsession shell</c>), else <see cref="Capture.TerminalRenderer.ScreenRows"/>.
    /// </summary>
    public static int ScreenRowsOf(string sessionDirectory, string? operationId) =>
        operationId is { Length: > 0 } && Sessions.DataDirectory.IsValidSessionId(operationId)
        && Shell.StreamTiming.FirstSize(Shell.StreamTiming.PathFor(sessionDirectory, operationId)) is { } size
            ? size.Rows : Capture.TerminalRenderer.ScreenRows;
}
