using System.Buffers;
using System.Text;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// A shell-integration mark read from the pty stream:
/// <list type="bullet">
/// <item><c>OSC 133 ; A</c> prompt start, <c>; B</c> prompt end (typed input starts), <c>; C</c> command output
/// starts, <c>; D ; status</c> the command ended with that exit status (FinalTerm / VS Code / WezTerm marks);</item>
/// <item><c>OSC 6973 ; E ; operation-id ; command-line</c> (cfsession's private mark, sent just before C): the
/// operation id the shell generated (and exported as <c>CFSESSION_PARENT_ID</c>) and the command line, escaped
/// (<c>\\</c>, <c>\n</c>, <c>\r</c>, <c>\e</c>, <c>\a</c>);</item>
/// <item><c>OSC 6973 ; R ; operation-id</c>: a <c>cfsession run</c> inside the command recorded that operation;</item>
/// <item><c>OSC 7 ; file://host/path</c>: the shell's working directory (percent-encoded).</item>
/// </list>
/// </summary>
/// <param name="Kind">'A', 'B', 'C', 'D', 'E', 'R' or '7'.</param>
/// <param name="Parameters">What follows the kind (and its ';'), e.g. the exit status of D; empty when none.</param>
/// <param name="End">Where the mark's bytes end in the stream fed so far (the offset just after its terminator).</param>
/// <param name="Length">The mark's bytes (from its ESC to its terminator).</param>
internal readonly record struct ShellMark(char Kind, string Parameters, long End = 0, int Length = 0)
{
    /// <summary>Where the mark's bytes start in the stream.</summary>
    public long Start => End - Length;
}

/// <summary>Receives a pty stream split by <see cref="ShellMarkParser"/>: the bytes that are not marks, and the marks.</summary>
internal interface IShellMarkSink
{
    /// <summary>Bytes of the stream that are not cfsession's marks (other escape sequences included), in order.</summary>
    void Text(ReadOnlySpan<byte> bytes);

    /// <summary>A mark, at its place in the stream.</summary>
    void Mark(ShellMark mark);
}

/// <summary>
/// Finds the shell-integration marks (<see cref="ShellMark"/>) in a pty stream fed in chunks of any size (a mark
/// may be split across chunks). OSC 133 and OSC 6973 marks are taken out of the text; OSC 7 is reported and kept in
/// the text (a program may set it); every other byte is text. An OSC longer than <see cref="MaxOscBytes"/> is text.
/// </summary>
internal sealed class ShellMarkParser(IShellMarkSink sink)
{
    /// <summary>The longest OSC read as a possible mark (a command line of up to 64 KiB).</summary>
    public const int MaxOscBytes = 64 * 1024;

    private const byte Esc = 0x1B, Bel = 0x07;

    private enum State { Text, Escape, Osc, OscEscape }

    private readonly ArrayBufferWriter<byte> _pending = new(256); // an escape sequence not yet known to be a mark
    private State _state;
    private long _fed; // bytes fed before the current chunk

    /// <summary>Bytes of the stream held as a possible mark (its start is <see cref="Fed"/> minus this).</summary>
    public int PendingLength => _pending.WrittenCount;

    /// <summary>Bytes fed so far.</summary>
    public long Fed => _fed;

    public void Feed(ReadOnlySpan<byte> data)
    {
        long chunkStart = _fed;
        try
        {
            FeedChunk(data, chunkStart);
        }
        finally
        {
            _fed = chunkStart + data.Length;
        }
    }

