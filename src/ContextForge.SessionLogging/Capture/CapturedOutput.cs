using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Redaction;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Receives one output stream of an operation as it is produced: hashes it (SHA-256 over the exact bytes),
/// counts it, keeps a bounded in-memory head (for the event sample and small inline outputs) and spills the whole
/// stream to a temporary blob file (<see cref="BlobStore.CreateCaptureSpill"/>, a store-only zstd frame that
/// <see cref="BlobStore.Recompact"/> compresses later), so memory
/// stays bounded whatever the size of the output.
/// Not thread-safe: one producer per stream.
/// A null spill directory keeps only the hash, the length and the head (an unrecorded run).
/// With a <see cref="LineRedactor"/>, secrets are replaced line by line before anything is hashed, kept or spilled:
/// the stored bytes, <see cref="Length"/> and the hash are those of the redacted stream.
/// After <see cref="StartPipeline"/> (the capture pumps), the producer only fills pooled chunks of
/// <see cref="PipelineChunkBytes"/> (<see cref="Write"/> copies into one; the pump reads straight into one with
/// <see cref="GetReadBuffer"/> and <see cref="CommitRead"/>) and queues them, at most <see cref="PipelineChunks"/>
/// (2 MiB); the rest runs on worker threads, so reading and showing the output overlap with it. Without redaction one
/// worker hashes, keeps and spills. With redaction there are two stages: a redaction worker, whose output (the chunk
/// itself where no line changed, a pooled copy of what did) goes on a second bounded queue
/// (<see cref="StoreQueueItems"/> items) to a store worker that hashes, keeps and spills it, so a capture costs about
/// its slower stage, not the sum (the spill is a store-only frame: no compression here). Chunks come from the
/// capture's own pool and go back to it: no allocation per chunk once the queues are full, and memory stays bounded.
/// Everything but <see cref="ReceivedLength"/> is read after <see cref="Complete"/>, which drains the queues.
/// With <see cref="UseStreamFile"/> (<c>cfsession shell</c>), every stored byte goes to one raw stream file as it is
/// processed (no blob), and ranges of it (<see cref="BeginRange"/>, <see cref="EndRange"/>: a command's output) are
/// measured in place, in stream order: the offset and length in the stored stream, the SHA-256 of the range's stored
/// bytes, its first bytes and its redactions. A range boundary ends the line being redacted, as the end of a separate
/// capture would.
/// </summary>
internal sealed class CapturedOutput : IDisposable
{
    /// <summary>Outputs up to this size that are valid UTF-8 are stored inline in the journal line.</summary>
    internal const int InlineLimitBytes = 16 * 1024;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _head = new byte[InlineLimitBytes];
    private readonly string? _spillDirectory;
    private BlobStore.Spill? _spill;
    private string? _spillPath;
    private int _headLength;
    private bool _completed;
    private byte[]? _digest;
    private readonly LineRedactor? _redactor;
    private readonly ByteSink _store;

    private readonly long _maxStoredBytes;

    /// <summary>The most chunks queued for the worker: memory stays bounded.</summary>
    internal const int PipelineChunks = 16;

    /// <summary>The size of a chunk handed to the worker.</summary>
    internal const int PipelineChunkBytes = 128 * 1024;

    /// <summary>The most items (pieces of redacted output, markers) queued between the redaction and store stages.</summary>
    internal const int StoreQueueItems = 32;

    /// <summary>
    /// The chunk of a pipe's reader (<c>StartPipeline(pipeReader: true)</c>): 1 MiB, a pipe's whole buffer
    /// (<c>OutputPump.PipeBufferBytes</c>) in one read. Against 128 KiB, a redacted 222 MB pipe capture took 0.283
    /// instead of 0.293 s, best of 20 in one run (benchmarks/results/capture-speed.md): eight times fewer reads,
    /// redaction calls, hand-offs and wake-ups. At most <see cref="PipeStoreQueueItems"/> pieces are queued to the store.
    /// </summary>
    internal const int PipeChunkBytes = 1024 * 1024;

