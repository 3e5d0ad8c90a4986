using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// Renders terminal output as HTML for the report: every character escaped, SGR colours (16, 256 and 24-bit) and
/// bold/italic/underline/dim/inverse as CSS classes (no style attributes: the page's Content-Security-Policy allows
/// no inline style), OSC 8 hyperlinks only when the target is an absolute http(s) URL, every other escape sequence
/// and control character dropped. Colour classes beyond the 16 of the theme are collected in <see cref="UsedColours"/>
/// for the page's stylesheet.
/// </summary>
internal sealed class AnsiHtml
{
    /// <summary>Colour classes used (<c>c-fg-ff8000</c>, <c>c-bg-1a1a1a</c>) with their RGB hex, for the stylesheet.</summary>
    public SortedDictionary<string, string> UsedColours { get; } = new(StringComparer.Ordinal);

    private sealed class Style
    {
        public string? Foreground;
        public string? Background;
        public bool Bold, Dim, Italic, Underline, Inverse, Strike;

        public void Reset()
        {
            Foreground = Background = null;
            Bold = Dim = Italic = Underline = Inverse = Strike = false;
        }

        public string Classes()
        {
            var sb = new StringBuilder();
            string? fg = Inverse ? Background ?? "c-bg-default" : Foreground;
            string? bg = Inverse ? Foreground ?? "c-fg-default" : Background;
            // Inverse swaps the roles: a foreground class used as background is renamed.
            if (fg is not null) Add(Inverse ? "c-fg-" + fg["c-bg-".Length..] : fg);
            if (bg is not null) Add(Inverse ? "c-bg-" + bg["c-fg-".Length..] : bg);
            if (Bold) Add("b");
            if (Dim) Add("d");
            if (Italic) Add("i");
            if (Underline) Add("u");
            if (Strike) Add("s");
            return sb.ToString();

            void Add(string c)
            {
                if (sb.Length > 0) sb.Append(' ');
                sb.Append(c);
            }
        }
    }

