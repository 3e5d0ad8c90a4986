using System.Globalization;

namespace ContextForge.SessionLogging.Capture;

/// <summary>Text attributes a terminal draws with (SGR 1, 2, 3, 4, 7, 9).</summary>
[Flags]
internal enum TerminalAttributes : byte
{
    None = 0,
    Bold = 1,
    Dim = 2,
    Italic = 4,
    Underline = 8,
    Inverse = 16,
    Strike = 32,
}

/// <summary>A run of text drawn with one style (<see cref="TerminalRenderer.RenderStyled"/>).</summary>
internal readonly record struct StyledRun(string Text, TerminalStyle Style);

/// <summary>
/// How a cell is drawn: foreground and background colour (<see cref="DefaultColour"/>, a palette index 0-255, or
/// <see cref="TrueColour"/> plus 0xRRGGBB), attributes, and the OSC 8 hyperlink target the cell is part of (any text
/// the program sent: whoever shows it decides what it may link to).
/// </summary>
internal readonly record struct TerminalStyle(int Foreground, int Background, TerminalAttributes Attributes, string? Link)
{
    public const int DefaultColour = -1;
    public const int TrueColour = 0x1000000;

    public static readonly TerminalStyle Default = new(DefaultColour, DefaultColour, TerminalAttributes.None, null);

    /// <summary>The style after an SGR sequence with <paramref name="parameters"/> (the text between <c>CSI</c> and <c>m</c>).</summary>
    public static TerminalStyle Apply(TerminalStyle style, ReadOnlySpan<char> parameters)
    {
        Span<int> codes = stackalloc int[32];
        int count = 0;
        foreach (var range in parameters.Split(';'))
        {
            var part = parameters[range];
            // Colon sub-parameters (38:2::r:g:b) are read as separate codes.
            foreach (var sub in part.Split(':'))
            {
                if (count == codes.Length) break;
                var piece = part[sub];
                codes[count++] = piece.Length == 0 ? 0 : int.TryParse(piece, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1;
            }
        }
        if (count == 0) codes[count++] = 0;
        int fg = style.Foreground, bg = style.Background;
        var attributes = style.Attributes;
        for (int k = 0; k < count; k++)
        {
            int code = codes[k];
            switch (code)
            {
                case 0: fg = bg = DefaultColour; attributes = TerminalAttributes.None; break;
                case 1: attributes |= TerminalAttributes.Bold; break;
                case 2: attributes |= TerminalAttributes.Dim; break;
                case 3: attributes |= TerminalAttributes.Italic; break;
                case 4: attributes |= TerminalAttributes.Underline; break;
                case 7: attributes |= TerminalAttributes.Inverse; break;
                case 9: attributes |= TerminalAttributes.Strike; break;
                case 21 or 24: attributes &= ~TerminalAttributes.Underline; break;
                case 22: attributes &= ~(TerminalAttributes.Bold | TerminalAttributes.Dim); break;
                case 23: attributes &= ~TerminalAttributes.Italic; break;
                case 27: attributes &= ~TerminalAttributes.Inverse; break;
                case 29: attributes &= ~TerminalAttributes.Strike; break;
                case >= 30 and <= 37: fg = code - 30; break;
                case 39: fg = DefaultColour; break;
                case >= 40 and <= 47: bg = code - 40; break;
                case 49: bg = DefaultColour; break;
                case >= 90 and <= 97: fg = code - 90 + 8; break;
                case >= 100 and <= 107: bg = code - 100 + 8; break;
                case 38 or 48:
                    int? colour = ExtendedColour(codes[..count], ref k);
                    if (colour is not { } c) break;
                    if (code == 38) fg = c; else bg = c;
                    break;
            }
        }
        return new TerminalStyle(fg, bg, attributes, style.Link);
    }

    // 38;5;N or 38;2;R;G;B (k at 38/48, moved past what it reads).
    private static int? ExtendedColour(ReadOnlySpan<int> codes, ref int k)
    {
        if (k + 1 >= codes.Length) return null;
        int mode = codes[k + 1];
        if (mode == 5 && k + 2 < codes.Length)
        {
            int n = codes[k + 2];
            k += 2;
            return n is < 0 or > 255 ? null : n;
        }
        if (mode == 2 && k + 4 < codes.Length)
        {
            int r = codes[k + 2], g = codes[k + 3], b = codes[k + 4];
            k += 4;
            if (r is < 0 or > 255 || g is < 0 or > 255 || b is < 0 or > 255) return null;
            return TrueColour | (r << 16) | (g << 8) | b;
        }
        k = codes.Length;
        return null;
    }
}
