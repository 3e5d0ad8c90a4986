using System.Runtime.InteropServices;
using System.Text;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Journal;

/// <summary>
/// <c>journal-changes.log</c> in the data directory: one line <c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c> per writer
/// per segment, appended (O_APPEND, so concurrent writers never overwrite each other) before the writer's first line
/// in that segment. The index's catch-up reads it from the offset it reached last time instead of listing every
/// session directory. Linux only (open(2) is variadic, and only Linux's calling convention is sure to pass its mode as a fixed argument does): elsewhere <see cref="IsSupported"/> is false and catch-up lists directories.
/// </summary>
internal static partial class JournalChangeLog
{
    /// <summary>The file name, in the data directory's root.</summary>
    public const string FileName = "journal-changes.log";

    /// <summary>True where the log is written (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Appends one record; false when it could not (the caller's segment is then found by a full scan only).</summary>
    public static bool Append(string path, string sessionId, string segmentFileName, bool durable)
    {
        if (!IsSupported) return false;
        byte[] record = Encoding.UTF8.GetBytes(sessionId + "/" + segmentFileName + "\n");
        const int flags = 0x1 | 0x40 | 0x400 | 0x80000; // O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC (Linux)
        int fd = Open(path, flags, Convert.ToUInt32("600", 8));
        if (fd < 0) return false;
        try
        {
            // One write() of a line far below PIPE_BUF: with O_APPEND it lands whole at the end, or not at all.
            nint written = Write(fd, record, (nuint)record.Length);
            if (written != record.Length) return false;
            return !durable || Fsync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>
    /// The records of the log at <paramref name="path"/> between byte <paramref name="fromOffset"/> (where the last
    /// reader stopped) and <paramref name="toOffset"/> (its length when the reader began): complete lines only, so a
    /// record being appended (a partial last line) is read next time. The one reader of the log: the index's
    /// catch-up and the team store's sync both read it here.
    /// </summary>
    /// <returns>
    /// The segments named (<c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c>, in log order, repeats kept), how far the
    /// complete records went, and why the log cannot be trusted, if so: shorter than <paramref name="fromOffset"/>
    /// (replaced or truncated), a line that is not a segment record (damaged: the records before it are returned and
    /// <c>Consumed</c> stops at it), or unreadable. With a problem the caller lists the session directories instead.
    /// </returns>
    public static ChangeLogRecords ReadRecords(string path, long fromOffset, long toOffset)
    {
        if (toOffset < fromOffset)
            return new([], toOffset, $"{FileName} is shorter ({toOffset} bytes) than when last read ({fromOffset} bytes): replaced or truncated");
        if (toOffset == fromOffset) return new([], fromOffset, null);
        var segments = new List<string>();
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            if (stream.Length < fromOffset)
                return new([], stream.Length, $"{FileName} is shorter ({stream.Length} bytes) than when last read ({fromOffset} bytes): replaced or truncated");
            stream.Seek(fromOffset, SeekOrigin.Begin);
            byte[] buffer = new byte[toOffset - fromOffset];
            int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            int start = 0;
            while (true)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', start, read - start);
                if (newline < 0) break;
                string record = Encoding.UTF8.GetString(buffer, start, newline - start);
                if (!IsSegmentRecord(record))
                    return new(segments, fromOffset + start, $"{FileName} at byte {fromOffset + start} holds no segment record: damaged");
                segments.Add(record);
                start = newline + 1;
            }
            return new(segments, fromOffset + start, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new([], fromOffset, $"{FileName} cannot be read: {ex.Message}");
        }
    }

    /// <summary>True for <c>&lt;session-id&gt;/&lt;name&gt;.jsonl</c>: a valid session id, one slash, a segment file name.</summary>
    private static bool IsSegmentRecord(string record) =>
        record.Length > 37 + JournalReader.SegmentExtension.Length && record[36] == '/' && DataDirectory.IsValidSessionId(record[..36])
        && record.EndsWith(JournalReader.SegmentExtension, StringComparison.Ordinal) && record.IndexOf('/', 37) < 0;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

/// <summary>What <see cref="JournalChangeLog.ReadRecords"/> read: the segments named, how far, and the problem that makes the log untrustworthy (null when none).</summary>
/// <param name="Segments">The records, <c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c>, in log order.</param>
/// <param name="Consumed">The byte offset after the last complete record read (where the next read starts).</param>
/// <param name="Problem">Why the log cannot be trusted (shortened, damaged, unreadable), in one line; null when it can.</param>
internal sealed record ChangeLogRecords(IReadOnlyList<string> Segments, long Consumed, string? Problem)
{
    /// <summary>The session ids the records name.</summary>
    public IEnumerable<string> SessionIds => Segments.Select(s => s[..36]);
}