    /// <summary>Appends <paramref name="text"/> (already decoded; invalid UTF-8 is U+FFFD) to <paramref name="html"/> as HTML.</summary>
    public void Render(string text, StringBuilder html)
    {
        var style = new Style();
        string openClasses = "";
        bool spanOpen = false, linkOpen = false;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\x1B')
            {
                i = Escape(text, i, style, html, ref spanOpen, ref linkOpen, ref openClasses);
                continue;
            }
            if (c == '\r')
            {
                i++;
                continue;
            }
            if (c == '\x9B' || (c < ' ' && c != '\n' && c != '\t') || c == '\x7F')
            {
                i++;
                continue;
            }
            string classes = style.Classes();
            if (classes != openClasses || (!spanOpen && classes.Length > 0))
            {
                if (spanOpen) html.Append("</span>");
                spanOpen = classes.Length > 0;
                if (spanOpen) html.Append("<span class=\"").Append(classes).Append("\">");
                openClasses = classes;
            }
            int start = i;
            while (i < text.Length && text[i] >= ' ' && text[i] != '\x7F' && text[i] != '\x9B' || i < text.Length && (text[i] == '\n' || text[i] == '\t')) i++;
            AppendEscaped(html, text.AsSpan(start, i - start));
        }
        if (spanOpen) html.Append("</span>");
        if (linkOpen) html.Append("</a>");
    }

    /// <summary>HTML-escapes text for element content and double-quoted attributes.</summary>
    public static void AppendEscaped(StringBuilder html, ReadOnlySpan<char> text)
    {
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '&': html.Append("&amp;"); break;
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;
                default:
                    // A lone surrogate (possible in a JSON-escaped command line) becomes U+FFFD when the page is encoded.
                    html.Append(ch);
                    break;
            }
        }
    }

    /// <summary>The text HTML-escaped.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length + 16);
        AppendEscaped(sb, text);
        return sb.ToString();
    }

    private int Escape(string text, int i, Style style, StringBuilder html, ref bool spanOpen, ref bool linkOpen, ref string openClasses)
    {
        if (i + 1 >= text.Length) return i + 1;
        char kind = text[i + 1];
        if (kind == '[')
        {
            int j = i + 2;
            while (j < text.Length && text[j] >= '0' && text[j] <= '?') j++;
            int paramsEnd = j;
            while (j < text.Length && text[j] >= ' ' && text[j] <= '/') j++;
            if (j >= text.Length) return text.Length;
            if (text[j] == 'm' && paramsEnd == j) Sgr(text.AsSpan(i + 2, paramsEnd - i - 2), style);
            return j + 1;
        }
        if (kind == ']')
        {
            int j = i + 2;
            int end;
            while (true)
            {
                if (j >= text.Length) return text.Length;
                if (text[j] == '\x07') { end = j; j++; break; }
                if (text[j] == '\x1B' && j + 1 < text.Length && text[j + 1] == '\\') { end = j; j += 2; break; }
                if (text[j] == '\x1B') { end = j; break; }
                j++;
            }
            string body = text[(i + 2)..end];
            if (body.StartsWith("8;", StringComparison.Ordinal))
            {
                int semi = body.IndexOf(';', 2);
                string uri = semi < 0 ? "" : body[(semi + 1)..];
                if (spanOpen) { html.Append("</span>"); spanOpen = false; openClasses = ""; }
                if (linkOpen) { html.Append("</a>"); linkOpen = false; }
                if (IsWebLink(uri))
                {
                    html.Append("<a href=\"");
                    AppendEscaped(html, uri);
                    html.Append("\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
                    linkOpen = true;
                }
            }
            return j;
        }
        if (kind is 'P' or 'X' or '^' or '_')
        {
            int j = text.IndexOf("\x1B\\", i + 2, StringComparison.Ordinal);
            return j < 0 ? text.Length : j + 2;
        }
        // Two-byte escapes (and charset selection, ESC ( B) are dropped.
        if (kind is '(' or ')' or '*' or '+' or '#' or '%') return Math.Min(text.Length, i + 3);
        return i + 2;
    }

    /// <summary>An OSC 8 target the report links to: an absolute http or https URL, nothing else.</summary>
    public static bool IsWebLink(string uri) =>
        uri.Length is > 0 and <= 2048
        && Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
        && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
        && (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        && !uri.Any(char.IsControl);

    private void Sgr(ReadOnlySpan<char> parameters, Style style)
    {
        var codes = new List<int>();
        foreach (var range in parameters.Split(';'))
        {
            var part = parameters[range];
            // Colon sub-parameters (38:2::r:g:b) are read as separate codes.
            foreach (var sub in part.Split(':'))
            {
                var piece = part[sub];
                codes.Add(piece.Length == 0 ? 0 : int.TryParse(piece, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : -1);
            }
        }
        if (codes.Count == 0) codes.Add(0);
        for (int k = 0; k < codes.Count; k++)
        {
            int code = codes[k];
            switch (code)
            {
                case 0: style.Reset(); break;
                case 1: style.Bold = true; break;
                case 2: style.Dim = true; break;
                case 3: style.Italic = true; break;
                case 4: style.Underline = true; break;
                case 7: style.Inverse = true; break;
                case 9: style.Strike = true; break;
                case 21 or 24: style.Underline = false; break;
                case 22: style.Bold = style.Dim = false; break;
                case 23: style.Italic = false; break;
                case 27: style.Inverse = false; break;
                case 29: style.Strike = false; break;
                case >= 30 and <= 37: style.Foreground = "c-fg-" + (code - 30).ToString(CultureInfo.InvariantCulture); break;
                case 39: style.Foreground = null; break;
                case >= 40 and <= 47: style.Background = "c-bg-" + (code - 40).ToString(CultureInfo.InvariantCulture); break;
                case 49: style.Background = null; break;
                case >= 90 and <= 97: style.Foreground = "c-fg-" + (code - 90 + 8).ToString(CultureInfo.InvariantCulture); break;
                case >= 100 and <= 107: style.Background = "c-bg-" + (code - 100 + 8).ToString(CultureInfo.InvariantCulture); break;
                case 38 or 48:
                    string? colour = ExtendedColour(codes, ref k);
                    if (colour is null) break;
                    string name = (code == 38 ? "c-fg-" : "c-bg-") + colour;
                    if (code == 38) style.Foreground = name; else style.Background = name;
                    break;
            }
        }
    }

    /// <summary>38;5;N or 38;2;R;G;B (k at 38/48, moved past what it reads): a class suffix, the palette index below 16, else RGB hex.</summary>
    private string? ExtendedColour(List<int> codes, ref int k)
    {
        if (k + 1 >= codes.Count) return null;
        int mode = codes[k + 1];
        if (mode == 5 && k + 2 < codes.Count)
        {
            int n = codes[k + 2];
            k += 2;
            if (n is < 0 or > 255) return null;
            if (n < 16) return n.ToString(CultureInfo.InvariantCulture);
            return Register(Palette256(n));
        }
        if (mode == 2 && k + 4 < codes.Count)
        {
            int r = codes[k + 2], g = codes[k + 3], b = codes[k + 4];
            k += 4;
            if (r is < 0 or > 255 || g is < 0 or > 255 || b is < 0 or > 255) return null;
            return Register(string.Create(CultureInfo.InvariantCulture, $"{r:x2}{g:x2}{b:x2}"));
        }
        k = codes.Count;
        return null;
    }

    private string Register(string hex)
    {
        UsedColours["c-fg-" + hex] = hex;
        UsedColours["c-bg-" + hex] = hex;
        return hex;
    }

    /// <summary>The xterm 256-colour palette entry (16..255) as RGB hex.</summary>
    public static string Palette256(int n)
    {
        if (n >= 232)
        {
            int level = 8 + (n - 232) * 10;
            return string.Create(CultureInfo.InvariantCulture, $"{level:x2}{level:x2}{level:x2}");
        }
        int i = n - 16;
        static int Level(int v) => v == 0 ? 0 : 55 + v * 40;
        return string.Create(CultureInfo.InvariantCulture, $"{Level(i / 36):x2}{Level(i / 6 % 6):x2}{Level(i % 6):x2}");
    }

    /// <summary>Decodes stored bytes as UTF-8, invalid sequences as U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes) => new UTF8Encoding(false, false).GetString(bytes);
}
