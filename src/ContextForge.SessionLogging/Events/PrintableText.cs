using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Events;

/// <summary>
/// Makes a message that quotes user or file content safe to print as one line: control characters (CR, LF, ESC,
/// NUL...) and the Unicode line/paragraph separators become <c>\uXXXX</c>. Used for the one-line errors of the
/// journal reader and the config parsers: a quoted raw newline, CR or ESC would otherwise split or rewrite the terminal line.
/// </summary>
internal static class PrintableText
{
    public static string Escape(string message)
    {
        if (!message.Any(NeedsEscape)) return message;
        var sb = new StringBuilder(message.Length + 16);
        foreach (char c in message)
        {
            if (NeedsEscape(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
