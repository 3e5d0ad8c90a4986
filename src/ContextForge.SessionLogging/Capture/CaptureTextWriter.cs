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

    public override void Write(ReadOnlySpan<char> chars)
    {
        lock (gate)
        {
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

/// <summary>Writes everything to two writers: what the person sees, and the capture.</summary>
internal sealed class TeeTextWriter(TextWriter display, TextWriter capture) : TextWriter
{
    public override Encoding Encoding => display.Encoding;

    public override void Write(char value)
    {
        display.Write(value);
        capture.Write(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        display.Write(buffer, index, count);
        capture.Write(buffer, index, count);
    }

    public override void Write(string? value)
    {
        display.Write(value);
        capture.Write(value);
    }

    public override void Write(ReadOnlySpan<char> buffer)
    {
        display.Write(buffer);
        capture.Write(buffer);
    }

    public override void WriteLine(string? value)
    {
        display.WriteLine(value);
        capture.Write(value);
        capture.Write(CoreNewLine);
    }

    public override void Flush()
    {
        display.Flush();
        capture.Flush();
    }
}
