using System.Text;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>A page of an output's lines (1-based numbers, split on <c>\n</c> only, as search numbers them).</summary>
/// <param name="Lines">The page's lines, rendered.</param>
/// <param name="FirstLine">The number of the first line of the page.</param>
/// <param name="More">True when lines follow the page.</param>
/// <param name="TotalLines">How many lines the output has, when the page reached its end; null otherwise (not counted, so a huge output costs only the page).</param>
/// <param name="CutLines">Lines longer than the byte budget, shown cut.</param>
internal sealed record LinePage(IReadOnlyList<string> Lines, long FirstLine, bool More, long? TotalLines, int CutLines)
{
    public long LastLine => FirstLine + Lines.Count - 1;
}

/// <summary>Reads one page of lines from a text stream without holding more than the page.</summary>
internal static class LinePager
{
    /// <summary>
    /// Lines <paramref name="startLine"/> onwards, at most <paramref name="maxLines"/> and <paramref name="maxBytes"/>
    /// bytes once rendered by <paramref name="render"/>; a line alone over the budget is cut and counted.
    /// </summary>
    /// <exception cref="ToolInputException"><paramref name="startLine"/> is past the end.</exception>
    public static LinePage Read(TextReader reader, long startLine, int maxLines, int maxBytes, Func<string, string> render)
    {
        var page = new List<string>();
        long number = 0;
        int bytes = 0, cut = 0;
        var line = new StringBuilder();
        while (true)
        {
            bool ended = !ReadLine(reader, line, number + 1 >= startLine ? maxBytes : 0, out long fullLength);
            if (ended && fullLength == 0 && line.Length == 0)
            {
                // End of the text: no line here (an output that ends with '\n' has no empty last line).
                if (startLine > number && !(number == 0 && startLine == 1))
                    throw new ToolInputException($"start_line {startLine} is past the end: the output has {number} line{(number == 1 ? "" : "s")}");
                return new LinePage(page, startLine, More: false, TotalLines: number, cut);
            }
            number++;
            if (number < startLine) continue;
            string text = render(line.ToString());
            if (fullLength > line.Length)
            {
                text += $"… [line cut: {fullLength} characters]";
                cut++;
            }
            int size = Encoding.UTF8.GetByteCount(text) + 1;
            if (page.Count > 0 && (page.Count >= maxLines || bytes + size > maxBytes))
                return new LinePage(page, startLine, More: true, TotalLines: null, cut);
            page.Add(text);
            bytes += size;
            if (ended) return new LinePage(page, startLine, More: false, TotalLines: number, cut);
        }
    }

    /// <summary>Reads up to '\n' into <paramref name="line"/> (keeping at most <paramref name="keep"/> characters); false at end of text.</summary>
    private static bool ReadLine(TextReader reader, StringBuilder line, int keep, out long fullLength)
    {
        line.Clear();
        fullLength = 0;
        while (true)
        {
            int c = reader.Read();
            if (c < 0) return false;
            if (c == '\n') return true;
            if (fullLength < keep) line.Append((char)c);
            fullLength++;
        }
    }
}
