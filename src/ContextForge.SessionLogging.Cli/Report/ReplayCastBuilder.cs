using System.Text;
using ContextForge.SessionLogging.Capture;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// Pairs a pty capture's stored bytes with its recorded timing (<see cref="OperationTiming"/>): chunk by chunk, in
/// order, each chunk's bytes decoded as UTF-8 (a sequence split across chunks is joined, invalid bytes are U+FFFD).
/// The stored output may differ from what was timed (redaction changes lengths, the report shows a prefix): chunks
/// take what is there, and any bytes left after the last chunk come at its time.
/// </summary>
internal static class ReplayCastBuilder
{
    /// <summary>Widest and narrowest terminal a replay is given (columns).</summary>
    public const int MinColumns = 80, MaxColumns = 240;

    public static ReplayCast? Build(ReadOnlySpan<byte> output, OperationTiming timing)
    {
        if (output.IsEmpty) return null;
        var decoder = new UTF8Encoding(false, false).GetDecoder();
        var events = new List<(double, string)>();
        double time = 0;
        int at = 0;
        foreach (var (delay, length) in timing.Chunks)
        {
            time += delay;
            if (at >= output.Length) break;
            int take = (int)Math.Min(length, output.Length - at);
            Add(output.Slice(at, take), flush: false);
            at += take;
        }
        Add(output[at..], flush: true);
        if (events.Count == 0) return null;
        string screen = StyledOutput.Decode(output);
        var (columns, rows) = timing.Size is { } recorded
            ? (Math.Clamp(recorded.Columns, 1, 1000), Math.Clamp(recorded.Rows, 1, 1000))
            : Size(screen);
        return new ReplayCast(columns, rows, events);

        void Add(ReadOnlySpan<byte> bytes, bool flush)
        {
            var chars = new char[decoder.GetCharCount(bytes, flush)];
            int n = decoder.GetChars(bytes, chars, flush);
            if (n > 0) events.Add((Math.Round(time, 6), new string(chars, 0, n)));
        }
    }

    /// <summary>
    /// The terminal size the replay uses when the recording kept none (older recordings): as wide as the widest line the screen kept (80 to
    /// 240 columns); as tall as its lines (4 to 24), or 24 when the program used the alternate screen (a full-screen program).
    /// </summary>
    private static (int Columns, int Rows) Size(string text)
    {
        string screen = TerminalRenderer.Render(text);
        string[] lines = screen.Split('\n');
        int widest = lines.Max(l => l.Length);
        bool fullScreen = text.Contains("\e[?1049h", StringComparison.Ordinal) || text.Contains("\e[?47h", StringComparison.Ordinal) || text.Contains("\e[?1047h", StringComparison.Ordinal);
        return (Math.Clamp(widest, MinColumns, MaxColumns), fullScreen ? TerminalRenderer.ScreenRows : Math.Clamp(lines.Length, 4, TerminalRenderer.ScreenRows));
    }
}