    /// <summary>The store stage's queue of a pipe's reader (pieces of 1 MiB chunks).</summary>
    internal const int PipeStoreQueueItems = 8;

    /// <summary>The chunks of a pipe's reader queued for the worker (without redaction): 4 MiB.</summary>
    internal const int PipeChunks = 4;

    private int _chunkBytes = PipelineChunkBytes;

    // A read buffer with less room than this is handed off first: a pipe's read then gets at least this much.
    private const int MinReadRoom = 32 * 1024;

    private BoundedHandOff<(byte[]? Buffer, int Length, Action? Marker, bool EndsLine)>? _queue;
    // The second stage (redaction on): pieces of output (a chunk, or a pooled copy), markers with the tally at them.
    private BoundedHandOff<(byte[]? Buffer, int Offset, int Length, bool Release, Action? Marker, RedactionTally? Tally)>? _storeQueue;
    private Thread? _storeWorker;
    private readonly ConcurrentQueue<byte[]> _chunkPool = new();
    private RedactionTally? _tallyAtMarker; // on the store worker: the redaction tally where the running marker was queued
    // The redaction worker's output being gathered: a slice of the chunk being redacted, or a pooled copy.
    private byte[]? _pending;
    private int _pendingOffset;
    private int _pendingLength;
    private bool _pendingIsCopy;
    private byte[]? _redacting; // the chunk the redaction worker is on
    private bool _redactingForwarded; // a slice of it went to the store queue
    private ByteSink? _forward;
    private string? _streamPath;
    private FileStream? _streamFile;
    private IncrementalHash? _rangeHash;
    private byte[]? _rangeHead;
    private int _rangeHeadLength;
    private long _rangeStart = -1;
    private RedactionTally? _rangeTallyBefore;

    /// <summary>The first bytes of a range kept for its sample.</summary>
    internal const int RangeHeadBytes = 4096;
    private byte[]? _chunk; // the producer's chunk being filled
    private int _chunkLength;
    private Thread? _worker;
    private volatile Exception? _workerError;

