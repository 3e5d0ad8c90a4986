using System.Runtime.InteropServices;
using ContextForge.SessionLogging.Capture.Unix;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Writes a file front to back past the page cache (Linux O_DIRECT), behind the caller: <see cref="Write"/> copies into
/// one of <see cref="Buffers"/> aligned buffers of <see cref="BufferBytes"/>, and a full one goes to a writer thread
/// that waits on the disk while the caller goes on. A capture's spill is written this way: the kernel then neither
/// copies its bytes into the page cache nor writes them back later, which was a fifth of a pipe capture's CPU
/// (benchmarks/results/capture-speed.md, round 5), and a large capture no longer evicts the user's cached files.
/// The bytes that do not fill a whole <see cref="Alignment"/> at the end (and all of a file smaller than one buffer)
/// are written through the page cache by <see cref="Finish"/>; a file system or offset that refuses direct writes
/// (EINVAL) is written through the page cache from then on (<see cref="FellBack"/>). Either way the file holds exactly
/// the bytes written, and the caller's fsync makes them durable. Errors surface at the next <see cref="Write"/> or at
/// <see cref="Finish"/>. One producer thread.
/// </summary>
internal sealed unsafe class DirectFileWriter : IDisposable
{
    /// <summary>The size of each buffer, and of each direct write.</summary>
    internal const int BufferBytes = 1 << 20;

    /// <summary>The alignment of the buffers and of every direct write's offset and length (a page: above any disk's sector).</summary>
    internal const int Alignment = 4096;

    /// <summary>
    /// Buffers: one being filled while the others are written. One writer thread, so one write in flight: two (a second
    /// writer) raised this machine's virtio disk from 1.3-1.6 to 1.9-2.0 GB/s (dd) but not the capture, whose median
    /// went from 0.283 to 0.295 s with more CPU (benchmarks/results/capture-speed.md, round 5).
    /// </summary>
    internal const int Buffers = 3;

    private readonly SafeFileHandle _file;
    private readonly BoundedHandOff<(nint Buffer, int Length, long Offset)> _toWrite = new(Buffers);
    private readonly BoundedHandOff<nint> _free = new(Buffers);
    private readonly List<nint> _allocated = [];
    private nint _current;
    private int _currentLength;
    private long _offset;
    private Thread? _writer;
    private volatile Exception? _error;
    private volatile bool _direct = true;
    private bool _finished;

    private DirectFileWriter(SafeFileHandle file, long offset)
    {
        _file = file;
        _offset = offset;
    }

    /// <summary>
    /// A writer appending to <paramref name="file"/> at <paramref name="offset"/> with O_DIRECT turned on, or null where
    /// that is not possible (not Linux, or the file system refuses it): write through the page cache then.
    /// </summary>
    public static DirectFileWriter? TryStart(SafeFileHandle file, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return LibC.SetDirect(file, on: true) == 0 ? new DirectFileWriter(file, offset) : null;
    }

    /// <summary>Bytes that went to the disk by direct writes (the rest went through the page cache).</summary>
    public long DirectBytes { get; private set; }

    /// <summary>A direct write was refused (EINVAL) and the writer went on through the page cache.</summary>
    public bool FellBack => !_direct;

    /// <summary>Queues <paramref name="bytes"/>; throws the <see cref="IOException"/> that stopped an earlier write.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        ThrowIfFailed();
        while (!bytes.IsEmpty)
        {
            if (_current == 0) _current = NextBuffer();
            int n = Math.Min(bytes.Length, BufferBytes - _currentLength);
            bytes[..n].CopyTo(new Span<byte>((byte*)_current + _currentLength, n));
            _currentLength += n;
            bytes = bytes[n..];
            if (_currentLength == BufferBytes) Submit();
        }
    }

    /// <summary>
    /// Writes what is left and waits for every write: the aligned part directly, the last few bytes through the page
    /// cache. Throws the <see cref="IOException"/> that stopped a write. The caller then fsyncs the file.
    /// </summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            // The aligned bytes of the last buffer go as the others did (none when nothing was written yet: a file
            // smaller than one buffer goes through the page cache whole); the rest, under 4 KiB, waits for them. It
            // stays in the buffer, which the writer only reads and Dispose frees.
            byte* tail = (byte*)_current;
            int tailLength = _currentLength;
            if (_writer is not null && tailLength > 0)
            {
                int aligned = tailLength & ~(Alignment - 1);
                tail += aligned;
                tailLength -= aligned;
                _currentLength = aligned;
                if (aligned > 0) Submit();
            }
            StopWriter();
            ThrowIfFailed();
            LibC.SetDirect(_file, on: false);
            WriteAll(tail, tailLength, _offset, direct: false);
        }
        finally
        {
            Dispose();
        }
    }

    private nint NextBuffer()
    {
        if (_allocated.Count < Buffers)
        {
            nint buffer = (nint)NativeMemory.AlignedAlloc((nuint)BufferBytes, Alignment);
            _allocated.Add(buffer);
            return buffer;
        }
        _free.TryTake(out var free); // one comes back after each write, failed or not
        return free;
    }

    private void Submit()
    {
        if (_writer is null)
        {
            _writer = new Thread(WriteQueued) { IsBackground = true, Name = "cfsession blob writer" };
            _writer.Start();
        }
        _toWrite.Add((_current, _currentLength, _offset));
        _offset += _currentLength;
        _current = 0;
        _currentLength = 0;
    }

    private void WriteQueued()
    {
        while (_toWrite.TryTake(out var item))
        {
            try
            {
                if (_error is null) WriteAll((byte*)item.Buffer, item.Length, item.Offset, _direct);
            }
            catch (Exception ex)
            {
                _error = ex;
            }
            finally
            {
                _free.Add(item.Buffer);
            }
        }
    }

    private void WriteAll(byte* bytes, int length, long offset, bool direct)
    {
        while (length > 0)
        {
            long written = LibC.PWrite(_file, bytes, length, offset);
            if (written == -LibC.EINTR) continue;
            if (written == -LibC.EINVAL && direct)
            {
                // This file system or offset takes no direct write: the page cache from now on.
                LibC.SetDirect(_file, on: false);
                _direct = direct = false;
                continue;
            }
            if (written < 0) throw new IOException($"write failed: {LibC.ErrorMessage((int)-written)}", (int)-written);
            if (written == 0) throw new IOException("write failed: no byte was written");
            if (direct) DirectBytes += written;
            bytes += written;
            length -= (int)written;
            offset += written;
        }
    }

    private void ThrowIfFailed()
    {
        if (_error is { } error) throw error as IOException ?? new IOException(error.Message, error);
    }

    private void StopWriter()
    {
        if (_writer is null) return;
        _toWrite.CompleteAdding();
        _writer.Join();
        _writer = null;
    }

    /// <summary>Stops the writer (what is queued is still written) and frees the buffers; the file stays open.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        StopWriter();
        foreach (nint buffer in _allocated) NativeMemory.AlignedFree((void*)buffer);
        _allocated.Clear();
        _current = 0;
    }
}
