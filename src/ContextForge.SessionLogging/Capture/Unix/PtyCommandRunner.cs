using System.Runtime.InteropServices;
using System.Text;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// Runs a child on a new pseudo-terminal (Linux, posix_spawnp with SETSID, the pty as its controlling terminal), so
/// it behaves exactly as on the user's terminal (colours, line editing, job control keys). The pty stream is shown
/// on our fd 1 and captured as received (the pty's ONLCR gives "\r\n"). Our stdin is put in raw mode (when it is a
/// terminal) and copied to the pty, so Ctrl-C, Ctrl-Z, ... reach the child's side as bytes; it is restored on every
/// exit path. Window size changes (SIGWINCH) are passed on.
/// </summary>
internal sealed class PtyCommandRunner : ICommandRunner
{
    private static readonly Lock s_terminalLock = new();

    public PtyCommandRunner() => LibC.EnsureSupported("The pty command runner");

    /// <summary>The descriptor read as the child's input (0: ours). A test hook.</summary>
    internal int StdinFd { get; init; }

    /// <summary>Where the pty output is shown (our fd 1); -1 shows nothing.</summary>
    internal int DisplayFd { get; init; } = 1;

    /// <summary>The pty's window size when neither <see cref="StdinFd"/> nor <see cref="DisplayFd"/> is a terminal.</summary>
    internal (ushort Rows, ushort Columns)? InitialWindowSize { get; init; }

    /// <summary>Sees every chunk of the pty stream as it is read (<c>cfsession shell</c> splits it into commands).</summary>
    internal IPtyStreamObserver? StreamObserver { get; init; }

    /// <summary>On end of our stdin, send the terminal's VEOF character (^D) once, so the child sees end of input.</summary>
    internal bool SendEofOnStdinEnd { get; init; } = true;

