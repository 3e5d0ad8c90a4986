using System.Text;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>The terminal-semantics pass: bytes as a program wrote them in, the text the screen showed out.</summary>
public sealed class TerminalRendererTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Plain_ascii_text_renders_as_the_terminal_model_renders_it()
    {
        // The shortcut for printable ASCII and LF (what the index renders most) against the model, on random text with
        // trailing blanks, empty lines and lines at and past the model's 4096 columns.
        var random = new Random(Support.TestSeed.Next(output));
        for (int round = 0; round < 300; round++)
        {
            var text = new StringBuilder();
            int lines = random.Next(0, 8);
            for (int l = 0; l < lines; l++)
            {
                int length = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 80), 2 => random.Next(4090, 4100), _ => random.Next(1, 300) };
                for (int c = 0; c < length; c++) text.Append(random.Next(5) == 0 ? ' ' : (char)random.Next(' ', '~' + 1));
                if (l < lines - 1 || random.Next(2) == 0) text.Append('\n');
            }
            string s = text.ToString();
            Assert.Equal(TerminalRenderer.RenderOnModel(s), TerminalRenderer.Render(s));
        }
        Assert.Equal("a\n\n  b\n", TerminalRenderer.Render("a  \n \n  b \n"));
    }

    private static string Render(string text) => TerminalRenderer.Render(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Crlf_lines_become_lines() => Assert.Equal("one\ntwo\n", Render("one\r\ntwo\r\n"));

    [Fact]
    public void Bare_line_feeds_start_the_next_line_at_column_zero() => Assert.Equal("one\ntwo", Render("one\ntwo"));

    [Fact]
    public void Carriage_return_overwrites_the_line_from_its_start() => Assert.Equal("100% done", Render(" 10% done\r100%"));

    [Fact]
    public void Progress_bar_keeps_only_its_last_state()
    {
        var bar = new StringBuilder();
        for (int i = 0; i <= 100; i += 10) bar.Append('\r').Append('[').Append(new string('#', i / 10)).Append(new string(' ', 10 - i / 10)).Append($"] {i}%");
        bar.Append("\r\n");
        Assert.Equal("[##########] 100%\n", Render(bar.ToString()));
    }

    [Fact]
    public void Erase_line_modes_clear_right_left_and_whole() =>
        Assert.Equal("ab\n    ef\n\nx", Render("abcdef\b\b\b\b\x1b[K\r\nabcdef\b\b\b\x1b[1K\r\nabcdef\x1b[2K\r\nx"));

    [Fact]
    public void Erase_line_after_carriage_return_replaces_a_status_line() =>
        Assert.Equal("Downloaded\n", Render("Downloading 42 files...\r\x1b[KDownloaded\r\n"));

    [Fact]
    public void Cursor_moves_relative_and_absolute() =>
        // CUU up one, CUF right 2, CUB back 1, CHA to column 1, CUD down.
        Assert.Equal("XbcY\n1\n", Render("abc\r\n1\r\n\x1b[2A\x1b[3CY\x1b[2D\x1b[1GX\x1b[2B\r"));

    [Fact]
    public void Cursor_position_is_relative_to_the_screen() =>
        Assert.Equal("top\nrow two\n", Render("\x1b[Htop\x1b[2;1Hrow two\r\n"));

    [Fact]
    public void Erase_display_clears_the_screen_but_keeps_what_was_shown_before() =>
        Assert.Equal("before\nafter\n", Render("before\r\n\x1b[H\x1b[2Jafter\r\n"));

    [Fact]
    public void Erase_display_below_the_cursor() =>
        Assert.Equal("one\nt\n\n", Render("one\r\ntwo\r\nthree\r\n\x1b[2A\x1b[2G\x1b[J\n\n"));

    [Fact]
    public void Backspace_moves_left_and_the_next_character_overwrites() => Assert.Equal("cat", Render("cax\bt"));

    [Fact]
    public void Tabs_move_to_the_next_multiple_of_eight() => Assert.Equal("a       b\nabcdefgh        c", Render("a\tb\nabcdefgh\tc"));

    [Fact]
    public void Colours_and_osc_strings_show_nothing() =>
        Assert.Equal("red plain\n", Render("\x1b]0;title\x07\x1b[1;31mred\x1b[0m \x1b]133;C\x1b\\plain\x1b]8;;http://x\x07\r\n"));

    [Fact]
    public void Wide_characters_take_two_cells() =>
        // 日本 is four cells: the cursor moved back 2 lands on 本, which is overwritten by X (and its right half blanked).
        Assert.Equal("日X  z", Render("日本\x1b[2DX\x1b[2Cz"));

    [Fact]
    public void Combining_marks_join_the_character_before() => Assert.Equal("e\u0301!", Render("e\u0301!"));

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters() =>
        Assert.Equal("a\uFFFDb\uFFFD", TerminalRenderer.Render(new byte[] { (byte)'a', 0xFF, (byte)'b', 0xE2, 0x82 }));

    [Fact]
    public void Alternate_screen_session_leaves_only_what_the_main_screen_shows()
    {
        // What vim does: switch to the alternate screen, draw, redraw, leave; the shell's line stays.
        string vim = "$ vim notes\r\n\x1b[?1049h\x1b[H\x1b[2Jhello\r\n~\r\n~\x1b[24;1H\"notes\" 1L\x1b[H\x1b[2Jredrawn\x1b[?1049l";
        Assert.Equal("$ vim notes\n", Render(vim));
    }

    [Theory]
    [InlineData("47")]
    [InlineData("1047")]
    [InlineData("1049")]
    public void Every_alternate_screen_mode_is_dropped_on_leaving(string mode) =>
        Assert.Equal("kept\n", Render($"kept\r\n\x1b[?{mode}hless output\r\nmore\x1b[?{mode}l"));

    [Fact]
    public void Stream_ending_on_the_alternate_screen_keeps_its_final_state() =>
        Assert.Equal("main\n\nfinal", Render("main\r\n\x1b[?1049hfirst\x1b[H\x1b[2Jfinal"));

    [Fact]
    public void Delete_insert_and_erase_characters() =>
        Assert.Equal("acd\na  de\na  bc", Render("abcd\x1b[2G\x1b[1P\r\nabcde\x1b[2G\x1b[2X\r\nabc\x1b[2G\x1b[2@"));

    [Fact]
    public void Hostile_parameters_are_clamped() =>
        // A huge move right stops at the last column (what is written there is dropped); a huge move up at the top.
        Assert.Equal("ab", Render("\x1b[999999999Cz\r\x1b[999999999Aab"));

    [Fact]
    public void Empty_input_is_empty_text() => Assert.Equal(string.Empty, TerminalRenderer.Render(ReadOnlySpan<byte>.Empty));

    [Fact]
    public void Styled_render_keeps_sgr_attributes_colours_and_the_link_with_each_cell()
    {
        var runs = TerminalRenderer.RenderStyled("\x1b[1;31mred\x1b[22m \x1b[38;5;208m256\x1b[0m \x1b[48;2;1;2;3mrgb\x1b[0m \x1b]8;;https://example.com\x1b\\site\x1b]8;;\x1b\\");

        Assert.Equal(
        [
            new StyledRun("red", new TerminalStyle(1, TerminalStyle.DefaultColour, TerminalAttributes.Bold, null)),
            new StyledRun(" ", new TerminalStyle(1, TerminalStyle.DefaultColour, TerminalAttributes.None, null)),
            new StyledRun("256", new TerminalStyle(208, TerminalStyle.DefaultColour, TerminalAttributes.None, null)),
            new StyledRun(" ", TerminalStyle.Default),
            new StyledRun("rgb", new TerminalStyle(TerminalStyle.DefaultColour, TerminalStyle.TrueColour | 0x010203, TerminalAttributes.None, null)),
            new StyledRun(" ", TerminalStyle.Default),
            new StyledRun("site", TerminalStyle.Default with { Link = "https://example.com" }),
        ], runs);
    }

    [Fact]
    public void Styled_render_of_a_redrawn_progress_line_keeps_only_the_last_frame_and_its_colours()
    {
        var runs = TerminalRenderer.RenderStyled("\x1b[33m 10%\x1b[0m working\r\x1b[K\x1b[32m100%\x1b[0m done\r\n");

        Assert.Equal([new StyledRun("100%", TerminalStyle.Default with { Foreground = 2 }), new StyledRun(" done\n", TerminalStyle.Default)], runs);
    }

    [Fact]
    public void Styled_render_wraps_a_line_past_the_widest_column_softly_and_plain_render_still_cuts_it()
    {
        string line = new('x', TerminalRenderer.WrapColumns + 10);

        Assert.Equal(line, string.Concat(TerminalRenderer.RenderStyled(line).Select(r => r.Text)));
        Assert.Equal(new string('x', TerminalRenderer.WrapColumns), Render(line));
    }

    [Fact]
    public void A_stream_that_jumps_the_cursor_right_on_every_line_stops_rendering_at_the_padding_budget_instead_of_taking_gigabytes()
    {
        // 30,000 lines of "move 4000 columns right, print x": 270 KB of output, 120M blank cells if rendered whole.
        string hostile = string.Concat(Enumerable.Repeat("\e[4000Cx\n", 30_000));
        long before = GC.GetAllocatedBytesForCurrentThread();

        string[] lines = TerminalRenderer.Render(hostile).Split('\n');

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(1001, lines.Length); // 1,000 lines reach the 4M-cell budget; the line that passes it is the last
        Assert.All(lines, line => Assert.Equal(new string(' ', 4000) + "x", line));
        Assert.True(allocated < 512L * 1024 * 1024, $"rendering allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Restoring_a_saved_cursor_returns_to_its_place_on_the_screen_not_to_a_line_that_scrolled_off()
    {
        // Saved on the screen's first row; 30 lines later that row is line 7 of the output (the screen is 24 rows).
        var text = new StringBuilder("\u001b7");
        for (int i = 1; i <= 30; i++) text.Append("line ").Append(i).Append("\r\n");
        text.Append("\u001b8X");
        string[] lines = Render(text.ToString()).Split('\n');
        Assert.Equal("line 1", lines[0]);
        Assert.Equal("Xine 8", lines[7]);
    }

    [Fact]
    public void Restoring_with_nothing_saved_goes_to_the_top_of_the_screen()
    {
        var text = new StringBuilder();
        for (int i = 1; i <= 30; i++) text.Append("line ").Append(i).Append("\r\n");
        text.Append("\u001b[uX");
        string[] lines = Render(text.ToString()).Split('\n');
        Assert.Equal("line 1", lines[0]);
        Assert.Equal("Xine 8", lines[7]);
    }

    [Fact]
    public void Lines_read_in_pieces_are_the_lines_of_the_whole_render()
    {
        // Random streams of text, controls and escape sequences (cut anywhere: inside sequences, surrogate pairs),
        // fed in random pieces: the lines given one by one are the whole render's lines.
        string[] atoms =
        [
            "text", "more words", "é", "日本", "\U0001F600", "\r\n", "\n", "\r", "\b", "\t", "\u001b[K", "\u001b[1K", "\u001b[2K", "\u001b[J", "\u001b[1J",
            "\u001b[2J", "\u001b[3A", "\u001b[2B", "\u001b[5C", "\u001b[2D", "\u001b[10;3H", "\u001b[H", "\u001b[4d", "\u001b7", "\u001b8", "\u001b[s", "\u001b[u",
            "\u001bM", "\u001bD", "\u001bE", "\u001bc", "\u001b[?1049h", "\u001b[?1049l", "\u001b[?47h", "\u001b[?47l", "\u001b]0;title\x07", "\u001b]52;c;eA==\u001b\\",
            "\u001b(B", "\u001b[31m", "\u001b[2P", "\u001b[3@", "\u001b[4X", "\u001bP1$r\u001b\\", "\u0301", "\u001b[", "\u001b",
        ];
        var random = new Random(17);
        for (int run = 0; run < 400; run++)
        {
            var text = new StringBuilder();
            int atomsInRun = random.Next(1, 400);
            for (int i = 0; i < atomsInRun; i++)
            {
                text.Append(atoms[random.Next(atoms.Length)]);
                if (random.Next(4) == 0) text.Append('\n');
            }
            string whole = text.ToString();
            var pieces = new List<string>();
            for (int at = 0; at < whole.Length;)
            {
                int n = Math.Min(whole.Length - at, random.Next(1, 40));
                pieces.Add(whole.Substring(at, n));
                at += n;
            }
            string rendered = TerminalRenderer.Render(whole);
            string[] expected = (rendered.EndsWith('\n') ? rendered[..^1] : rendered).Split('\n');
            Assert.Equal(expected, TerminalRenderer.Lines(pieces).ToArray());
        }
    }

    [Fact]
    public void Lines_are_given_before_the_stream_ends()
    {
        // A reader that takes the first lines stops the rendering: the pieces after are never asked for.
        int asked = 0;
        IEnumerable<string> Pieces()
        {
            for (int i = 0; i < 1000; i++)
            {
                asked++;
                yield return $"line {i}\r\n";
            }
        }
        Assert.Equal(["line 0", "line 1", "line 2"], TerminalRenderer.Lines(Pieces()).Take(3).ToArray());
        Assert.InRange(asked, 3, 3 + TerminalRenderer.ScreenRows + 1);
    }
}
