using System.Text;
using ContextForge.SessionLogging.Cli.Report;

namespace ContextForge.SessionLogging.Tests.Report;

/// <summary>Terminal output to report HTML: escaping, colours as classes, OSC 8 links only to http(s).</summary>
public sealed class AnsiHtmlTests
{
    private static (string Html, AnsiHtml Renderer) Render(string text)
    {
        var renderer = new AnsiHtml();
        var sb = new StringBuilder();
        renderer.Render(text, sb);
        return (sb.ToString(), renderer);
    }

    [Fact]
    public void Markup_in_output_is_escaped_text()
    {
        var (html, _) = Render("<script>alert(1)</script></pre><img src=x onerror=\"alert('x')\">&");

        Assert.Equal("&lt;script&gt;alert(1)&lt;/script&gt;&lt;/pre&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;", html);
    }

    [Fact]
    public void Sixteen_colours_bold_and_underline_become_classes_and_reset_closes_the_span()
    {
        var (html, _) = Render("\e[1;31mred\e[0m plain \e[4;94mlink-blue\e[24m\e[0m");

        Assert.Equal("<span class=\"c-fg-1 b\">red</span> plain <span class=\"c-fg-12 u\">link-blue</span>", html);
    }

    [Fact]
    public void Colours_256_and_truecolour_get_classes_that_the_stylesheet_defines()
    {
        var (html, renderer) = Render("\e[38;5;208morange\e[0m \e[48;2;10;200;90mgreen\e[0m \e[38;5;9mbright\e[0m");

        Assert.Equal("<span class=\"c-fg-ff8700\">orange</span> <span class=\"c-bg-0ac85a\">green</span> <span class=\"c-fg-9\">bright</span>", html);
        Assert.Equal("ff8700", renderer.UsedColours["c-fg-ff8700"]);
        Assert.Equal("0ac85a", renderer.UsedColours["c-bg-0ac85a"]);
        Assert.Contains(".c-fg-ff8700{color:#ff8700}", ReportPage.Stylesheet(renderer.UsedColours));
    }

    [Fact]
    public void Osc8_links_to_https_are_anchors_and_javascript_or_file_links_are_plain_text()
    {
        var (html, _) = Render("\e]8;;https://example.com/a?b=1&c=\"2\"\e\\ok\e]8;;\e\\ \e]8;;javascript:alert(1)\aevil\e]8;;\a \e]8;;file:///etc/passwd\e\\file\e]8;;\e\\");

        Assert.Equal("<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">ok</a> evil file", html);
    }

    [Fact]
    public void Other_escape_sequences_and_control_characters_are_dropped()
    {
        var (html, _) = Render("a\e[2K\e[1Gb\r\nc\ad\e]0;title\ae\e(Bf\tg");

        Assert.Equal("ab\ncdef\tg", html);
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters()
    {
        byte[] bytes = [(byte)'b', (byte)'a', (byte)'d', (byte)' ', 0xFF, 0xFE, (byte)' ', 0xE2, 0x82, (byte)'x'];

        Assert.Equal("bad \uFFFD\uFFFD \uFFFDx", AnsiHtml.Decode(bytes));
    }
}
