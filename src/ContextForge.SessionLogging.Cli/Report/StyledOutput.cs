using System.Globalization;
using System.Text;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>One run of an output as the page shows it: text, CSS classes (empty for none), and an http(s) link or null.</summary>
internal readonly record struct OutputRun(string Text, string Classes, string? Link);

/// <summary>
/// Terminal output as the report shows it: the screen the bytes left, from the one terminal model of
/// <see cref="TerminalRenderer.RenderStyled"/> (carriage returns and erase-line overwrite, so a progress bar shows its
/// final state; the index and search use the same model), as runs with SGR colours (16, 256 and 24-bit) and
/// bold/dim/italic/underline/strike/inverse as CSS classes (no style attribute: the page's Content-Security-Policy
/// allows none), and OSC 8 hyperlinks kept only when the target is an absolute http(s) URL. Colour classes beyond the
/// 16 of the theme are collected in <see cref="UsedColours"/> for the page's stylesheet.
/// </summary>
internal sealed class StyledOutput
{
    /// <summary>Colour classes used (<c>c-fg-ff8000</c>, <c>c-bg-1a1a1a</c>) with their RGB hex, for the stylesheet.</summary>
    public SortedDictionary<string, string> UsedColours { get; } = new(StringComparer.Ordinal);

    private readonly Dictionary<TerminalStyle, (string Classes, string? Link)> _classes = [];

    /// <summary>
    /// The runs <paramref name="text"/> (already decoded; invalid UTF-8 is U+FFFD) shows on a screen
    /// <paramref name="rows"/> high, adjacent equal styles merged.
    /// </summary>
    public List<OutputRun> Render(string text, int rows = TerminalRenderer.ScreenRows)
    {
        var runs = new List<OutputRun>();
        foreach (var run in TerminalRenderer.RenderStyled(text, rows))
        {
            var (classes, link) = Classes(run.Style);
            if (runs.Count > 0 && runs[^1].Classes == classes && runs[^1].Link == link)
                runs[^1] = runs[^1] with { Text = runs[^1].Text + run.Text };
            else
                runs.Add(new OutputRun(run.Text, classes, link));
        }
        return runs;
    }

    private (string Classes, string? Link) Classes(TerminalStyle style)
    {
        if (_classes.TryGetValue(style, out var known)) return known;
        var sb = new StringBuilder();
        bool inverse = style.Attributes.HasFlag(TerminalAttributes.Inverse);
        // Inverse swaps the roles; a default colour swapped is the theme's background or foreground.
        int fg = inverse ? style.Background : style.Foreground, bg = inverse ? style.Foreground : style.Background;
        if (fg != TerminalStyle.DefaultColour || inverse) Add("c-fg-" + (fg == TerminalStyle.DefaultColour ? "default" : Colour(fg)));
        if (bg != TerminalStyle.DefaultColour || inverse) Add("c-bg-" + (bg == TerminalStyle.DefaultColour ? "default" : Colour(bg)));
        if (style.Attributes.HasFlag(TerminalAttributes.Bold)) Add("b");
        if (style.Attributes.HasFlag(TerminalAttributes.Dim)) Add("d");
        if (style.Attributes.HasFlag(TerminalAttributes.Italic)) Add("i");
        if (style.Attributes.HasFlag(TerminalAttributes.Underline)) Add("u");
        if (style.Attributes.HasFlag(TerminalAttributes.Strike)) Add("s");
        var result = (sb.ToString(), style.Link is { } link && IsWebLink(link) ? link : null);
        _classes[style] = result;
        return result;

        void Add(string c)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(c);
        }
    }

    // A class suffix: the palette index below 16 (the theme's colours), else the RGB hex (registered for the stylesheet).
    private string Colour(int colour)
    {
        if (colour < 16) return colour.ToString(CultureInfo.InvariantCulture);
        string hex = colour < 256 ? Palette256(colour) : (colour & 0xFFFFFF).ToString("x6", CultureInfo.InvariantCulture);
        UsedColours["c-fg-" + hex] = hex;
        UsedColours["c-bg-" + hex] = hex;
        return hex;
    }

    /// <summary>An OSC 8 target the report links to: an absolute http or https URL, nothing else.</summary>
    public static bool IsWebLink(string uri) =>
        uri.Length is > 0 and <= 2048
        && Uri.TryCreate(uri, UriKind.Absolute, out var parsed)
        && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
        && (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        && !uri.Any(char.IsControl);

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
