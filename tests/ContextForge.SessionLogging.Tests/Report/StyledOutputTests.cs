using System.Text;
using ContextForge.SessionLogging.Cli.Report;

namespace ContextForge.SessionLogging.Tests.Report;

/// <summary>
/// Terminal output as the report shows it: the screen TerminalRenderer's model leaves (CR and erase-line overwrite),
/// colours as classes, OSC 8 links only to http(s); markup is text, never parsed.
/// </summary>
public sealed class StyledOutputTests
{
    private static string Show(IEnumerable<OutputRun> runs) =>
        string.Concat(runs.Select(r => r.Classes.Length == 0 && r.Link is null ? r.Text : $"[{r.Classes}{(r.Link is null ? "" : " -> " + r.Link)}|{r.Text}]"));

    [Fact]
    public void Markup_in_output_stays_text_in_one_plain_run()
    {
        var runs = new StyledOutput().Render("<script>alert(1)</script></pre><img src=x onerror=\"alert('x')\">&");

        Assert.Equal([new OutputRun("<script>alert(1)</script></pre><img src=x onerror=\"alert('x')\">&", "", null)], runs);
    }

    [Fact]
    public void Sixteen_colours_bold_and_underline_become_classes_and_reset_ends_the_run()
    {
        var runs = new StyledOutput().Render("\e[1;31mred\e[0m plain \e[4;94mlink-blue\e[24m\e[0m");

        Assert.Equal("[c-fg-1 b|red] plain [c-fg-12 u|link-blue]", Show(runs));
    }

    [Fact]
    public void Colours_256_and_truecolour_get_classes_that_the_stylesheet_defines()
    {
        var renderer = new StyledOutput();
        var runs = renderer.Render("\e[38;5;208morange\e[0m \e[48;2;10;200;90mgreen\e[0m \e[38;5;9mbright\e[0m");

        Assert.Equal("[c-fg-ff8700|orange] [c-bg-0ac85a|green] [c-fg-9|bright]", Show(runs));
        Assert.Equal("ff8700", renderer.UsedColours["c-fg-ff8700"]);
        Assert.Equal("0ac85a", renderer.UsedColours["c-bg-0ac85a"]);
        Assert.Contains(".c-fg-ff8700{color:#ff8700}", ReportPage.Stylesheet(renderer.UsedColours));
    }

    [Fact]
    public void Inverse_swaps_foreground_and_background_with_the_theme_colours_for_defaults()
    {
        var runs = new StyledOutput().Render("\e[7mrev\e[0m \e[7;32mgreen-bg\e[0m");

        Assert.Equal("[c-fg-default c-bg-default|rev] [c-fg-default c-bg-2|green-bg]", Show(runs));
    }

    [Fact]
    public void Osc8_links_to_https_are_kept_and_javascript_or_file_links_are_plain_text()
    {
        var runs = new StyledOutput().Render("\e]8;;https://example.com/a?b=1&c=\"2\"\e\\ok\e]8;;\e\\ \e]8;;javascript:alert(1)\aevil\e]8;;\a \e]8;;file:///etc/passwd\e\\file\e]8;;\e\\");

        Assert.Equal("[ -> https://example.com/a?b=1&c=\"2\"|ok] evil file", Show(runs));
    }

    [Fact]
    public void A_progress_bar_redrawn_with_carriage_returns_shows_its_final_state_with_its_colours()
    {
        var bar = new StringBuilder();
        for (int i = 0; i <= 100; i += 25) bar.Append($"\r\e[32m{new string('#', i / 10)}\e[0m {i,3}%");
        bar.Append("\r\n\e[1mdone\e[0m\r\n");

        var runs = new StyledOutput().Render(bar.ToString());

        Assert.Equal("[c-fg-2|##########] 100%\n[b|done]\n", Show(runs));
    }

    [Fact]
    public void Erase_line_after_carriage_return_replaces_a_status_line()
    {
        var runs = new StyledOutput().Render("Downloading 42 files...\r\e[K\e[33mDownloaded\e[0m\r\n");

        Assert.Equal("[c-fg-3|Downloaded]\n", Show(runs));
    }

    [Fact]
    public void Other_escape_sequences_and_control_characters_show_nothing()
    {
        var runs = new StyledOutput().Render("a\e[2K\e[1Gb\r\nc\ad\e]0;title\ae\e(Bf\tg");

        Assert.Equal("b\ncdef    g", Show(runs));
    }

    [Fact]
    public void A_line_longer_than_the_terminal_model_is_wider_comes_out_whole()
    {
        string line = new('a', 10_000);

        var runs = new StyledOutput().Render(line + "\n");

        Assert.Equal(line + "\n", Show(runs));
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters()
    {
        byte[] bytes = [(byte)'b', (byte)'a', (byte)'d', (byte)' ', 0xFF, 0xFE, (byte)' ', 0xE2, 0x82, (byte)'x'];

        Assert.Equal("bad \uFFFD\uFFFD \uFFFDx", StyledOutput.Decode(bytes));
    }
}
