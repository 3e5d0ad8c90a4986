using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Capture.Unix;

/// <summary>
/// Copies one output descriptor of a child (a pipe's read end, or a pty master) with raw read() to a display
/// descriptor (raw write(), every byte as received) and into a <see cref="CapturedOutput"/>, on its own thread.
/// The terminal comes first: each read is written through to the display before it is handed to the capture, and the
/// capture is pipelined (<see cref="CapturedOutput.StartPipeline"/>: this thread reads straight into the capture's
/// pooled chunk, <see cref="CapturedOutput.GetReadBuffer"/>, shows it from there and queues it; the redaction, hash
/// and spill run on the capture's workers). The source is read non-blocking until it is empty, and
/// poll() is called only then, so while output flows a chunk costs one read and one write; a pipe's buffer is grown to
/// <see cref="PipeBufferBytes"/> so that the reads are large.
/// Ends at end of file (read returns 0, or EIO on a pty master whose slave is closed everywhere), or once the child
/// has exited and nothing arrived for <see cref="IdleAfterExit"/>: a background job that keeps the descriptor open
/// must not keep the run going. The shell recorder reuses it: a source descriptor, a display sink, a recorder.
/// </summary>
internal sealed unsafe class OutputPump
{
    /// <summary>How long to keep reading after the child exited when no end of file comes.</summary>
    public static readonly TimeSpan IdleAfterExit = TimeSpan.FromMilliseconds(150);

    private const int BufferSize = 256 * 1024;

    /// <summary>The pipe buffer asked for on a pipe source (the kernel's default is 64 KiB).</summary>
    public const int PipeBufferBytes = 1024 * 1024;
    private const int PollIntervalMs = 50;

    private readonly int _sourceFd;
    private readonly int _displayFd;
    private readonly CapturedOutput _capture;
    private readonly UnixChild _child;
    private readonly Thread _thread;

    private readonly IPtyStreamObserver? _observer;

    public OutputPump(string name, int sourceFd, int displayFd, CapturedOutput capture, UnixChild child, IPtyStreamObserver? observer = null)
    {
        _observer = observer;
        _sourceFd = sourceFd;
        _displayFd = displayFd;
        _capture = capture;
        _child = child;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>What stopped the pump other than end of file (a read error, or the capture throwing).</summary>
    public Exception? Error { get; private set; }

    /// <summary>The errno of the first failed write to the display descriptor (display stopped, capture went on).</summary>
    public int DisplayError { get; private set; }

    public void Start() => _thread.Start();

    public void Join() => _thread.Join();

    private void Run()
    {
        byte[]? buffer = null; // this thread's read buffer, when the bytes are not read into the capture's chunks
        bool displaying = _displayFd >= 0;
        long quietSince = -1; // timestamp from which, with the child gone, no data has arrived
        try
        {
            // Redaction, hashing and the spill run on the capture's worker: this thread only reads, queues and shows.
            // Our end only: the child's end of a pipe stays blocking. (A pty master is opened non-blocking.)
            LibC.SetNonBlocking(_sourceFd);
            bool pipe = LibC.TryGrowPipe(_sourceFd, PipeBufferBytes);
            // A pipe's reader reads 1 MiB chunks and redacts each as it hands it off (the pipe's buffer lets the child
            // write meanwhile); a pty's keeps 128 KiB chunks and the redaction worker (its buffer is small).
            _capture.StartPipeline(pipeReader: pipe);
            // Read straight into the capture's chunk when nothing looks at the bytes on the way (no copy); the shell
            // recorder's observer gets them from this thread's buffer.
            bool direct = _observer is null && _capture.IsPipelined;
            while (true)
            {
                nint n;
                Span<byte> room = direct ? _capture.GetReadBuffer() : buffer ??= GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
                fixed (byte* p = room)
                {
                    n = LibC.read(_sourceFd, p, (nuint)room.Length);
                    if (n > 0)
                    {
                        var data = new ReadOnlySpan<byte>(p, (int)n);
                        if (displaying)
                        {
                            int err = LibC.WriteAll(_displayFd, data);
                            if (err != 0)
                            {
                                // EPIPE (our reader went away) or another error: stop showing, keep capturing.
                                DisplayError = err;
                                displaying = false;
                            }
                        }
                        // After the display: the user sees the output first.
                        if (direct) _capture.CommitRead((int)n);
                        else if (_observer is null) _capture.Write(data);
                        else _observer.Observe(data, _capture);
                        if (_child.HasExited) quietSince = Stopwatch.GetTimestamp();
                        continue;
                    }
                }
                if (n == 0) return;
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR) continue;
                if (errno == LibC.EIO) return; // pty master: no slave left open
                if (errno != LibC.EAGAIN) throw new IOException($"read failed: {LibC.ErrorMessage(errno)}", errno);

                // Nothing to read: wait for more, or, once the child has exited, for IdleAfterExit of quiet.
                var pfd = new LibC.PollFd { Fd = _sourceFd, Events = LibC.POLLIN };
                int ready = LibC.poll(&pfd, 1, PollIntervalMs);
                if (ready < 0)
                {
                    int pollErrno = Marshal.GetLastPInvokeError();
                    if (pollErrno == LibC.EINTR) continue;
                    throw new IOException($"poll failed: {LibC.ErrorMessage(pollErrno)}", pollErrno);
                }
                if (ready == 0)
                {
                    if (!_child.HasExited) continue;
                    if (quietSince < 0) quietSince = Stopwatch.GetTimestamp();
                    else if (Stopwatch.GetElapsedTime(quietSince) >= IdleAfterExit) return;
                }
            }
        }
        catch (Exception ex)
        {
            Error = ex;
        }
        finally
        {
            // Everything read is processed before the runner's Join returns (its callers read the capture then).
            try { _capture.FinishPipeline(); } catch (Exception ex) { Error ??= ex; }
        }
    }
}