    public CapturedOutput(string streamName, string? spillDirectory, LineRedactor? redactor = null, long? maxStoredBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxStoredBytes ?? 0);
        _maxStoredBytes = maxStoredBytes ?? long.MaxValue;
        StreamName = streamName;
        _spillDirectory = spillDirectory;
        _redactor = redactor;
        _store = Store;
    }

    /// <summary>What redaction replaced in this stream; null when the stream is not redacted.</summary>
    public RedactionTally? Redactions => _redactor?.Tally;

    /// <summary>Bytes received from the producer (before redaction and truncation): the true length of the stream.</summary>
    public long ReceivedLength { get; private set; }

    /// <summary>True when the stream reached the cap and the rest was counted but not stored.</summary>
    public bool Truncated { get; private set; }

    /// <summary>"pty", "stdout", "stderr" or "console".</summary>
    public string StreamName { get; }

    /// <summary>Total bytes stored (after redaction; equal to <see cref="ReceivedLength"/> without it).</summary>
    public long Length { get; private set; }

    /// <summary>A write to the spill file failed; the hash and length are still exact, the bytes beyond the head are lost.</summary>
    public string? SpillError { get; private set; }

    /// <summary>
    /// Stores the stream in the raw file <paramref name="path"/> (created when the first byte is stored) instead of a
    /// blob. Call before the first <see cref="Write"/>.
    /// </summary>
    internal void UseStreamFile(string path)
    {
        if (ReceivedLength > 0 || _completed) throw new InvalidOperationException("The stream file is chosen before the first write.");
        _streamPath = path;
    }

    /// <summary>The raw stream file (<see cref="UseStreamFile"/>), if this capture stores one.</summary>
    internal string? StreamFilePath => _streamPath;

    /// <summary>
    /// A range of the stored stream starts at this point of the stream (after everything written so far). At most one
    /// range is open; a range begun while one is open ends that one first (its result is lost).
    /// </summary>
    internal void BeginRange() => Enqueue(BeginRangeNow, endsLine: true);

    /// <summary>
    /// The open range ends at this point of the stream; <paramref name="ended"/> is called with it once every byte
    /// before this point is stored and in the stream file (on the capture's worker, or on the caller's thread when
    /// the capture is not pipelined). With no open range, an empty range at this point.
    /// </summary>
    internal void EndRange(Action<CapturedRange> ended) => Enqueue(() => ended(EndRangeNow()), endsLine: true);

    /// <summary>
    /// Runs <paramref name="action"/> once everything written so far is stored (on the capture's worker, in stream
    /// order with the range boundaries, or on the caller's thread when the capture is not pipelined).
    /// </summary>
    internal void AfterStored(Action action) => Enqueue(action, endsLine: false);

    // endsLine: the marker is a range boundary, which ends the line being redacted (on the redaction worker, which
    // then passes the marker on with the tally at that point).
    private void Enqueue(Action marker, bool endsLine)
    {
        if (_completed) throw new InvalidOperationException("The capture is complete.");
        if (_queue is null)
        {
            marker();
            return;
        }
        HandOff();
        if (_redactsOnProducer) RedactItem((null, 0, marker, endsLine));
        else _queue.Add((null, 0, marker, endsLine));
    }

    // The tally as of the running marker: on the store worker, the one the redaction worker passed with it.
    private RedactionTally? TallyNow => _storeQueue is not null ? _tallyAtMarker : _redactor?.Tally;

    private void BeginRangeNow()
    {
        if (_rangeStart >= 0) EndRangeNow();
        if (_storeQueue is null) _redactor?.Flush(_store); // the range starts on a fresh line (two stages: flushed already)
        _rangeStart = Length;
        _rangeHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        _rangeHead ??= new byte[RangeHeadBytes];
        _rangeHeadLength = 0;
        if (TallyNow is { } tally) _rangeTallyBefore = tally.Copy();
    }

    private CapturedRange EndRangeNow()
    {
        if (_rangeStart < 0) BeginRangeNow();
        if (_storeQueue is null) _redactor?.Flush(_store);
        FlushStreamFile();
        var range = new CapturedRange(_rangeStart, Length - _rangeStart, Convert.ToHexStringLower(_rangeHash!.GetHashAndReset()),
            _rangeHead.AsSpan(0, _rangeHeadLength).ToArray(), TallyNow is { } tally ? tally.Since(_rangeTallyBefore!) : null, SpillError, Truncated);
        _rangeStart = -1;
        return range;
    }

    private void FlushStreamFile()
    {
        if (_streamFile is null || SpillError is not null) return;
        try
        {
            _streamFile.Flush(flushToDisk: false); // in the OS: readable at once, and it survives our death
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SpillError = ex.Message;
        }
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (_completed) throw new InvalidOperationException("The capture is complete.");
        ReceivedLength += bytes.Length;
        if (_queue is not null)
        {
            if (_workerError is { } error) throw new IOException($"The capture of {StreamName} failed: {error.Message}", error);
            // Small writes (a pty gives ~4 KiB) are gathered into chunks: fewer hand-offs.
            while (!bytes.IsEmpty)
            {
                _chunk ??= RentChunk();
                int n = Math.Min(bytes.Length, _chunk.Length - _chunkLength);
                bytes[..n].CopyTo(_chunk.AsSpan(_chunkLength));
                _chunkLength += n;
                bytes = bytes[n..];
                if (_chunkLength == _chunk.Length) HandOff();
            }
            return;
        }
        Process(bytes);
    }

    /// <summary>True after <see cref="StartPipeline"/>, until the pipeline is finished.</summary>
    public bool IsPipelined => _queue is not null;

    /// <summary>
    /// Pipelined only: room in the chunk being filled (at least 32 KiB, at most a chunk: <see cref="PipelineChunkBytes"/>,
    /// or <see cref="PipeChunkBytes"/> for a pipe's reader) for
    /// the producer to read into; <see cref="CommitRead"/> then counts what was read as written. Saves the copy a
    /// <see cref="Write"/> makes.
    /// </summary>
    public Span<byte> GetReadBuffer()
    {
        if (_queue is null || _completed) throw new InvalidOperationException("GetReadBuffer needs a running pipeline.");
        if (_chunk is not null && _chunk.Length - _chunkLength < MinReadRoom) HandOff();
        _chunk ??= RentChunk();
        return _chunk.AsSpan(_chunkLength);
    }

    /// <summary>The producer put <paramref name="count"/> bytes at the start of the last <see cref="GetReadBuffer"/>.</summary>
    public void CommitRead(int count)
    {
        if (_chunk is null || count < 0 || count > _chunk.Length - _chunkLength) throw new ArgumentOutOfRangeException(nameof(count));
        if (count == 0) return;
        if (_workerError is { } error) throw new IOException($"The capture of {StreamName} failed: {error.Message}", error);
        ReceivedLength += count;
        _chunkLength += count;
        if (_chunkLength == _chunk.Length) HandOff();
    }

    // A chunk from this capture's pool (allocated only while the queues are filling: their bounds bound the pool).
    private byte[] RentChunk() => _chunkPool.TryDequeue(out var chunk) ? chunk : GC.AllocateUninitializedArray<byte>(_chunkBytes);

    private void ReturnChunk(byte[] chunk)
    {
        if (chunk.Length == _chunkBytes) _chunkPool.Enqueue(chunk);
    }

    /// <summary>
    /// From now on, redaction, hashing, the head and the spill run on worker threads fed through bounded queues (with
    /// redaction, two stages: redaction, then hash, head and spill). Call once, before the first <see cref="Write"/>,
    /// from the producer's thread. <paramref name="pipeReader"/>: the producer reads a pipe. Its chunks are a pipe
    /// buffer's size (<see cref="PipeChunkBytes"/>) and, with redaction on, it redacts each chunk itself as it hands it
    /// off, so only hashing, the head and the spill run on a worker: the chunk it has just read is still in its core's
    /// cache, the pipe's 1 MiB buffer keeps the child writing meanwhile, and one hand-off (a thread wake-up per chunk) is
    /// saved; measured in benchmarks/results/capture-speed.md. A pty's reader keeps 128 KiB chunks and the redaction
    /// worker: its buffer is small, and the child would wait while the reader redacts.
    /// </summary>
    public void StartPipeline(bool pipeReader = false)
    {
        if (_queue is not null || _completed) return;
        _chunkBytes = pipeReader ? PipeChunkBytes : PipelineChunkBytes;
        _queue = new BoundedHandOff<(byte[]? Buffer, int Length, Action? Marker, bool EndsLine)>(pipeReader ? PipeChunks : PipelineChunks);
        if (_redactor is not null)
        {
            _storeQueue = new BoundedHandOff<(byte[]? Buffer, int Offset, int Length, bool Release, Action? Marker, RedactionTally? Tally)>(pipeReader ? PipeStoreQueueItems : StoreQueueItems);
            _forward = Forward;
            _storeWorker = new Thread(DrainStore) { IsBackground = true, Name = $"cfsession store {StreamName}" };
            _storeWorker.Start();
            if (pipeReader)
            {
                _redactsOnProducer = true;
                return;
            }
            _worker = new Thread(DrainRedaction) { IsBackground = true, Name = $"cfsession redact {StreamName}" };
        }
        else
        {
            _worker = new Thread(Drain) { IsBackground = true, Name = $"cfsession capture {StreamName}" };
        }
        _worker.Start();
    }

    /// <summary>
    /// Waits until the worker has processed everything written so far and stops it (later writes are processed on the
    /// caller's thread); rethrows what stopped the worker. The pump calls this when its stream ends.
    /// </summary>
    public void FinishPipeline()
    {
        StopPipeline();
        if (_workerError is { } error)
        {
            _workerError = null;
            throw new IOException($"The capture of {StreamName} failed: {error.Message}", error);
        }
    }

    private bool _redactsOnProducer; // StartPipeline(pipeReader: true) with redaction: HandOff redacts on the producer's thread

    private void HandOff()
    {
        if (_chunk is null || _chunkLength == 0) return;
        if (_redactsOnProducer) RedactItem((_chunk, _chunkLength, null, false));
        else _queue!.Add((_chunk, _chunkLength, null, false)); // blocks while the queue is full
        _chunk = null;
        _chunkLength = 0;
    }

    private void Process(ReadOnlySpan<byte> bytes)
    {
        if (_redactor is null) Store(bytes);
        else _redactor.Write(bytes, _store);
    }

    private void Drain()
    {
        while (_queue!.TryTake(out var item))
        {
            var (buffer, length, marker, _) = item;
            try
            {
                if (marker is not null) marker(); // a range boundary runs even after an error: its reader waits for it
                else if (_workerError is null) Process(buffer.AsSpan(0, length));
            }
            catch (Exception ex)
            {
                // Kept for the producer's next write and for Complete; the queue is still drained so it never blocks.
                _workerError = ex;
            }
            finally
            {
                if (buffer is not null) ReturnChunk(buffer);
            }
        }
    }

    // The redaction stage's worker: each item in turn; ends the store stage's queue when its own ends.
    private void DrainRedaction()
    {
        try
        {
            while (_queue!.TryTake(out var item)) RedactItem(item);
            ForwardPending();
        }
        finally
        {
            _storeQueue!.CompleteAdding();
        }
    }

    // One item of the redaction stage (on its worker, or on the producer's thread): a chunk is redacted into Forward; a
    // marker is passed on (a range boundary first ends the line, and carries the tally at that point).
    private void RedactItem((byte[]? Buffer, int Length, Action? Marker, bool EndsLine) item)
    {
        var redactor = _redactor!;
        var (buffer, length, marker, endsLine) = item;
        try
        {
            if (marker is not null)
            {
                if (endsLine && _workerError is null) redactor.Flush(_forward!);
                ForwardPending();
                _storeQueue!.Add((null, 0, 0, false, marker, endsLine ? redactor.Tally.Copy() : null));
            }
            else if (_workerError is null)
            {
                _redacting = buffer;
                _redactingForwarded = false;
                redactor.Write(buffer.AsSpan(0, length), _forward!);
            }
        }
        catch (Exception ex)
        {
            _workerError = ex;
        }
        finally
        {
            if (buffer is not null) ReleaseRedacted(buffer);
        }
    }

    // The redaction worker is done with a chunk: the last slice of it that goes on releases it, or a release item
    // does (after the slices already queued); a chunk nothing was taken from goes back to the pool at once.
    private void ReleaseRedacted(byte[] chunk)
    {
        _redacting = null;
        if (_pending == chunk && !_pendingIsCopy)
        {
            _storeQueue!.Add((chunk, _pendingOffset, _pendingLength, true, null, null));
            _pending = null;
        }
        else if (_redactingForwarded) _storeQueue!.Add((chunk, 0, 0, true, null, null));
        else ReturnChunk(chunk);
    }

    // The redaction's output: a slice of the chunk being redacted goes on as it is (contiguous slices joined); any
    // other bytes (a line gathered across chunks, a redacted line) are copied into a pooled chunk.
    private void Forward(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (_redacting is { } chunk && chunk.AsSpan().Overlaps(bytes, out int offset))
        {
            if (_pending == chunk && !_pendingIsCopy && _pendingOffset + _pendingLength == offset)
            {
                _pendingLength += bytes.Length;
                return;
            }
            ForwardPending();
            (_pending, _pendingOffset, _pendingLength, _pendingIsCopy) = (chunk, offset, bytes.Length, false);
            return;
        }
        while (!bytes.IsEmpty)
        {
            if (_pending is null || !_pendingIsCopy || _pendingLength == _pending.Length)
            {
                ForwardPending();
                (_pending, _pendingOffset, _pendingLength, _pendingIsCopy) = (RentChunk(), 0, 0, true);
            }
            int n = Math.Min(bytes.Length, _pending.Length - _pendingLength);
            bytes[..n].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += n;
            bytes = bytes[n..];
        }
    }

    private void ForwardPending()
    {
        if (_pending is not { } pending) return;
        _pending = null;
        if (pending == _redacting) _redactingForwarded = true;
        _storeQueue!.Add((pending, _pendingOffset, _pendingLength, _pendingIsCopy, null, null));
    }

    // The store stage: hashes, keeps and spills the redacted output, runs markers in stream order.
    private void DrainStore()
    {
        while (_storeQueue!.TryTake(out var item))
        {
            var (buffer, offset, length, release, marker, tally) = item;
            try
            {
                if (marker is not null)
                {
                    _tallyAtMarker = tally;
                    marker(); // runs even after an error: its reader waits for it
                }
                else if (_workerError is null && length > 0) Store(buffer.AsSpan(offset, length));
            }
            catch (Exception ex)
            {
                _workerError = ex;
            }
            finally
            {
                if (release && buffer is not null) ReturnChunk(buffer);
            }
        }
    }

    // Waits for the worker to process everything queued; rethrows what stopped it.
    private void StopPipeline()
    {
        if (_queue is null) return;
        if (!_queue.IsAddingCompleted)
        {
            HandOff();
            _queue.CompleteAdding();
        }
        if (_chunk is not null) ReturnChunk(_chunk);
        _chunk = null;
        if (_redactsOnProducer)
        {
            ForwardPending();
            _storeQueue!.CompleteAdding();
            _redactsOnProducer = false;
        }
        _worker?.Join();
        _storeWorker?.Join();
        _queue = null;
        _storeQueue = null;
        _storeWorker = null;
        _chunkPool.Clear();
    }

    /// <summary>
    /// <see cref="Store"/> takes its bytes in pieces that end on multiples of this in the stored stream: the frame's
    /// blocks (<see cref="BlobStore.StoreOnlyFrame.BlockBytes"/>). A piece is still in the core's cache when it is
    /// copied to the spill after hashing, and a whole block goes to a direct writer in one copy.
    /// </summary>
    internal const int StorePieceBytes = BlobStore.StoreOnlyFrame.BlockBytes;

    private void Store(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int piece = (int)Math.Min(bytes.Length, StorePieceBytes - Length % StorePieceBytes);
            StorePiece(bytes[..piece]);
            bytes = bytes[piece..];
        }
    }

    private void StorePiece(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        if (Length + bytes.Length > _maxStoredBytes)
        {
            // The cap: what is stored (and hashed) ends here; ReceivedLength keeps counting.
            Truncated = true;
            bytes = bytes[..(int)Math.Max(0, _maxStoredBytes - Length)];
            if (bytes.IsEmpty) return;
        }
        _hash.AppendData(bytes);
        Length += bytes.Length;
        if (_rangeStart >= 0)
        {
            _rangeHash!.AppendData(bytes);
            int toRangeHead = Math.Min(bytes.Length, RangeHeadBytes - _rangeHeadLength);
            if (toRangeHead > 0)
            {
                bytes[..toRangeHead].CopyTo(_rangeHead.AsSpan(_rangeHeadLength));
                _rangeHeadLength += toRangeHead;
            }
        }
        if (_streamPath is not null)
        {
            StoreInStreamFile(bytes);
            int toHeadOnly = Math.Min(bytes.Length, _head.Length - _headLength);
            if (toHeadOnly > 0)
            {
                bytes[..toHeadOnly].CopyTo(_head.AsSpan(_headLength));
                _headLength += toHeadOnly;
            }
            return;
        }
        int toHead = Math.Min(bytes.Length, _head.Length - _headLength);
        if (toHead > 0)
        {
            bytes[..toHead].CopyTo(_head.AsSpan(_headLength));
            _headLength += toHead;
        }
        if (Length > InlineLimitBytes && SpillError is null && _spillDirectory is not null)
        {
            try
            {
                if (_spill is null)
                {
                    _spill = BlobStore.CreateCaptureSpill(_spillDirectory);
                    _spillPath = _spill.Path;
                    // The head already holds everything received before this write.
                    _spill.Write(_head.AsSpan(0, _headLength));
                    if (toHead < bytes.Length) _spill.Write(bytes[toHead..]);
                }
                else
                {
                    _spill.Write(bytes);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SpillError = ex.Message;
            }
        }
    }

    private void StoreInStreamFile(ReadOnlySpan<byte> bytes)
    {
        if (SpillError is not null) return;
        try
        {
            if (_streamFile is null)
            {
                FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(_streamPath)!);
                _streamFile = FileSecurity.OpenAppendPrivateFile(_streamPath!, 256 * 1024, deletable: true); // 0600, as blobs
            }
            _streamFile.Write(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SpillError = ex.Message;
        }
    }

    /// <summary>Finishes the stream and returns its SHA-256 as lowercase hex.</summary>
    public string Complete()
    {
        if (!_completed)
        {
            FinishPipeline();
            _redactor?.Flush(_store);
            _completed = true;
            _digest = _hash.GetHashAndReset();
            try { _spill?.Finish(); } catch (IOException ex) { SpillError ??= ex.Message; }
            SpillDirectBytes = _spill?.DirectBytes ?? 0;
            CloseStreamFile(flushToDisk: true);
            DisposeSpill();
        }
        return Convert.ToHexStringLower(_digest!);
    }

    /// <summary>The first bytes of the stream (all of it when <see cref="Length"/> fits the head).</summary>
    public ReadOnlySpan<byte> Head => _head.AsSpan(0, _headLength);

    /// <summary>True when the whole stream is in <see cref="Head"/>.</summary>
    public bool IsWhollyInHead => Length == _headLength;

    /// <summary>Bytes of the spill that went to the disk past the page cache (<see cref="DirectFileWriter"/>), after <see cref="Complete"/>.</summary>
    internal long SpillDirectBytes { get; private set; }

    /// <summary>The temporary (compressed) file holding the whole stream when it outgrew the head; null otherwise.</summary>
    public string? SpillPath => _spillPath;

    /// <summary>The whole stream as text, when it is in the head and is valid UTF-8; null otherwise.</summary>
    public string? TryGetInlineText()
    {
        if (!IsWhollyInHead) return null;
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Head);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The first <paramref name="maxChars"/> characters, decoded leniently (invalid bytes become U+FFFD).</summary>
    public string Sample(int maxChars)
    {
        string text = Encoding.UTF8.GetString(Head);
        return text.Length <= maxChars ? text : text[..maxChars];
    }

    // Disposing flushes what is still buffered: on a full disk that throws, and the error belongs to the capture.
    private void DisposeSpill()
    {
        try { _spill?.Dispose(); } catch (IOException ex) { SpillError ??= ex.Message; }
        _spill = null;
    }

    /// <summary>Deletes the temporary file of a stream that could not be stored (what remains of it frees the disk).</summary>
    public void DiscardSpill()
    {
        StopPipeline();
        DisposeSpill();
        if (_spillPath is not null && File.Exists(_spillPath))
        {
            try { File.Delete(_spillPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private void CloseStreamFile(bool flushToDisk)
    {
        if (_streamFile is null) return;
        try
        {
            if (SpillError is null) _streamFile.Flush(flushToDisk);
            _streamFile.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SpillError ??= ex.Message;
        }
        _streamFile = null;
    }

    public void Dispose()
    {
        DiscardSpill();
        CloseStreamFile(flushToDisk: false); // the stream file is kept: the commands' ranges are in it
        _hash.Dispose();
        _rangeHash?.Dispose();
    }
}

/// <summary>
/// A range of a stored stream (<see cref="CapturedOutput.EndRange"/>): a command's output inside a shell's stream.
/// </summary>
/// <param name="Offset">Where it starts in the stored (redacted) stream.</param>
/// <param name="Length">Its stored bytes.</param>
/// <param name="HashHex">The SHA-256 of those bytes, lowercase hex.</param>
/// <param name="Head">Its first bytes (at most <see cref="CapturedOutput.RangeHeadBytes"/>), for the sample.</param>
/// <param name="Redactions">What redaction replaced inside it; null when the stream is not redacted.</param>
/// <param name="StoreError">Why the stream file could not be written, if it could not.</param>
/// <param name="Truncated">The stream had reached its cap: the range lacks what came after it.</param>
internal sealed record CapturedRange(long Offset, long Length, string HashHex, byte[] Head, RedactionTally? Redactions, string? StoreError, bool Truncated);
