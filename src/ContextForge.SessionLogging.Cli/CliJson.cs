using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ContextForge.SessionLogging.Cli;

internal static class CliJson
{
    /// <summary>
    /// Indented JSON for every <c>--json</c> document. Non-ASCII text stays readable (the relaxed encoder), but every
    /// control character, and the invisible characters that reorder or hide text on a terminal (bidirectional
    /// overrides and isolates, the BOM, line/paragraph separators), are written as <c>\uXXXX</c> escapes, so
    /// recorded output piped through <c>jq -r</c> or shown by an agent cannot play a "Trojan Source" trick.
    /// </summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = TerminalSafeJsonEncoder.Instance };
}

/// <summary>
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> plus escapes for the characters
/// <see cref="TerminalText.IsHidden"/> names and U+2028/U+2029.
/// </summary>
internal sealed class TerminalSafeJsonEncoder : JavaScriptEncoder
{
    public static readonly TerminalSafeJsonEncoder Instance = new();

    private static readonly JavaScriptEncoder s_relaxed = UnsafeRelaxedJsonEscaping;

    private TerminalSafeJsonEncoder() { }

    public override int MaxOutputCharactersPerInputCharacter => Math.Max(s_relaxed.MaxOutputCharactersPerInputCharacter, 12);

    internal static bool MustEscape(int scalar) => scalar is 0x2028 or 0x2029 || (scalar <= 0xFFFF && TerminalText.IsHidden((char)scalar));

    public override bool WillEncode(int unicodeScalar) => MustEscape(unicodeScalar) || s_relaxed.WillEncode(unicodeScalar);

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        int relaxed = s_relaxed.FindFirstCharacterToEncode(text, textLength);
        int limit = relaxed < 0 ? textLength : relaxed;
        for (int i = 0; i < limit; i++)
        {
            if (MustEscape(text[i])) return i;
        }
        return relaxed;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (!MustEscape(unicodeScalar))
            return s_relaxed.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);
        if (bufferLength < 6)
        {
            numberOfCharactersWritten = 0;
            return false;
        }
        var escape = "\\u" + unicodeScalar.ToString("X4", CultureInfo.InvariantCulture);
        for (int i = 0; i < 6; i++) buffer[i] = escape[i];
        numberOfCharactersWritten = 6;
        return true;
    }
}