    private void FeedChunk(ReadOnlySpan<byte> data, long chunkStart)
    {
        int i = 0, textStart = 0;
        while (i < data.Length)
        {
            switch (_state)
            {
                case State.Text:
                {
                    int k = data[i..].IndexOf(Esc);
                    if (k < 0)
                    {
                        i = data.Length;
                        break;
                    }
                    i += k;
                    sink.Text(data[textStart..i]);
                    Pend(Esc);
                    _state = State.Escape;
                    i++;
                    break;
                }
                case State.Escape:
                    if (data[i] == (byte)']')
                    {
                        Pend((byte)']');
                        _state = State.Osc;
                        i++;
                    }
                    else
                    {
                        FlushPendingAsText(); // not an OSC: the escape is text, and so is what follows
                        textStart = i;
                    }
                    break;
                case State.Osc:
                {
                    int k = data[i..].IndexOfAny(Bel, Esc);
                    if (_pending.WrittenCount + (k < 0 ? data.Length - i : k) > MaxOscBytes)
                    {
                        // Too long for a mark: what was held and what follows are text.
                        FlushPendingAsText();
                        textStart = i;
                        break;
                    }
                    if (k < 0)
                    {
                        _pending.Write(data[i..]);
                        i = data.Length;
                    }
                    else
                    {
                        _pending.Write(data.Slice(i, k));
                        i += k;
                        if (data[i] == Bel)
                        {
                            Pend(Bel);
                            i++;
                            Complete(1, chunkStart + i);
                            textStart = i;
                        }
                        else
                        {
                            Pend(Esc);
                            _state = State.OscEscape;
                            i++;
                        }
                    }
                    break;
                }
                case State.OscEscape:
                    if (data[i] == (byte)'\\')
                    {
                        Pend((byte)'\\');
                        i++;
                        Complete(2, chunkStart + i);
                        textStart = i;
                    }
                    else
                    {
                        // An escape inside an OSC ends it (as in a terminal) and starts a new sequence.
                        var aborted = _pending.WrittenSpan[..^1];
                        sink.Text(aborted);
                        _pending.ResetWrittenCount();
                        Pend(Esc);
                        _state = State.Escape;
                    }
                    break;
            }
        }
        if (_state == State.Text && textStart < data.Length) sink.Text(data[textStart..]);
    }

    private void Pend(byte b)
    {
        var span = _pending.GetSpan(1);
        span[0] = b;
        _pending.Advance(1);
    }

    private void FlushPendingAsText()
    {
        sink.Text(_pending.WrittenSpan);
        _pending.ResetWrittenCount();
        _state = State.Text;
    }

    private void Complete(int terminatorLength, long end)
    {
        var whole = _pending.WrittenSpan;
        var payload = whole[2..^terminatorLength];
        _state = State.Text;
        if (TryReadMark(payload, out var mark, out bool keepAsText))
        {
            sink.Mark(mark with { End = end, Length = whole.Length });
            if (keepAsText) sink.Text(whole);
        }
        else
        {
            sink.Text(whole);
        }
        _pending.ResetWrittenCount();
    }

    private static bool TryReadMark(ReadOnlySpan<byte> payload, out ShellMark mark, out bool keepAsText)
    {
        mark = default;
        keepAsText = false;
        if (payload.StartsWith("133;"u8) && payload.Length >= 5)
        {
            mark = new ShellMark((char)payload[4], Rest(payload[5..]));
            return true;
        }
        if (payload.StartsWith("6973;"u8) && payload.Length >= 6)
        {
            mark = new ShellMark((char)payload[5], Rest(payload[6..]));
            return true;
        }
        if (payload.StartsWith("7;"u8))
        {
            mark = new ShellMark('7', Encoding.UTF8.GetString(payload[2..]));
            keepAsText = true;
            return true;
        }
        return false;
    }

    private static string Rest(ReadOnlySpan<byte> afterKind) => afterKind.Length > 0 && afterKind[0] == (byte)';' ? Encoding.UTF8.GetString(afterKind[1..]) : string.Empty;

    /// <summary>Undoes the hooks' escaping (marks and spool lines): <c>\\</c>, <c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\e</c>, <c>\a</c>.</summary>
    public static string Unescape(string escaped)
    {
        if (!escaped.Contains('\\', StringComparison.Ordinal)) return escaped;
        var text = new StringBuilder(escaped.Length);
        for (int i = 0; i < escaped.Length; i++)
        {
            char c = escaped[i];
            if (c != '\\' || i + 1 == escaped.Length)
            {
                text.Append(c);
                continue;
            }
            char next = escaped[++i];
            text.Append(next switch { 'n' => '\n', 'r' => '\r', 't' => '\t', 'e' => '\x1B', 'a' => '\a', _ => next });
        }
        return text.ToString();
    }

    /// <summary>The path of an OSC 7 <c>file://host/path</c> (percent-decoded); null when it is not one.</summary>
    public static string? PathOfFileUrl(string url)
    {
        if (!url.StartsWith("file://", StringComparison.Ordinal)) return null;
        int slash = url.IndexOf('/', "file://".Length);
        if (slash < 0) return null;
        return Uri.UnescapeDataString(url[slash..]);
    }
}
