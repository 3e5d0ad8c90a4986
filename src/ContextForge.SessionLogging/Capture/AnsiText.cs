using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Capture;

/// <summary>Turns terminal output into plain text for search, samples and plain replay.</summary>
public static partial class AnsiText
{
    // CSI sequences, OSC sequences (ended by BEL or ST), other two-byte escapes, and the remaining C0 controls
    // except tab and newline.
    [GeneratedRegex(@"\x1B\[[0-?]*[ -/]*[@-~]|\x1B\][^\x07\x1B]*(?:\x07|\x1B\\)|\x1B[PX^_][^\x1B]*\x1B\\|\x1B[@-Z\\-_]|[\x00-\x08\x0B\x0C\x0E-\x1A\x1C-\x1F\x7F]", RegexOptions.CultureInvariant)]
    private static partial Regex EscapeSequences();

    /// <summary>Removes escape sequences and control characters, and normalises <c>\r\n</c> to <c>\n</c>.</summary>
    public static string ToPlain(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        string normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        return EscapeSequences().Replace(normalized, string.Empty).Replace("\x1B", string.Empty, StringComparison.Ordinal);
    }
}
