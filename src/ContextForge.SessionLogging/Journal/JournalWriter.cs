using System.Buffers;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Security.Cryptography;
using System.Text.Json;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Journal;

/// <summary>How hard the journal pushes each line to disk.</summary>
public enum JournalDurability
{
    /// <summary>write() per event: survives a crash of the process, not of the machine.</summary>
    Flush,
    /// <summary>write() and fsync per event (the default): an acknowledged event survives a power loss.</summary>
    FsyncPerEvent,
    /// <summary>
    /// write() per event and one fsync per interval (<see cref="Sessions.SessionLoggingOptions.FsyncInterval"/>) while
    /// there is unsynced data, and on close: survives a process crash; a power loss loses at most one interval.
    /// </summary>
    FsyncPerInterval,
}

/// <summary>
/// Appends events to a journal segment. A session's writer (<see cref="ForSession"/>) appends to the session's shared
/// segment <c>journal.jsonl</c> under a short advisory lock, held for one append only: under it the writer reads the
/// file's actual tail (its last line's hash and sequence; a torn tail left by a killed writer is cut off, it was never
/// acknowledged) and continues the hash chain from it. A writer that cannot take the lock within
/// <see cref="LockTimeout"/> moves to a segment of its own for the rest of its life, so nobody waits long. Before its
/// first event in a segment a writer appends a <c>Writer</c> line with its provenance; its events refer to it.
/// A failed write is counted as dropped, never thrown.
/// </summary>
internal sealed class JournalWriter : ISessionEventSink, IDisposable
{
    /// <summary>The shared segment of a session.</summary>
    public const string SharedSegmentFileName = "journal" + JournalReader.SegmentExtension;

