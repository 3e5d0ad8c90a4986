using System.Text;
using ContextForge.SessionLogging.Shell;

namespace ContextForge.SessionLogging.Tests.Shell;

/// <summary>The shell-integration marks found in a pty stream, whatever the chunking.</summary>
public sealed class ShellMarkParserTests
{
    private sealed class Collector : IShellMarkSink
    {
        public readonly StringBuilder Events = new();
        public readonly StringBuilder AllText = new();
        public readonly List<ShellMark> Marks = [];

        public void Text(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty) return;
            Events.Append("T(").Append(Encoding.UTF8.GetString(bytes)).Append(')');
            AllText.Append(Encoding.UTF8.GetString(bytes));
        }

        public void Mark(ShellMark mark)
        {
            Events.Append("M(").Append(mark.Kind).Append(':').Append(mark.Parameters).Append(')');
            Marks.Add(mark);
        }
    }

    private const string Stream =
        "\x1b]7;file://host/home/me\a\x1b]133;A\a$ \x1b]133;B\aecho hi\r\n" +
        "\x1b]6973;E;0d3c2f1e-1111-4222-8333-444455556666;echo hi\a\x1b]133;C\a" +
        "hi \x1b[31mred\x1b[0m \x1b]0;title\x1b\\\r\n\x1b]133;D;0\a";

    private const string ExpectedText =
        "\x1b]7;file://host/home/me\a$ echo hi\r\nhi \x1b[31mred\x1b[0m \x1b]0;title\x1b\\\r\n";

    [Fact]
    public void Marks_are_taken_out_and_everything_else_is_text_in_order()
    {
        var sink = new Collector();
        new ShellMarkParser(sink).Feed(Encoding.UTF8.GetBytes(Stream));
        Assert.Equal(
            [new('7', "file://host/home/me"), new('A', ""), new('B', ""), new('E', "0d3c2f1e-1111-4222-8333-444455556666;echo hi"), new('C', ""), new ShellMark('D', "0")],
            sink.Marks.Select(m => m with { End = 0, Length = 0 }));
        // Each mark knows where its bytes are in the stream (the recorder cuts the stored stream there).
        byte[] stream = Encoding.UTF8.GetBytes(Stream);
        foreach (var mark in sink.Marks)
        {
            string bytes = Encoding.UTF8.GetString(stream.AsSpan((int)mark.Start, mark.Length));
            Assert.StartsWith("\x1b]", bytes, StringComparison.Ordinal);
            Assert.EndsWith("\a", bytes, StringComparison.Ordinal);
            Assert.Contains(mark.Kind == '7' ? "7;" + mark.Parameters : ";" + mark.Kind, bytes, StringComparison.Ordinal);
        }
        Assert.Equal(stream.Length, sink.Marks[^1].End);
        Assert.Equal(ExpectedText, sink.AllText.ToString());
        // The prompt's text comes between A and B, the command's output between C and D.
        Assert.Contains("M(A:)T($ )M(B:)", sink.Events.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Marks_split_across_chunks_byte_by_byte_are_found_and_the_text_is_unchanged()
    {
        var whole = new Collector();
        new ShellMarkParser(whole).Feed(Encoding.UTF8.GetBytes(Stream));
        var split = new Collector();
        var parser = new ShellMarkParser(split);
        foreach (byte b in Encoding.UTF8.GetBytes(Stream)) parser.Feed([b]);
        Assert.Equal(whole.Marks, split.Marks);
        Assert.Equal(whole.AllText.ToString(), split.AllText.ToString());
        Assert.Equal(6, split.Marks.Count);
    }

    [Fact]
    public void An_escape_inside_an_osc_ends_it_as_text()
    {
        var sink = new Collector();
        new ShellMarkParser(sink).Feed(Encoding.UTF8.GetBytes("a\x1b]133;D\x1b[0mb"));
        Assert.Empty(sink.Marks);
        Assert.Equal("a\x1b]133;D\x1b[0mb", sink.AllText.ToString());
    }

    [Fact]
    public void An_osc_longer_than_the_limit_is_text()
    {
        var sink = new Collector();
        string huge = "\x1b]133;" + new string('x', ShellMarkParser.MaxOscBytes + 10) + "\a";
        new ShellMarkParser(sink).Feed(Encoding.UTF8.GetBytes(huge));
        Assert.Empty(sink.Marks);
        Assert.Equal(huge, sink.AllText.ToString());
    }

    [Theory]
    [InlineData(@"echo a\\b", @"echo a\b")]
    [InlineData(@"for i in 1 2\ndo echo $i\ndone", "for i in 1 2\ndo echo $i\ndone")]
    [InlineData(@"printf '\e[1m'\r", "printf '\x1b[1m'\r")]
    [InlineData(@"bell\a", "bell\a")]
    public void Escaped_command_lines_are_restored(string escaped, string line) => Assert.Equal(line, ShellMarkParser.Unescape(escaped));

    [Fact]
    public void Osc7_paths_are_percent_decoded() => Assert.Equal("/home/me/my dir/100%", ShellMarkParser.PathOfFileUrl("file://host/home/me/my%20dir/100%25"));
}
