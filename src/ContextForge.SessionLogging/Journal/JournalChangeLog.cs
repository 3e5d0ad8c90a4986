using System.Runtime.InteropServices;
using System.Text;

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

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte[] buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