    /// <summary>How long a writer tries to take the shared segment's lock before it writes a segment of its own.</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMilliseconds(200);

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };
    private static readonly JsonEncodedText VersionName = JsonEncodedText.Encode(JournalLine.Version);
    private static readonly JsonEncodedText EventName = JsonEncodedText.Encode(JournalLine.Event);
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode(JournalLine.Timestamp);
    private static readonly JsonEncodedText SessionIdName = JsonEncodedText.Encode(JournalLine.SessionId);
    private static readonly JsonEncodedText SequenceName = JsonEncodedText.Encode(JournalLine.Sequence);
    private static readonly JsonEncodedText LevelName = JsonEncodedText.Encode(JournalLine.Level);
    private static readonly JsonEncodedText KeywordsName = JsonEncodedText.Encode(JournalLine.Keywords);
    private static readonly JsonEncodedText ActivityIdName = JsonEncodedText.Encode(JournalLine.ActivityId);
    private static readonly JsonEncodedText PreviousHashName = JsonEncodedText.Encode(JournalLine.PreviousHash);
    private static readonly JsonEncodedText ProvenanceRefName = JsonEncodedText.Encode(JournalLine.ProvenanceRef);
    private static readonly JsonEncodedText DerivedName = JsonEncodedText.Encode(JournalLine.Derived);
    private static readonly JsonEncodedText OperationRefName = JsonEncodedText.Encode(JournalLine.OperationRef);
    private static readonly JsonEncodedText ProvenanceName = JsonEncodedText.Encode(JournalFields.Provenance);
    private readonly object _gate = new();
    // Reused for every append (under _gate): the buffer holds the line(s) + newline(s), written with one write().
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly char[] _previousHash = JournalLine.GenesisHash.ToCharArray();
    private IncrementalHash? _hasher;
    private readonly JournalDurability _durability;
    private readonly TimeSpan _fsyncInterval;
    private readonly Sessions.DataDirectory? _data;
    private readonly string? _sessionId;
    private Timer? _fsyncTimer;
    private bool _unsynced;
    private int _groupCommitDepth;
    private long _groupCommitPending;
    private FileStream? _stream;
    private bool _shared;
    // The file's length after this writer's last append (-1: unknown): when the file is longer, someone else appended.
    private long _end = -1;
    private long _sequence;
    // This writer's Writer line in the current segment (its seq; 0 before it is written) and the provenance it holds.
    private long _writerLineSeq;
    private JsonObject? _writerProvenance;
    // The segment's first line when it is a full Writer line: later Writer lines are written as deltas against it.
    private WriterLine? _base;
    private bool _baseRead;
    private string? _writerSessionId;
    // This writer's OperationStarted lines in the current segment whose capture has not been written yet: operation id -> (seq, start fields).
    private readonly Dictionary<string, (long Seq, JsonObject Fields)> _started = new(StringComparer.Ordinal);
    private long _received, _stored, _dropped;
    private string? _lastError;

    /// <summary>A writer of its own segment at <paramref name="segmentPath"/> (created on the first event; no lock, no change log).</summary>
    public JournalWriter(string segmentPath, JournalDurability durability, TimeSpan? fsyncInterval = null)
    {
        SegmentPath = segmentPath;
        SegmentName = Path.GetFileNameWithoutExtension(segmentPath);
        _durability = durability;
        _fsyncInterval = fsyncInterval ?? TimeSpan.FromSeconds(1);
        if (_fsyncInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(fsyncInterval), "the fsync interval must be positive");
        _json = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    private JournalWriter(Sessions.DataDirectory data, string sessionId, bool shared, JournalDurability durability, TimeSpan? fsyncInterval)
        : this(shared ? Path.Combine(data.SessionDirectory(sessionId), SharedSegmentFileName) : data.NewSegmentPath(sessionId), durability, fsyncInterval)
    {
        _data = data;
        _sessionId = sessionId;
        _shared = shared;
    }

    /// <summary>
    /// The writer of a session's process: appends to the session's shared segment where advisory locks can be trusted
    /// (Linux and macOS, unless .NET's file locking is turned off), else to a segment of its own.
    /// </summary>
    public static JournalWriter ForSession(Sessions.DataDirectory data, string sessionId, JournalDurability durability, TimeSpan? fsyncInterval = null) =>
        new(data, sessionId, SharedSegmentsSupported, durability, fsyncInterval);

    /// <summary>
    /// The lock is .NET's own: a file opened with <see cref="FileShare.None"/> holds <c>flock(LOCK_EX)</c>, released
    /// when the file is closed or the process dies. Turning file locking off (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>)
    /// would make it a no-op, so then every writer keeps its own segment.
    /// </summary>
    internal static bool SharedSegmentsSupported =>
        (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        && !(AppContext.TryGetSwitch("System.IO.DisableFileLocking", out bool off) && off)
        && Environment.GetEnvironmentVariable("DOTNET_SYSTEM_IO_DISABLEFILELOCKING") is not ("1" or "true");

    public string SegmentPath { get; private set; }

    public string SegmentName { get; private set; }

    private bool _sharedWithOthers;

    /// <summary>True when another writer's line is in this writer's segment (its own counts are then not the session's).</summary>
    public bool SharedWithOthers
    {
        get
        {
            lock (_gate)
            {
                if (_sharedWithOthers) return true;
                // Not written yet: any line already in the segment is another writer's.
                if (_stream is null) return File.Exists(SegmentPath) && new FileInfo(SegmentPath).Length > 0;
                try { return RandomAccess.GetLength(_stream.SafeFileHandle) != _end; }
                catch (IOException) { return true; }
            }
        }
    }

    public SinkStatistics Statistics
    {
        get { lock (_gate) return new SinkStatistics("journal", _received, _stored, _dropped, _lastError); }
    }

    public void Emit(SessionEvent sessionEvent)
    {
        lock (_gate)
        {
            _received++;
            bool wroteWriterLine = false;
            try
            {
                FileStream? held = _shared ? AcquireLock() : null;
                try
                {
                    _stream ??= OpenSegment();
                    long length = CatchUpWithTail();
                    var provenance = sessionEvent.Fields[JournalFields.Provenance] as JsonObject;
                    _buffer.ResetWrittenCount();
                    Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
                    _hasher ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    long sequence = _sequence;
                    if (provenance is not null && _writerLineSeq == 0)
                    {
                        if (_data is not null && _sessionId is not null && JournalChangeLog.IsSupported)
                            JournalChangeLog.Append(_data.ChangeLogPath, _sessionId, SegmentName + JournalReader.SegmentExtension, durable: length == 0 && _durability != JournalDurability.Flush);
                        sequence++;
                        var baseLine = length == 0 ? null : BaseLine(length);
                        AppendLine(json => WriteWriterLine(json, sessionEvent, sequence, _previousHash, provenance, baseLine), digest, JournalLine.WriterEvent);
                        _writerProvenance = provenance;
                        wroteWriterLine = true;
                    }
                    long writerSeq = wroteWriterLine ? sequence : _writerLineSeq;
                    long eventSequence = ++sequence;
                    string? operationId = sessionEvent.Fields[JournalFields.OperationId] is JsonValue ov && ov.TryGetValue(out string? o) ? o : null;
                    long startSeq = operationId is not null && sessionEvent.Name == SessionEventNames.TerminalCapture && _started.TryGetValue(operationId, out var start)
                        && JournalCompaction.SharesStartFields(sessionEvent, start.Fields) ? start.Seq : 0;
                    AppendLine(json => WriteLine(json, sessionEvent, eventSequence, _previousHash, provenance is null ? 0 : writerSeq, _writerProvenance, wroteWriterLine ? sessionEvent.SessionId : _writerSessionId, startSeq), digest, sessionEvent.Name);
                    // One write() of the line(s) with their newlines, at the file's end, under the lock: a concurrent
                    // reader sees whole lines or a torn tail, never a mix, and no two writers interleave.
                    try
                    {
                        RandomAccess.Write(_stream.SafeFileHandle, _buffer.WrittenSpan, length);
                    }
                    catch (IOException)
                    {
                        // A write that failed part way (a full disk) must not leave a torn line: cut back to the last
                        // whole one while the lock is still held (after it, another writer may have appended).
                        try { _stream.SetLength(length); }
                        catch (IOException) { }
                        throw;
                    }
                    _end = length + _buffer.WrittenCount;
                    if (wroteWriterLine)
                    {
                        _writerLineSeq = writerSeq;
                        _writerSessionId = sessionEvent.SessionId;
                        if (length == 0) (_base, _baseRead) = (new WriterLine(writerSeq, provenance!, sessionEvent.ActivityId, sessionEvent.SessionId), true);
                    }
                    _sequence = eventSequence;
                    if (operationId is not null && sessionEvent.Name == SessionEventNames.OperationStarted && JournalCompaction.StartFieldsOf(sessionEvent.Fields) is { } startFields)
                        _started[operationId] = (eventSequence, startFields);
                    else if (operationId is not null && sessionEvent.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed)
                        _started.Remove(operationId);
                    sessionEvent.Sequence = eventSequence;
                    sessionEvent.Segment = SegmentName;
                }
                finally
                {
                    held?.Dispose();
                }
                // The fsync is outside the lock: it makes this writer's lines durable whoever wrote after them.
                if (_durability == JournalDurability.FsyncPerEvent && _groupCommitDepth == 0) _stream.Flush(flushToDisk: true);
                else if (_durability == JournalDurability.FsyncPerEvent)
                {
                    _unsynced = true;
                    _groupCommitPending++;
                }
                else if (_durability == JournalDurability.FsyncPerInterval)
                {
                    _unsynced = true;
                    _fsyncTimer ??= new Timer(static state => ((JournalWriter)state!).SyncIfNeeded(), this, _fsyncInterval, _fsyncInterval);
                }
                _stored++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _dropped++;
                _lastError = ex.Message;
                // Whatever reached the file is read back from its tail next time.
                _end = -1;
                if (wroteWriterLine) _writerLineSeq = 0;
            }
        }
    }

    /// <summary>Serialises one line into the buffer with its newline, and chains the hash to it.</summary>
    private void AppendLine(Action<Utf8JsonWriter> write, Span<byte> digest, string eventName)
    {
        int from = _buffer.WrittenCount;
        _json.Reset(_buffer);
        write(_json);
        _json.Flush();
        int lineLength = _buffer.WrittenCount - from;
        if (lineLength > InputLimits.MaxJournalLineBytes)
            throw new IOException($"{eventName} event of {lineLength} bytes is over the {InputLimits.MaxJournalLineBytes}-byte journal line limit; not written");
        _hasher!.AppendData(_buffer.WrittenSpan.Slice(from, lineLength));
        _hasher.GetHashAndReset(digest);
        Convert.TryToHexStringLower(digest, _previousHash, out _);
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    /// <summary>
    /// Takes the shared segment's lock (a lock file under <c>sessions/.locks/</c>, one of 256 chosen by the session
    /// id, so no session gains a file for it), or, when it cannot within <see cref="LockTimeout"/>, moves this writer to
    /// a segment of its own and returns null.
    /// </summary>
    private FileStream? AcquireLock()
    {
        string lockPath = _data!.SegmentLockPath(_sessionId!);
        var deadline = Stopwatch.GetTimestamp() + (long)(LockTimeout.TotalSeconds * Stopwatch.Frequency);
        bool created = false;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                return new FileStream(lockPath, options);
            }
            catch (DirectoryNotFoundException) when (!created)
            {
                FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(lockPath)!);
                created = true;
            }
            catch (IOException) when (Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(1);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                MoveToOwnSegment();
                return null;
            }
        }
    }

    private void MoveToOwnSegment()
    {
        if (_stream is not null)
        {
            if (_unsynced)
            {
                try { _stream.Flush(flushToDisk: true); }
                catch (IOException ex) { _lastError = ex.Message; }
            }
            _stream.Dispose();
            _stream = null;
        }
        _shared = false;
        SegmentPath = _data!.NewSegmentPath(_sessionId!);
        SegmentName = Path.GetFileNameWithoutExtension(SegmentPath);
        _end = -1;
        // A new segment starts a new chain: its first line has seq 1 and points at the genesis hash.
        _sequence = 0;
        JournalLine.GenesisHash.CopyTo(_previousHash);
        _writerLineSeq = 0;
        _writerProvenance = null;
        (_base, _baseRead) = (null, false);
        // Their start lines are in the segment left behind: a capture written here holds its fields itself.
        _started.Clear();
    }

    /// <summary>
    /// The segment's base Writer line (its first line, when that is a full format-2 Writer line), read once per
    /// segment under the lock; null for a segment begun in format 1 or by anything else.
    /// </summary>
    private WriterLine? BaseLine(long length)
    {
        if (_baseRead) return _base;
        _baseRead = true;
        byte[] head = new byte[(int)Math.Min(length, 16 * 1024)];
        int read = RandomAccess.Read(_stream!.SafeFileHandle, head, 0);
        int newline = head.AsSpan(0, read).IndexOf((byte)'\n');
        if (newline < 0) return null;
        try
        {
            var parsed = JournalReader.ParseLine(head.AsSpan(0, newline), new SegmentContext(SegmentName));
            _base = parsed.Writer is { IsDelta: false } w && w.Sequence == 1 ? w : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            _base = null;
        }
        return _base;
    }

    /// <summary>
    /// Brings the chain state up to the file's actual end (under the lock): when someone else appended since this
    /// writer's last line, the last line's hash and sequence are read from the file; a torn tail (a writer killed
    /// mid-write: never acknowledged) is cut off first. Returns the length to append at.
    /// </summary>
    private long CatchUpWithTail()
    {
        var handle = _stream!.SafeFileHandle;
        long length = RandomAccess.GetLength(handle);
        if (length == _end) return length;
        // A file that was not empty when first opened, or grew past this writer's last line: another writer's lines.
        if (length > 0 && !(_end == -1 && _sequence > 0)) _sharedWithOthers = true;
        var tail = JournalTail.Read(handle, length);
        if (tail.CompleteLength != length)
        {
            _stream.SetLength(tail.CompleteLength);
            length = tail.CompleteLength;
        }
        tail.Hash.CopyTo(_previousHash);
        _sequence = tail.Sequence;
        _end = length;
        return length;
    }

    /// <summary>
    /// Group commit: under <see cref="JournalDurability.FsyncPerEvent"/>, lines emitted until the returned scope is
    /// disposed are fsynced together when it ends (one fsync instead of one per line). Use it only where no one is
    /// told an event is stored before the scope ends (e.g. a run's last capture and SessionEnd).
    /// </summary>
    internal IDisposable GroupCommit()
    {
        lock (_gate) _groupCommitDepth++;
        return new GroupCommitScope(this);
    }

    private void EndGroupCommit()
    {
        lock (_gate)
        {
            if (--_groupCommitDepth > 0 || _groupCommitPending == 0 || _stream is null) return;
            try
            {
                _stream.Flush(flushToDisk: true);
            }
            catch (IOException ex)
            {
                // Not durable: count the group's lines as dropped, as a failed per-event fsync would have.
                _stored -= _groupCommitPending;
                _dropped += _groupCommitPending;
                _lastError = ex.Message;
            }
            _groupCommitPending = 0;
            _unsynced = false;
        }
    }

    private sealed class GroupCommitScope(JournalWriter writer) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) writer.EndGroupCommit();
        }
    }

    /// <summary>The interval timer's work: fsync once if anything was written since the last fsync.</summary>
    internal void SyncIfNeeded()
    {
        lock (_gate)
        {
            if (!_unsynced || _stream is null) return;
            try
            {
                _stream.Flush(flushToDisk: true);
                _unsynced = false;
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                _lastError = ex.Message;
            }
        }
    }

    private FileStream OpenSegment()
    {
        FileSecurity.CreatePrivateDirectory(Path.GetDirectoryName(SegmentPath)!);
        // A segment of its own is new (no two writers ever share it); the shared one may exist already.
        var options = new FileStreamOptions
        {
            Mode = _shared ? FileMode.OpenOrCreate : FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var stream = new FileStream(SegmentPath, options);
        if (!_shared) _end = 0;
        return stream;
    }

    /// <summary>
    /// The Writer line: this writer's provenance and the session's activity id, once per segment. When the segment
    /// begins with a full Writer line (<paramref name="baseLine"/>) and this provenance has its keys first, in its order,
    /// the line refers to it (<c>prov</c>) and holds only what differs: the keys of another value (pid, start ticks,
    /// often cwd), the session and activity id only when they are not the base's.
    /// </summary>
    private static void WriteWriterLine(Utf8JsonWriter json, SessionEvent e, long sequence, ReadOnlySpan<char> previousHash, JsonObject provenance, WriterLine? baseLine)
    {
        Span<byte> text = stackalloc byte[36];
        bool delta = baseLine is not null && StartsWithKeysOf(provenance, baseLine.Provenance);
        json.WriteStartObject();
        json.WriteNumber(VersionName, JournalLine.SchemaVersion);
        json.WriteString(EventName, JournalLine.WriterEvent);
        e.Timestamp.UtcDateTime.TryFormat(text, out int written, "O", System.Globalization.CultureInfo.InvariantCulture);
        json.WriteString(TimestampName, text[..written]);
        if (!delta || e.SessionId != baseLine!.SessionId) json.WriteString(SessionIdName, e.SessionId);
        json.WriteNumber(SequenceName, sequence);
        json.WriteString(PreviousHashName, previousHash);
        if (!delta || e.ActivityId != baseLine!.ActivityId)
        {
            e.ActivityId.TryFormat(text, out written, "D");
            json.WriteString(ActivityIdName, text[..written]);
        }
        if (delta)
        {
            json.WriteNumber(ProvenanceRefName, baseLine!.Sequence);
            // A Writer line always has a provenance, if only {} (the same process writing again).
            WriteProvenanceDelta(json, provenance, baseLine.Provenance, evenIfEmpty: true);
        }
        else
        {
            json.WritePropertyName(ProvenanceName);
            provenance.WriteTo(json);
        }
        json.WriteEndObject();
    }

    /// <summary>True when the first keys of <paramref name="provenance"/> are those of <paramref name="baseProvenance"/>, in its order (so the merge restores the order).</summary>
    private static bool StartsWithKeysOf(JsonObject provenance, JsonObject baseProvenance)
    {
        if (provenance.Count < baseProvenance.Count) return false;
        using var mine = provenance.GetEnumerator();
        foreach (var (key, _) in baseProvenance)
        {
            if (!mine.MoveNext() || mine.Current.Key != key) return false;
        }
        return true;
    }

    /// <summary>
    /// Serialises one event line (without the newline): header, then the fields, with the provenance replaced by a
    /// reference to the writer's Writer line (plus the keys that differ from it, if any) and derivable fields left out.
    /// </summary>
    internal static void WriteLine(Utf8JsonWriter json, SessionEvent e, long sequence, ReadOnlySpan<char> previousHash, long writerSeq, JsonObject? writerProvenance, string? writerSessionId, long startSeq = 0)
    {
        Span<byte> text = stackalloc byte[36];
        int derived = JournalCompaction.DerivableOf(e);
        bool refersToWriter = writerSeq > 0 && e.Fields[JournalFields.Provenance] is JsonObject p && HasEveryKey(p, writerProvenance!);
        var contract = EventContracts.For(e.Name);
        bool typed = contract.Name == e.Name && contract.Name.Length > 0;
        json.WriteStartObject();
        json.WriteNumber(VersionName, JournalLine.SchemaVersion);
        json.WriteString(EventName, e.Name);
        // "O" of a UTC DateTime is exactly yyyy-MM-ddTHH:mm:ss.fffffffZ (28 bytes), formatted without a string.
        e.Timestamp.UtcDateTime.TryFormat(text, out int written, "O", System.Globalization.CultureInfo.InvariantCulture);
        json.WriteString(TimestampName, text[..written]);
        // Left out when the Writer line the event refers to holds it, or the contract gives it (docs/journal-format.md).
        if (!refersToWriter || e.SessionId != writerSessionId) json.WriteString(SessionIdName, e.SessionId);
        json.WriteNumber(SequenceName, sequence);
        if (!typed || e.Level != contract.Level) json.WriteNumber(LevelName, (int)e.Level);
        if (!typed || e.Keywords != contract.Keywords) json.WriteNumber(KeywordsName, (long)e.Keywords);
        json.WriteString(PreviousHashName, previousHash);
        if (!refersToWriter)
        {
            // No Writer line to take the activity id from.
            e.ActivityId.TryFormat(text, out written, "D");
            json.WriteString(ActivityIdName, text[..written]);
        }
        if (derived != 0) json.WriteNumber(DerivedName, derived);
        if (startSeq > 0) json.WriteNumber(OperationRefName, startSeq);
        foreach (var (key, value) in e.Fields)
        {
            if (JournalCompaction.IsDropped(key, derived)) continue;
            if (startSeq > 0 && Array.IndexOf(JournalCompaction.StartFields, key) >= 0) continue;
            if (key == JournalFields.Provenance && refersToWriter && value is JsonObject provenance)
            {
                json.WriteNumber(ProvenanceRefName, writerSeq);
                WriteProvenanceDelta(json, provenance, writerProvenance!);
                continue;
            }
            json.WritePropertyName(key);
            if (value is null) json.WriteNullValue();
            else if (key == JournalFields.EtwCorrelation && value is JsonObject etw) JournalCompaction.WriteEtwCorrelation(json, etw, derived);
            else value.WriteTo(json);
        }
        json.WriteEndObject();
    }

    private static bool HasEveryKey(JsonObject provenance, JsonObject writer)
    {
        foreach (var (key, _) in writer) if (!provenance.ContainsKey(key)) return false;
        return true;
    }

    /// <summary>The keys of an event's provenance that differ from its writer's (a command's own cwd), as <c>provenance</c>; nothing when none do, unless <paramref name="evenIfEmpty"/>.</summary>
    private static void WriteProvenanceDelta(Utf8JsonWriter json, JsonObject provenance, JsonObject writer, bool evenIfEmpty = false)
    {
        bool open = false;
        foreach (var (key, value) in provenance)
        {
            if (writer.TryGetPropertyValue(key, out var same) && JsonNode.DeepEquals(same, value)) continue;
            if (!open)
            {
                json.WritePropertyName(ProvenanceName);
                json.WriteStartObject();
                open = true;
            }
            json.WritePropertyName(key);
            if (value is null) json.WriteNullValue();
            else value.WriteTo(json);
        }
        if (!open && evenIfEmpty)
        {
            json.WritePropertyName(ProvenanceName);
            json.WriteStartObject();
            open = true;
        }
        if (open) json.WriteEndObject();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _fsyncTimer?.Dispose();
            _fsyncTimer = null;
            // Every line was written with one unbuffered write(); under FsyncPerEvent each was fsynced already.
            if (_unsynced && _stream is not null)
            {
                try { _stream.Flush(flushToDisk: true); }
                catch (IOException ex) { _lastError = ex.Message; }
                _unsynced = false;
            }
            _stream?.Dispose();
            _stream = null;
            _hasher?.Dispose();
            _hasher = null;
        }
    }
}
