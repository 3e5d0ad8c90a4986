using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// The timing of a recorded stream, kept for replay in <c>&lt;session&gt;/timing/&lt;operation-id&gt;.timing</c> in the
/// format of <c>script --log-timing</c> (<c>scriptreplay</c>): one line per chunk read from the pty, "seconds since the
/// previous chunk (or the start)" and "bytes", separated by a space. The byte counts are of the stream as received
/// (before redaction). The terminal's size is kept too, on lines of their own: <c>r SECONDS COLUMNS ROWS</c>, SECONDS
/// counted from the start of the stream (not from the previous line; the chunk lines' delays are unchanged), written
/// at the start (the size the stream began with) and after each resize. A reader of the chunk lines alone skips
/// them (their first field is not a number), so older readers and <c>scriptreplay</c>-style parsers keep working.
/// Writing never fails the recording: on an I/O error the timing is dropped and <see cref="Error"/> says why.
/// Thread-safe: chunks come from the pty's reader, sizes from the SIGWINCH handler.
/// </summary>
internal sealed class StreamTiming : IDisposable
{
    private readonly string _path;
    private StreamWriter? _writer;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _last;
    private bool _failed;
    private readonly Lock _lock = new();

    public StreamTiming(string path)
    {
        _path = path;
        _last = _start;
    }

    /// <summary>The timing file of an operation.</summary>
    public static string PathFor(string sessionDirectory, string operationId) => Path.Combine(sessionDirectory, "timing", operationId + ".timing");

    /// <summary>Why the timing could not be written, if it could not.</summary>
    public string? Error { get; private set; }

    /// <summary>Notes a chunk of <paramref name="length"/> bytes read now.</summary>
    public void Add(int length)
    {
        if (length <= 0) return;
        lock (_lock)
        {
            if (_failed) return;
            long now = Stopwatch.GetTimestamp();
            double delay = Stopwatch.GetElapsedTime(_last, now).TotalSeconds;
            _last = now;
            WriteLine(delay.ToString("0.000000", CultureInfo.InvariantCulture) + " " + length.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Notes the terminal's size now (<c>r SECONDS COLUMNS ROWS</c>).</summary>
    public void AddSize(int columns, int rows)
    {
        if (columns <= 0 || rows <= 0) return;
        lock (_lock)
        {
            if (_failed) return;
            double at = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            WriteLine(string.Create(CultureInfo.InvariantCulture, $"{SizeMark} {at:0.000000} {columns} {rows}"));
        }
    }

    /// <summary>The first field of a size line.</summary>
    public const string SizeMark = "r";

    private void WriteLine(string line)
    {
        try
        {
            if (_writer is null)
            {
                FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(_path)!);
                _writer = new StreamWriter(FileSecurity.OpenAppendPrivateFile(_path, 4096), new UTF8Encoding(false));
            }
            _writer.Write(line);
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

    public void Dispose()
    {
        lock (_lock)
        {
            _failed = true; // a late size (SIGWINCH) after the end writes nothing
            DisposeWriter();
        }
    }

    /// <summary>
    /// The size a recorded stream started with (its first size line, written before any chunk), reading only the
    /// file's first lines; null when there is none (a <c>run</c>, an older recording).
    /// </summary>
    public static (int Columns, int Rows)? FirstSize(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            using var reader = new StreamReader(path, new UTF8Encoding(false));
            for (int i = 0; i < 4 && reader.ReadLine() is { } line; i++)
            {
                string[] parts = line.Split(' ');
                if (parts.Length == 4 && parts[0] == SizeMark
                    && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int columns) && columns > 0
                    && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) && rows > 0)
                {
                    return (columns, rows);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>The sizes of a timing file: (seconds from the stream's start, columns, rows), in order; empty when none.</summary>
    public static IReadOnlyList<(double At, int Columns, int Rows)> ReadSizes(string path)
    {
        var sizes = new List<(double, int, int)>();
        if (!File.Exists(path)) return sizes;
        foreach (string line in File.ReadLines(path))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 4 && parts[0] == SizeMark
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double at)
                && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int columns) && columns > 0
                && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int rows) && rows > 0)
            {
                sizes.Add((Math.Max(0, at), columns, rows));
            }
        }
        return sizes;
    }

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
