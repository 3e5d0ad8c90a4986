using System.Runtime.InteropServices;
using System.Text;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// A child started with posix_spawnp. Waiting is split in two (waitid with WNOWAIT, then waitpid) so that no signal
/// is ever sent to a pid after it was reaped (and possibly reused): <see cref="Signal"/> and the reap share a lock.
/// </summary>
internal sealed unsafe class UnixChild
{
    private readonly Lock _lock = new();
    private readonly bool _ownProcessGroup;
    private bool _reaped;

    private UnixChild(int pid, bool ownProcessGroup)
    {
        ProcessId = pid;
        _ownProcessGroup = ownProcessGroup;
    }

    public int ProcessId { get; }

    private volatile bool _hasExited;

    /// <summary>Set once the child has exited (before its wait status is collected). Read by the output pumps.</summary>
    public bool HasExited => _hasExited;

    /// <summary>
    /// Spawns <paramref name="command"/> with an empty signal mask and default dispositions for every signal (the .NET
    /// runtime ignores SIGPIPE; a child must not inherit that), plus <paramref name="extraFlags"/>.
    /// <paramref name="addFileActions"/> adds the descriptor setup. Throws <see cref="CommandStartException"/>.
    /// </summary>
    public static UnixChild Spawn(CommandSpec command, short extraFlags, Action<IntPtr> addFileActions)
    {
        ArgumentNullException.ThrowIfNull(command);
        string program = command.Program;
        if (program.Length == 0 || program.Contains('\0', StringComparison.Ordinal))
            throw new CommandStartException($"cfsession: '{program}': command not found", 127);
        string? cwd = string.IsNullOrEmpty(command.WorkingDirectory) ? null : command.WorkingDirectory;
        if (cwd is not null && !Directory.Exists(cwd))
            throw new CommandStartException($"cfsession: cannot change directory to '{cwd}': No such file or directory", 126);

        var argv = new List<string>(command.Arguments.Count + 1) { program };
        argv.AddRange(command.Arguments);
        using var nativeArgv = new NativeStringArray(argv);
        using var nativeEnvp = new NativeStringArray(command.BuildEnvironmentBlock());
        using var nativeProgram = new NativeStringArray([program]);
        using var nativeCwd = new NativeStringArray(cwd is null ? [] : [cwd]);

        byte* attr = (byte*)NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        byte* actions = (byte*)NativeMemory.AllocZeroed(LibC.FileActionsSize);
        byte* mask = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        byte* defaults = (byte*)NativeMemory.AllocZeroed(LibC.SigSetSize);
        bool attrInit = false, actionsInit = false;
        try
        {
            Check(LibC.posix_spawnattr_init(attr), "posix_spawnattr_init");
            attrInit = true;
            Check(LibC.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            actionsInit = true;
            LibC.sigemptyset(mask);
            LibC.sigfillset(defaults);
            Check(LibC.posix_spawnattr_setsigmask(attr, mask), "posix_spawnattr_setsigmask");
            Check(LibC.posix_spawnattr_setsigdefault(attr, defaults), "posix_spawnattr_setsigdefault");
            Check(LibC.posix_spawnattr_setflags(attr, (short)(LibC.POSIX_SPAWN_SETSIGMASK | LibC.POSIX_SPAWN_SETSIGDEF | extraFlags)),
                "posix_spawnattr_setflags");
            addFileActions((IntPtr)actions);
            if (cwd is not null && !string.Equals(Path.GetFullPath(cwd), Environment.CurrentDirectory, StringComparison.Ordinal))
            {
                try
                {
                    Check(LibC.posix_spawn_file_actions_addchdir_np(actions, nativeCwd.Pointer[0]), "posix_spawn_file_actions_addchdir_np");
                }
                catch (EntryPointNotFoundException)
                {
                    throw new CommandStartException(
                        "cfsession: this libc has no posix_spawn_file_actions_addchdir_np (glibc 2.29+ needed) to set the working directory", 126);
                }
            }

            int pid;
            int rc = LibC.posix_spawnp(&pid, nativeProgram.Pointer[0], actions, attr, nativeArgv.Pointer, nativeEnvp.Pointer);
            if (rc != 0) throw StartFailure(program, cwd, rc);
            return new UnixChild(pid, ownProcessGroup: (extraFlags & LibC.POSIX_SPAWN_SETSID) != 0);
        }
        finally
        {
            if (actionsInit) LibC.posix_spawn_file_actions_destroy(actions);
            if (attrInit) LibC.posix_spawnattr_destroy(attr);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
        }
    }

    /// <summary>Adds a file action, throwing when libc refuses it (EBADF for a bad descriptor, ENOMEM).</summary>
    public static void Check(int rc, string call)
    {
        if (rc != 0) throw new IOException($"{call} failed: {LibC.ErrorMessage(rc)}", rc);
    }

    private static CommandStartException StartFailure(string program, string? cwd, int errno) => errno switch
    {
        LibC.ENOENT when !program.Contains('/', StringComparison.Ordinal) =>
            new CommandStartException($"cfsession: {program}: command not found", 127),
        LibC.ENOENT when cwd is not null && !Directory.Exists(cwd) =>
            new CommandStartException($"cfsession: cannot change directory to '{cwd}': No such file or directory", 126),
        LibC.ENOENT or LibC.ENOTDIR =>
            new CommandStartException($"cfsession: {program}: No such file or directory", 127),
        LibC.EACCES =>
            new CommandStartException($"cfsession: {program}: Permission denied", 126),
        LibC.ENOEXEC =>
            new CommandStartException($"cfsession: {program}: cannot execute: Exec format error (no #! line?)", 126),
        _ => new CommandStartException($"cfsession: {program}: cannot execute: {LibC.ErrorMessage(errno)}", 126),
    };

    /// <summary>Sends <paramref name="signal"/> to the child (its whole process group when it leads one), unless it has exited.</summary>
    public void Signal(int signal)
    {
        lock (_lock)
        {
            if (_reaped) return;
            if (_ownProcessGroup && LibC.kill(-ProcessId, signal) == 0) return;
            LibC.kill(ProcessId, signal);
        }
    }

    /// <summary>Blocks until the child exits; returns (exit code or 128+signal, signal). Call once, from one thread.</summary>
    public (int ExitCode, int? Signal) WaitForExit()
    {
        byte* info = stackalloc byte[LibC.SigInfoSize];
        // Wait without reaping, so the pid stays ours while Signal() may still run.
        while (LibC.waitid(LibC.P_PID, ProcessId, info, LibC.WEXITED | LibC.WNOWAIT) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR) continue;
            break; // ECHILD (someone else reaped it): fall through, waitpid reports the same.
        }
        _hasExited = true;
        int status = 0;
        int rc;
        lock (_lock)
        {
            do
            {
                rc = LibC.waitpid(ProcessId, &status, 0);
            }
            while (rc == -1 && Marshal.GetLastPInvokeError() == LibC.EINTR);
            _reaped = true;
        }
        if (rc == -1)
        {
            // Reaped elsewhere (a SIGCHLD handler that reaps all children): the status is lost.
            throw new InvalidOperationException(
                $"The exit status of process {ProcessId} was collected by someone else ({LibC.ErrorMessage(LibC.ECHILD)}).");
        }
        int termSig = status & 0x7f;
        if (termSig == 0) return ((status >> 8) & 0xff, null);
        return (128 + termSig, termSig);
    }

    /// <summary>A null-terminated array of null-terminated UTF-8 strings in native memory.</summary>
    private sealed class NativeStringArray : IDisposable
    {
        private readonly int _count;

        public NativeStringArray(IReadOnlyList<string> items)
        {
            _count = items.Count;
            Pointer = (byte**)NativeMemory.AllocZeroed((nuint)(_count + 1), (nuint)sizeof(byte*));
            for (int i = 0; i < _count; i++)
            {
                string s = items[i];
                int len = Encoding.UTF8.GetByteCount(s);
                byte* p = (byte*)NativeMemory.Alloc((nuint)len + 1);
                Encoding.UTF8.GetBytes(s, new Span<byte>(p, len));
                p[len] = 0;
                Pointer[i] = p;
            }
        }

        public byte** Pointer { get; }

        public void Dispose()
        {
            for (int i = 0; i < _count; i++) NativeMemory.Free(Pointer[i]);
            NativeMemory.Free(Pointer);
        }
    }
}
