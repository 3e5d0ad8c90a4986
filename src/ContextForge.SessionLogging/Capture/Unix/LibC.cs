using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// The few libc calls the native command runners need. Constants are Linux (glibc and musl) on x86_64 and arm64,
/// where the kernel ABI values used here are identical; <see cref="IsSupported"/> guards every other platform.
/// Struct buffers are allocated well above glibc's sizes (spawnattr 336, file_actions 80, sigset 128,
/// termios 60, winsize 8, siginfo 128) so a larger libc layout cannot overrun them.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    /// <summary>True where the constants below are right: Linux on x86_64 or arm64.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() &&
        RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> where <see cref="IsSupported"/> is false.</summary>
    public static void EnsureSupported(string what)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException(
                $"{what} uses Linux libc constants and is supported on Linux x86_64 and arm64 only " +
                $"(this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}); use the Process-based runner.");
        }
    }

    // Generous buffer sizes for opaque libc structs.
    public const int SpawnAttrSize = 1024;
    public const int FileActionsSize = 512;
    public const int SigSetSize = 256;
    public const int TermiosSize = 256;
    public const int SigInfoSize = 256;

    // termios layout (Linux): c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line (1), c_cc[32].
    public const int TermiosCcOffset = 17;
    public const int VEOF = 4;

    // open(2) flags.
    public const int O_RDONLY = 0;
    public const int O_RDWR = 2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    // posix_spawnattr flags.
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    // errno values.
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENOEXEC = 8;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EPIPE = 32;
    public const int ESRCH = 3;

    // Signals.
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    // tcsetattr actions and ioctls.
    public const int TCSANOW = 0;
    public const int TCSAFLUSH = 2;
    public const nuint TIOCGWINSZ = 0x5413;
    public const nuint TIOCSWINSZ = 0x5414;

    // poll.
    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    // waitid / waitpid.
    public const int P_PID = 1;
    public const int WNOHANG = 1;
    public const int WEXITED = 4;
    public const int WNOWAIT = 0x01000000;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    [LibraryImport(Lib, EntryPoint = "posix_openpt", SetLastError = true)]
    public static partial int posix_openpt(int flags);

    [LibraryImport(Lib, EntryPoint = "grantpt", SetLastError = true)]
    public static partial int grantpt(int fd);

    [LibraryImport(Lib, EntryPoint = "unlockpt", SetLastError = true)]
    public static partial int unlockpt(int fd);

    /// <summary>Returns 0 or an errno value (it does not only set errno).</summary>
    [LibraryImport(Lib, EntryPoint = "ptsname_r", SetLastError = true)]
    public static partial int ptsname_r(int fd, byte* buf, nuint buflen);

    /// <summary>Returns 0 or an errno value; errno is not set.</summary>
    [LibraryImport(Lib, EntryPoint = "posix_spawnp")]
    public static partial int posix_spawnp(int* pid, byte* file, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addopen")]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int oflag, uint mode);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclose")]
    public static partial int posix_spawn_file_actions_addclose(void* fileActions, int fd);

    /// <summary>glibc 2.29+, musl 1.1.24+.</summary>
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, byte* path);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "sigemptyset")]
    public static partial int sigemptyset(void* set);

    [LibraryImport(Lib, EntryPoint = "sigfillset")]
    public static partial int sigfillset(void* set);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, EntryPoint = "waitid", SetLastError = true)]
    public static partial int waitid(int idType, int id, void* info, int options);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint read(int fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nuint count);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "isatty")]
    public static partial int isatty(int fd);

    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int tcgetattr(int fd, void* termios);

    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, void* termios);

    [LibraryImport(Lib, EntryPoint = "cfmakeraw")]
    public static partial void cfmakeraw(void* termios);

    /// <summary>ioctl with one pointer argument (variadic in C; a pointer is passed the same way on x86_64/arm64 Linux).</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* arg);

    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint nfds, int timeout);

    /// <summary>True when <paramref name="fd"/> is a terminal. False (not an exception) where libc is unavailable.</summary>
    public static bool IsTerminal(int fd) => fd >= 0 && IsSupported && isatty(fd) == 1;

    /// <summary>The message for an errno value, e.g. "No such file or directory".</summary>
    public static string ErrorMessage(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Closes <paramref name="fd"/> when it is valid, ignoring errors; sets it to -1.</summary>
    public static void CloseQuietly(ref int fd)
    {
        if (fd >= 0)
        {
            close(fd);
            fd = -1;
        }
    }

    /// <summary>
    /// Writes all of <paramref name="data"/> to <paramref name="fd"/>, looping on partial writes, EINTR and (for a
    /// descriptor someone made non-blocking) EAGAIN. Returns 0 on success, otherwise the errno that stopped it.
    /// </summary>
    public static int WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            int offset = 0;
            while (offset < data.Length)
            {
                nint n = write(fd, p + offset, (nuint)(data.Length - offset));
                if (n >= 0)
                {
                    offset += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                if (errno == EAGAIN)
                {
                    var pfd = new PollFd { Fd = fd, Events = POLLOUT };
                    poll(&pfd, 1, 1000);
                    continue;
                }
                return errno;
            }
            return 0;
        }
    }

    private const int F_GETFL = 3;
    private const int F_SETFL = 4;
    private const int F_SETPIPE_SZ = 1031;

    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    /// <summary>Makes <paramref name="fd"/> non-blocking (our own end of a pipe: the child's end is untouched). False on failure.</summary>
    public static bool SetNonBlocking(int fd)
    {
        int flags = fcntl(fd, F_GETFL, 0);
        return flags >= 0 && ((flags & O_NONBLOCK) != 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
    }

    /// <summary>
    /// Asks the kernel for a pipe buffer of <paramref name="bytes"/> (F_SETPIPE_SZ; at most /proc/sys/fs/pipe-max-size,
    /// 1 MiB by default): fewer, larger reads and fewer wake-ups of the writer. False when refused or not a pipe.
    /// </summary>
    public static bool TryGrowPipe(int fd, int bytes) => fcntl(fd, F_SETPIPE_SZ, bytes) >= 0;

    /// <summary>Creates a pipe with O_CLOEXEC on both ends (so no other child inherits them).</summary>
    public static (int Read, int Write) CreatePipe()
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"pipe2 failed: {ErrorMessage(errno)}", errno);
        }
        return (fds[0], fds[1]);
    }

    /// <summary>Reads the window size of a terminal descriptor; null when it is not one.</summary>
    public static WinSize? GetWindowSize(int fd)
    {
        WinSize ws;
        return fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws : null;
    }

    public static bool SetWindowSize(int fd, WinSize ws) => ioctl(fd, TIOCSWINSZ, &ws) == 0;

    /// <summary>O_DIRECT, which differs by architecture: 0x4000 on x86_64, 0x10000 on arm64.</summary>
    private static int O_DIRECT => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 0x10000 : 0x4000;

    public const int EINVAL = 22;

    /// <summary>
    /// Turns O_DIRECT on or off for the open file <paramref name="file"/> (fcntl F_SETFL): its writes then go from the
    /// caller's buffer to the disk, past the page cache, and must be aligned. Returns 0, or the errno (EINVAL where the
    /// file system has no direct I/O); -1 where <see cref="IsSupported"/> is false.
    /// </summary>
    public static int SetDirect(SafeFileHandle file, bool on)
    {
        if (!IsSupported) return -1;
        int flags = fcntl(file, F_GETFL, 0);
        if (flags < 0) return Marshal.GetLastPInvokeError();
        int wanted = on ? flags | O_DIRECT : flags & ~O_DIRECT;
        return wanted == flags || fcntl(file, F_SETFL, wanted) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    // The file-handle overloads: the generated marshaller holds a reference on the handle for the call.
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(SafeFileHandle fd, int cmd, int arg);

    [LibraryImport(Lib, EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite(SafeFileHandle fd, byte* buffer, nint count, long offset);

    /// <summary>
    /// One pwrite(2) of <paramref name="count"/> bytes at <paramref name="buffer"/> to <paramref name="offset"/> of
    /// <paramref name="file"/>: the bytes written (possibly fewer), or -errno.
    /// </summary>
    public static long PWrite(SafeFileHandle file, byte* buffer, int count, long offset)
    {
        nint written = pwrite(file, buffer, count, offset);
        return written >= 0 ? written : -Marshal.GetLastPInvokeError();
    }

    [LibraryImport(Lib, EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    private const uint SYNC_FILE_RANGE_WRITE = 2;

    /// <summary>
    /// Starts the write-back of <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="file"/>
    /// to the disk without waiting for it (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>): a later fsync then has only
    /// what was written since left to flush. Advisory: false where it is not available or fails (the fsync that makes
    /// the file durable still runs and reports any error).
    /// </summary>
    public static bool StartWriteBack(SafeFileHandle file, long offset, long length)
    {
        if (!IsSupported || file.IsInvalid || file.IsClosed) return false;
        try
        {
            return sync_file_range(file, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
