using System.Text;

namespace ContextForge.SessionLogging.Capture;

/// <summary>A TextWriter that encodes what it is given as UTF-8 into a <see cref="CapturedOutput"/>. Thread-safe.</summary>
internal sealed class CaptureTextWriter(CapturedOutput output, object gate) : TextWriter
{
    private readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();
    private readonly byte[] _bytes = new byte[8192];

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => Write([value]);

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    /// <summary>Set when the capture has ended; later writes (from a stray thread) are ignored, not thrown.</summary>
    public bool Closed { get; set; }

    public override void Write(ReadOnlySpan<char> chars)
    {
        lock (gate)
        {
            if (Closed) return;
            while (!chars.IsEmpty)
            {
                int take = Math.Min(chars.Length, 2048);
                int n = _encoder.GetBytes(chars[..take], _bytes, flush: false);
                output.Write(_bytes.AsSpan(0, n));
                chars = chars[take..];
            }
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write(CoreNewLine);
    }
}