    public Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(primary);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.Factory.StartNew(
            () => Run(command, primary, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private unsafe CommandOutcome Run(CommandSpec command, CapturedOutput primary, CancellationToken cancellationToken)
    {
        int master = -1;
        int wakeRead = -1, wakeWrite = -1;
        byte* saved = null;       // our stdin's termios before raw mode
        byte* ptyTermios = null;
        bool rawApplied = false;
        EventHandler? onExit = null;
        var signals = new List<PosixSignalRegistration>();
        Timer? killTimer = null;
        OutputPump? pump = null;
        Thread? inputThread = null;

        void RestoreTerminal()
        {
            lock (s_terminalLock)
            {
                if (rawApplied)
                {
                    LibC.tcsetattr(StdinFd, LibC.TCSAFLUSH, saved);
                    rawApplied = false;
                }
            }
        }

        // Signals sent to us (not typed: typed keys are bytes in raw mode) go to the child's process group.
        // Registered before the spawn, so none that arrives while the child starts can kill us.
        using var forwarder = new SignalForwarder(LibC.SIGINT, LibC.SIGQUIT, LibC.SIGTERM, LibC.SIGHUP);
        try
        {
            master = LibC.posix_openpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC | LibC.O_NONBLOCK);
            if (master < 0) throw Failure("posix_openpt");
            if (LibC.grantpt(master) != 0) throw Failure("grantpt");
            if (LibC.unlockpt(master) != 0) throw Failure("unlockpt");
            byte* nameBuf = stackalloc byte[256];
            int rc = LibC.ptsname_r(master, nameBuf, 256);
            if (rc != 0) throw new IOException($"ptsname_r failed: {LibC.ErrorMessage(rc)}", rc);
            string slavePath = Marshal.PtrToStringUTF8((IntPtr)nameBuf)!;

            // The terminal we mirror: our stdin if it is one, else our display descriptor.
            int terminalFd = LibC.IsTerminal(StdinFd) ? StdinFd : LibC.IsTerminal(DisplayFd) ? DisplayFd : -1;
            saved = (byte*)NativeMemory.AllocZeroed(LibC.TermiosSize);
            ptyTermios = (byte*)NativeMemory.AllocZeroed(LibC.TermiosSize);
            if (terminalFd >= 0 && LibC.tcgetattr(terminalFd, saved) == 0)
                LibC.tcsetattr(master, LibC.TCSANOW, saved);
            var size = terminalFd >= 0 ? LibC.GetWindowSize(terminalFd) : null;
            if (size is null && InitialWindowSize is { } initial)
                size = new LibC.WinSize { Rows = initial.Rows, Columns = initial.Columns };
            if (size is { } ws)
            {
                LibC.SetWindowSize(master, ws);
                StreamObserver?.WindowSize(ws.Columns, ws.Rows);
            }
            byte eofChar = 4;
            if (LibC.tcgetattr(master, ptyTermios) == 0 && ptyTermios[LibC.TermiosCcOffset + LibC.VEOF] != 0)
                eofChar = ptyTermios[LibC.TermiosCcOffset + LibC.VEOF];

            byte[] slaveZ = Encoding.UTF8.GetBytes(slavePath + "\0");
            var child = UnixChild.Spawn(command, LibC.POSIX_SPAWN_SETSID, actions =>
            {
                void* fa = (void*)actions;
                fixed (byte* s = slaveZ)
                {
                    // Opening the slave first thing after setsid() makes it the controlling terminal.
                    UnixChild.Check(LibC.posix_spawn_file_actions_addopen(fa, 0, s, LibC.O_RDWR, 0), "addopen slave");
                }
                UnixChild.Check(LibC.posix_spawn_file_actions_adddup2(fa, 0, 1), "adddup2 stdout");
                UnixChild.Check(LibC.posix_spawn_file_actions_adddup2(fa, 0, 2), "adddup2 stderr");
            });

            // From here the terminal may be changed: restore it on every way out.
            onExit = (_, _) => RestoreTerminal();
            AppDomain.CurrentDomain.ProcessExit += onExit;
            bool stdinIsTerminal = LibC.IsTerminal(StdinFd);
            if (stdinIsTerminal && LibC.tcgetattr(StdinFd, saved) == 0)
            {
                byte* raw = stackalloc byte[LibC.TermiosSize];
                new Span<byte>(saved, LibC.TermiosSize).CopyTo(new Span<byte>(raw, LibC.TermiosSize));
                LibC.cfmakeraw(raw);
                lock (s_terminalLock)
                {
                    // TCSANOW, not TCSAFLUSH: keys typed (or pasted) before we got here are input for the child.
                    rawApplied = LibC.tcsetattr(StdinFd, LibC.TCSANOW, raw) == 0;
                }
            }

            forwarder.Attach(child);
            // (IsLinux is always true here, the constructor checked; it tells the platform analyzer.)
            if (terminalFd >= 0 && OperatingSystem.IsLinux())
            {
                int m = master;
                var observer = StreamObserver;
                signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ =>
                {
                    if (LibC.GetWindowSize(terminalFd) is { } now)
                    {
                        LibC.SetWindowSize(m, now); // the kernel signals the child
                        observer?.WindowSize(now.Columns, now.Rows);
                    }
                }));
            }
            if (rawApplied && OperatingSystem.IsLinux())
            {
                // Back from a stop (kill -STOP / the outer shell's job control): the shell may have reset the terminal.
                signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGCONT, _ =>
                {
                    byte* again = stackalloc byte[LibC.TermiosSize];
                    new Span<byte>(saved, LibC.TermiosSize).CopyTo(new Span<byte>(again, LibC.TermiosSize));
                    LibC.cfmakeraw(again);
                    lock (s_terminalLock)
                    {
                        if (rawApplied) LibC.tcsetattr(StdinFd, LibC.TCSANOW, again);
                    }
                }));
            }

            (wakeRead, wakeWrite) = LibC.CreatePipe();
            pump = new OutputPump("cfsession pty", master, DisplayFd, primary, child, StreamObserver);
            pump.Start();
            int stdinFd = StdinFd, masterFd = master, wake = wakeRead;
            bool sendEof = SendEofOnStdinEnd;
            inputThread = new Thread(() => CopyInput(stdinFd, masterFd, wake, sendEof ? eofChar : (byte?)null))
            {
                IsBackground = true,
                Name = "cfsession pty input",
            };
            inputThread.Start();

            (int exitCode, int? signal) result;
            using (cancellationToken.Register(() =>
            {
                child.Signal(LibC.SIGHUP);
                child.Signal(LibC.SIGTERM);
                killTimer = new Timer(_ => child.Signal(LibC.SIGKILL), null, PipeCommandRunner.KillGrace, Timeout.InfiniteTimeSpan);
            }))
            {
                result = child.WaitForExit();
            }
            pump.Join();
            pump = null;
            cancellationToken.ThrowIfCancellationRequested();
            return new CommandOutcome(result.exitCode, result.signal, child.ProcessId, "pty");
        }
        finally
        {
            killTimer?.Dispose();
            pump?.Join();
            if (wakeWrite >= 0)
            {
                byte one = 1;
                LibC.write(wakeWrite, &one, 1);
            }
            inputThread?.Join();
            foreach (var s in signals) s.Dispose();
            RestoreTerminal();
            if (onExit is not null) AppDomain.CurrentDomain.ProcessExit -= onExit;
            LibC.CloseQuietly(ref wakeRead);
            LibC.CloseQuietly(ref wakeWrite);
            LibC.CloseQuietly(ref master);
            if (saved is not null) NativeMemory.Free(saved);
            if (ptyTermios is not null) NativeMemory.Free(ptyTermios);
        }
    }

    /// <summary>
    /// Copies our stdin to the pty master until stdin ends (then sends VEOF once) or <paramref name="wakeFd"/> becomes
    /// readable (the run is over). The master is non-blocking, so a child that does not read cannot wedge this thread.
    /// </summary>
    private static unsafe void CopyInput(int stdinFd, int masterFd, int wakeFd, byte? eofChar)
    {
        const int size = 4096;
        byte* buf = stackalloc byte[size];
        var fds = stackalloc LibC.PollFd[2];
        bool stdinOpen = true;
        while (stdinOpen)
        {
            fds[0] = new LibC.PollFd { Fd = stdinFd, Events = LibC.POLLIN };
            fds[1] = new LibC.PollFd { Fd = wakeFd, Events = LibC.POLLIN };
            int ready = LibC.poll(fds, 2, -1);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() == LibC.EINTR) continue;
                return;
            }
            if (fds[1].Revents != 0) return;
            if (fds[0].Revents == 0) continue;
            nint n = LibC.read(stdinFd, buf, size);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is LibC.EINTR or LibC.EAGAIN) continue;
                stdinOpen = false; // EIO: our terminal went away
                continue;
            }
            if (n == 0)
            {
                if (eofChar is { } eof)
                {
                    byte b = eof;
                    if (!WriteToMaster(masterFd, wakeFd, &b, 1)) return;
                }
                stdinOpen = false;
                continue;
            }
            if (!WriteToMaster(masterFd, wakeFd, buf, (int)n)) return;
        }
    }

    private static unsafe bool WriteToMaster(int masterFd, int wakeFd, byte* data, int length)
    {
        var fds = stackalloc LibC.PollFd[2];
        int offset = 0;
        while (offset < length)
        {
            nint n = LibC.write(masterFd, data + offset, (nuint)(length - offset));
            if (n >= 0)
            {
                offset += (int)n;
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR) continue;
            if (errno != LibC.EAGAIN) return false;
            // The pty's input queue is full (the child is not reading): wait for room or for the end of the run.
            fds[0] = new LibC.PollFd { Fd = masterFd, Events = LibC.POLLOUT };
            fds[1] = new LibC.PollFd { Fd = wakeFd, Events = LibC.POLLIN };
            if (LibC.poll(fds, 2, -1) > 0 && fds[1].Revents != 0) return false;
        }
        return true;
    }

    private static IOException Failure(string call)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} failed: {LibC.ErrorMessage(errno)}", errno);
    }
}
