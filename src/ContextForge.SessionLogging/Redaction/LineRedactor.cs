using System.Text;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>Receives bytes (a span cannot be an Action's type argument).</summary>
internal delegate void ByteSink(ReadOnlySpan<byte> bytes);

/// <summary>
/// Redacts one output stream line by line as it is captured. Bytes are buffered up to the end of the line (at most
/// <see cref="MaxLineBytes"/>), decoded 1:1 as Latin-1 so every byte outside a match (invalid UTF-8 included) is
/// passed on exactly, redacted, and passed to the sink. A line longer than the bound has its first
/// <see cref="MaxLineBytes"/> bytes redacted and the rest passed through unredacted, counted in
/// <see cref="RedactionTally.UnredactedLongLines"/>. A PEM private key block spans lines: its body lines become
/// <c>[REDACTED:private_key]</c> (each line kept, its line ending too). Not thread-safe: one producer per stream.
/// </summary>
internal sealed class LineRedactor
{
    /// <summary>The default line bound: 64 KiB.</summary>
    public const int DefaultMaxLineBytes = 64 * 1024;

    private const string PrivateKeyMarker = "[REDACTED:private_key]";
    private readonly SecretRedactor _redactor;
    private readonly byte[] _line;
    private readonly char[] _chars;
    private int _length;
    private bool _passingLongLine;
    private bool _inPrivateKey;

    public LineRedactor(SecretRedactor redactor, int maxLineBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 16);
        _redactor = redactor;
        _line = new byte[maxLineBytes];
        _chars = new char[maxLineBytes];
    }

    /// <summary>The longest line redacted whole.</summary>
    public int MaxLineBytes => _line.Length;

    /// <summary>What was replaced so far.</summary>
    public RedactionTally Tally { get; } = new();

    public void Write(ReadOnlySpan<byte> bytes, ByteSink sink)
    {
        while (!bytes.IsEmpty)
        {
            if (_length == 0 && !_passingLongLine && !_inPrivateKey)
            {
                int passed = PassWholeLines(bytes, sink);
                if (passed > 0)
                {
                    bytes = bytes[passed..];
                    continue;
                }
            }
            int newline = bytes.IndexOf((byte)'\n');
            if (_passingLongLine)
            {
                if (newline < 0)
                {
                    sink(bytes);
                    return;
                }
                sink(bytes[..(newline + 1)]);
                bytes = bytes[(newline + 1)..];
                _passingLongLine = false;
                continue;
            }
            int take = newline < 0 ? bytes.Length : newline + 1;
            int room = _line.Length - _length;
            if (take > room)
            {
                bytes[..room].CopyTo(_line.AsSpan(_length));
                _length += room;
                bytes = bytes[room..];
                EmitLine(sink);
                Tally.UnredactedLongLines++;
                _passingLongLine = true;
                continue;
            }
            bytes[..take].CopyTo(_line.AsSpan(_length));
            _length += take;
            bytes = bytes[take..];
            if (newline >= 0) EmitLine(sink);
        }
    }

    // The fast path: whole lines at the start of bytes, in blocks of at most MaxLineBytes that end at a newline (so no
    // line in a block is over the bound and no keyword straddles two blocks). A block is scanned for candidates over its
    // bytes (SecretRedactor.IndexOfFirstMatch, which widens to chars only the lines it must check); only a line holding a
    // match is redacted, in place, without a copy into the line buffer (the scan stops at the first position where a rule
    // matches; that line is redacted whole). Runs of lines with no match are passed on in one piece. Returns the bytes
    // passed on; stops at a line with no newline within the bound (the slow path buffers it) or at an unterminated key block.
    private int PassWholeLines(ReadOnlySpan<byte> bytes, ByteSink sink)
    {
        int pos = 0, emitted = 0;
        while (pos < bytes.Length)
        {
            var block = bytes.Slice(pos, Math.Min(_chars.Length, bytes.Length - pos));
            int last = block.LastIndexOf((byte)'\n');
            if (last < 0) break;
            block = block[..(last + 1)];
            var chars = _chars.AsSpan(0, block.Length);
            int scan = 0;
            while (scan < block.Length)
            {
                int hit = _redactor.IndexOfFirstMatch(block[scan..], chars[scan..]);
                if (hit < 0) break;
                hit += scan;
                int lineStart = block[..hit].LastIndexOf((byte)'\n') + 1;
                int lineEnd = hit + block[hit..].IndexOf((byte)'\n') + 1;
                // The probe widened the line holding its hit into chars.
                string? redacted = _redactor.Redact(chars[lineStart..lineEnd], Tally, capturedBytes: true);
                if (redacted is not null)
                {
                    if (pos + lineStart > emitted) sink(bytes[emitted..(pos + lineStart)]);
                    sink(Encoding.Latin1.GetBytes(redacted));
                    emitted = pos + lineEnd;
                    if (SecretRedactor.StartsPrivateKeyWithoutEnd(redacted))
                    {
                        _inPrivateKey = true;
                        return emitted;
                    }
                }
                scan = lineEnd;
            }
            pos += block.Length;
        }
        if (pos > emitted) sink(bytes[emitted..pos]);
        return pos;
    }

    /// <summary>Redacts and passes on the last, unterminated line.</summary>
    public void Flush(ByteSink sink)
    {
        if (_length > 0) EmitLine(sink);
    }

    private void EmitLine(ByteSink sink)
    {
        if (!_inPrivateKey)
        {
            // Most lines hold nothing a rule could match: one vectorised scan, no string, bytes passed on as they are.
            int chars = Encoding.Latin1.GetChars(_line, 0, _length, _chars, 0);
            string? redacted = _redactor.Redact(_chars.AsSpan(0, chars), Tally, capturedBytes: true);
            if (redacted is null) sink(_line.AsSpan(0, _length));
            else
            {
                sink(Encoding.Latin1.GetBytes(redacted));
                if (SecretRedactor.StartsPrivateKeyWithoutEnd(redacted)) _inPrivateKey = true;
            }
            _length = 0;
            return;
        }
        string text = Encoding.Latin1.GetString(_line, 0, _length);
        string body = RedactKeyBodyLine(text);
        if (ReferenceEquals(body, text)) sink(_line.AsSpan(0, _length));
        else sink(Encoding.Latin1.GetBytes(body));
        _length = 0;
    }

    // A line inside a private key block: its body becomes the marker, its line ending stays; the END line ends the block.
    private string RedactKeyBodyLine(string line)
    {
        if (_redactor.EndsPrivateKey(line, out _))
        {
            _inPrivateKey = false;
            int end = line.IndexOf("-----END", StringComparison.Ordinal);
            return end == 0 ? line : PrivateKeyMarker + line[end..];
        }
        int body = line.EndsWith("\r\n", StringComparison.Ordinal) ? line.Length - 2 : line.EndsWith('\n') ? line.Length - 1 : line.Length;
        return body == 0 ? line : PrivateKeyMarker + line[body..];
    }
}
