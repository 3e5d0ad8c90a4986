using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// The timing of a recorded stream, kept for replay in <c>&lt;session&gt;/timing/&lt;operation-id&gt;.timing</c> in the
/// format of <c>script --log-timing</c> (<c>scriptreplay</c>): one line per chunk read from the pty, "seconds since the
/// previous chunk (or the start)" and "bytes", separated by a space. The byte counts are of the stream as received
/// (before redaction). Writing never fails the recording: on an I/O error the timing is dropped and
/// <see cref="Error"/> says why.
/// </summary>
internal sealed class StreamTiming : IDisposable
{
    private readonly string _path;
    private StreamWriter? _writer;
    private long _last = Stopwatch.GetTimestamp();
    private bool _failed;

    public StreamTiming(string path) => _path = path;

    /// <summary>The timing file of an operation.</summary>
    public static string PathFor(string sessionDirectory, string operationId) => Path.Combine(sessionDirectory, "timing", operationId + ".timing");

    /// <summary>Why the timing could not be written, if it could not.</summary>
    public string? Error { get; private set; }

    /// <summary>Notes a chunk of <paramref name="length"/> bytes read now.</summary>
    public void Add(int length)
    {
        if (_failed || length <= 0) return;
        long now = Stopwatch.GetTimestamp();
        double delay = Stopwatch.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        try
        {
            if (_writer is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
                _writer = new StreamWriter(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096), new UTF8Encoding(false));
            }
            _writer.Write(delay.ToString("0.000000", CultureInfo.InvariantCulture));
            _writer.Write(' ');
            _writer.Write(length.ToString(CultureInfo.InvariantCulture));
            _writer.Write('\n');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _failed = true;
            Error = ex.Message;
            DisposeWriter();
        }
    }

    private void DisposeWriter()
    {
        try { _writer?.Dispose(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _writer = null;
    }

    public void Dispose() => DisposeWriter();

    /// <summary>Reads a timing file: (seconds since the previous chunk, bytes) per chunk; empty when there is none.</summary>
    public static IReadOnlyList<(double Delay, long Length)> Read(string path)
    {
        var chunks = new List<(double, long)>();
        if (!File.Exists(path)) return chunks;
        foreach (string line in File.ReadLines(path))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0) continue;
            if (double.TryParse(line.AsSpan(0, space), NumberStyles.Float, CultureInfo.InvariantCulture, out double delay)
                && long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long length) && length > 0)
            {
                chunks.Add((Math.Max(0, delay), length));
            }
        }
        return chunks;
    }
}
