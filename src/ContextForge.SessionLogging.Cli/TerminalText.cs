using System.Globalization;
using System.Text;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// Makes recorded text safe to print on a terminal: human views (<c>show</c>, <c>search</c>, <c>inspect</c>,
/// <c>history</c>) never replay an escape sequence or control character from recorded output or fields, so output
/// that wrote OSC 52 (clipboard), changed the title, moved the cursor, overwrote a line with <c>\r</c> or hid text
/// with CSI 8m cannot do it again when someone reads the log. Controls are shown as visible symbols: ESC as
/// <c>␛</c> (so <c>\e]52;c;...</c> reads <c>␛]52;c;...</c>), other C0 controls as their Unicode control pictures
/// (<c>␇</c>, <c>␍</c>, ...), DEL as <c>␡</c>, C1 controls and bidirectional overrides as <c>⟨U+XXXX⟩</c>.
/// Newline and tab stay; <c>\r\n</c> becomes <c>\n</c>. Only <c>--raw</c> replays bytes as recorded.
/// </summary>
internal static class TerminalText
{
    /// <summary>The text with every control character made visible.</summary>
    public static string Visible(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? string.Empty;
        if (!NeedsWork(text)) return text;
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue;
            if (c is '\n' or '\t') sb.Append(c);
            else if (c == '\x1B') sb.Append('␛');
            else if (c < 0x20) sb.Append((char)(0x2400 + c));
            else if (c == '\x7F') sb.Append('␡');
            else if (IsHidden(c)) sb.Append(CultureInfo.InvariantCulture, $"⟨U+{(int)c:X4}⟩");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Visible text escaped for Spectre markup.</summary>
    public static string Markup(string? text) => Spectre.Console.Markup.Escape(Visible(text));

    /// <summary>A Spectre text widget showing the visible form.</summary>
    public static Text Of(string? text) => new(Visible(text));

    private static bool NeedsWork(string text)
    {
        foreach (char c in text)
        {
            if ((c < 0x20 && c is not '\n' and not '\t') || c == '\x7F' || IsHidden(c)) return true;
        }
        return false;
    }

    // C1 controls (an 8-bit CSI is U+009B), bidirectional embeddings/overrides/isolates, and the BOM / zero-width no-break space.
    internal static bool IsHidden(char c) => Query.TerminalSafeJsonEncoder.IsHidden(c);
}
