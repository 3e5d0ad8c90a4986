using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Cli.Commands;
using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// One page of a recorded output stream as every tool returns it (<c>get_operation</c>, <c>run_command</c>): a line
/// naming the stream, its size and the range shown, the lines, and when cut the <c>get_operation</c> call of the next page.
/// </summary>
internal static class OutputPage
{
    /// <summary>Appends lines <paramref name="startLine"/> on of <paramref name="output"/> to <paramref name="text"/>, within <paramref name="maxLines"/> and <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ToolInputException"><paramref name="startLine"/> is past the end.</exception>
    public static void Append(StringBuilder text, StoredOutput output, string operationId, long startLine, int maxLines, int maxBytes, bool raw)
    {
        using var reader = new StreamReader(output.OpenRead(), new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: false);
        var page = LinePager.Read(reader, startLine, maxLines, maxBytes, raw ? line => line : PlainLine);
        string range = page.Lines.Count == 0 ? "no lines" : $"lines {page.FirstLine}-{page.LastLine}{(page.TotalLines is { } total ? $" of {total}" : "")}";
        text.Append(CultureInfo.InvariantCulture, $"{output.Name} ({(raw ? "raw, as recorded" : "plain text")}; {output.Length ?? 0} bytes): {range}\n");
        foreach (string line in page.Lines) text.Append(line).Append('\n');
        if (!page.More) return;
        var next = new JsonObject { ["operation_id"] = operationId, ["stream"] = output.Name, ["start_line"] = page.LastLine + 1 };
        if (raw) next["raw"] = true;
        text.Append(CultureInfo.InvariantCulture, $"[cut at line {page.LastLine}] ").Append(ResultBounds.NextPage("get_operation", next)).Append('\n');
    }

    /// <summary>Plain: escape sequences removed, every other control character made visible (so hostile output cannot act on a terminal or hide text).</summary>
    internal static string PlainLine(string line) => TerminalText.Visible(AnsiText.ToPlain(line.EndsWith('\r') ? line[..^1] : line));
}
