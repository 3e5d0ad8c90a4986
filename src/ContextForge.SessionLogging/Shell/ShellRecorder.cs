using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// Turns the pty stream of an interactive shell into one operation per command, as <c>cfsession run</c> records
/// one: at the shell's E mark an <c>OperationStarted</c> (the id the shell generated, the command line, the cwd
/// from the last OSC 7), and at its D mark the <c>TerminalCapture</c> with the exit status and the duration.
/// The shell's whole stream is stored once, in its raw stream file (the shell's own operation, which
/// <c>CommandRecorder</c> records); a command's output is a byte range of it: from its first byte after the E/C marks
/// to the D mark, the marks themselves left out (<c>output_stream</c>, <c>output_offset</c>, <c>output_length</c>, and
/// the hash of the range's stored, redacted bytes). The prompt and the typed input (outside the ranges) are not part of
/// any command's output. Each command's timing is kept (<see cref="StreamTiming"/>), and so is the whole stream's.
/// A command during which a <c>cfsession run</c> announced its operation (OSC 6973 R) links to it
/// (<c>linked_operation_id</c>) and stores no output of its own: the run recorded it.
/// The stream is read, shown and cut on the pty's pump thread; redaction, hashing and the stream file run on the
/// capture's worker (in stream order, with the range boundaries), and journaling on a third thread, in order, so a
/// slow fsync never delays the shell's output.
/// </summary>
internal sealed class ShellRecorder : IPtyStreamObserver, IShellMarkSink
{
    private readonly Session _session;
    private readonly string _shellProgram;
    private readonly ShellMarkParser _parser;
    private readonly BlockingCollection<Action> _journalWork = new();
    private readonly Thread _worker;
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly List<ShellMark> _marks = [];
    private byte[] _carry = new byte[256]; // bytes read but not yet stored: a possible mark not yet complete
    private int _carryLength;
    private long _written; // bytes of the stream handed to the capture
    private CapturedOutput? _capture;
    private string _cwd;
    private OpenCommand? _open;
    private StreamTiming? _streamTiming;
    private string? _streamReference;
    private FileStream? _streamSync;
    private long _syncedLength;
    private long _rangesEnd;
    private int _recorded;
    private (int Columns, int Rows)? _size; // the pty's window size, last heard

    private sealed class OpenCommand(string id, string commandLine, IReadOnlyList<string> arguments, string cwd, DateTimeOffset start, StreamTiming timing, Redaction.RedactionTally argumentRedactions)
    {
        public string Id { get; } = id;
        public string CommandLine { get; } = commandLine;
        public IReadOnlyList<string> Arguments { get; } = arguments;
        public string Cwd { get; } = cwd;
        public DateTimeOffset Start { get; } = start;
        public long StartTimestamp { get; } = Stopwatch.GetTimestamp();
        public StreamTiming Timing { get; } = timing;
        public Redaction.RedactionTally ArgumentRedactions { get; } = argumentRedactions;
        public string? LinkedOperationId { get; set; }
        public bool RangeBegun { get; set; }
    }

    public ShellRecorder(Session session, string shellProgram, string cwd)
    {
        _session = session;
        _shellProgram = shellProgram;
        _cwd = cwd;
        _parser = new ShellMarkParser(this);
        _worker = new Thread(JournalWork) { IsBackground = true, Name = "cfsession shell journal" };
        _worker.Start();
    }

    /// <summary>The operation of the whole shell (the parent of every command's operation).</summary>
    public string? ShellOperationId { get; private set; }

    /// <summary>How many commands were recorded.</summary>
    public int Recorded => Volatile.Read(ref _recorded);

    /// <summary>What went wrong while recording (each once, one line), for the user at the end.</summary>
    public IReadOnlyCollection<string> Problems => [.. _problems.Distinct()];

    /// <summary>
    /// Called once, before the shell starts, with the id of the shell's own operation and the capture of its whole
    /// stream, which from now on is stored in the shell's raw stream file (<see cref="BlobStore.StreamPath"/>).
    /// </summary>
    public void Attach(string shellOperationId, CapturedOutput stream)
    {
        ShellOperationId = shellOperationId;
        string directory = _session.Data.SessionDirectory(_session.Id);
        _streamTiming = new StreamTiming(StreamTiming.PathFor(directory, shellOperationId));
        _streamReference = BlobStore.StreamReference(shellOperationId);
        stream.UseStreamFile(BlobStore.StreamPath(directory, shellOperationId));
        _capture = stream;
    }

    public void Observe(ReadOnlySpan<byte> data, CapturedOutput capture)
    {
        _capture ??= capture;
        long chunkStart = _parser.Fed;
        try
        {
            _streamTiming?.Add(data.Length);
            _marks.Clear();
            _parser.Feed(data);
            foreach (var mark in _marks) OnMark(mark, data, chunkStart);
            // Everything but a possible mark still being read is stored now.
            StoreUpTo(_parser.Fed - _parser.PendingLength, data, chunkStart, isMark: false);
            Carry(data, chunkStart);
        }
        catch (Exception ex)
        {
            // Never into the pump: the shell goes on; the command being recorded loses the rest of its output.
            _problems.Enqueue($"recording a command failed: {ex.Message}");
        }
    }

    public void WindowSize(int columns, int rows)
    {
        _size = (columns, rows);
        _streamTiming?.AddSize(columns, rows);
        _open?.Timing.AddSize(columns, rows);
    }

    void IShellMarkSink.Text(ReadOnlySpan<byte> bytes)
    {
        // The bytes are stored by position (StoreUpTo); the marks say where to cut.
    }

    void IShellMarkSink.Mark(ShellMark mark) => _marks.Add(mark);

    private void OnMark(ShellMark mark, ReadOnlySpan<byte> data, long chunkStart)
    {
        StoreUpTo(mark.Start, data, chunkStart, isMark: false);
        switch (mark.Kind)
        {
            case 'E':
                if (_open is { } unfinished) End(unfinished, exitCode: null); // its D never came
                Begin(mark.Parameters);
                break;
            case 'D':
                if (_open is { } command)
                    End(command, int.TryParse(mark.Parameters.Split(';')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int status) ? status : null);
                break;
            case 'R':
                if (_open is { } linking && linking.LinkedOperationId is null && Guid.TryParseExact(mark.Parameters, "D", out _))
                    linking.LinkedOperationId = mark.Parameters;
                break;
            case '7':
                if (ShellMarkParser.PathOfFileUrl(mark.Parameters) is { Length: > 0 } path) _cwd = path;
                break;
        }
        // An OSC 7 is the program's own text (kept in its output); cfsession's marks are not part of a command's output.
        StoreUpTo(mark.End, data, chunkStart, isMark: mark.Kind != '7');
    }

    // Hands the stream's bytes up to the absolute offset `end` to the capture: first what was carried over from the
    // previous chunk (it starts at _written), then from this chunk (it starts at chunkStart). Text opens the range of
    // the command being run, at its first byte.
    private void StoreUpTo(long end, ReadOnlySpan<byte> data, long chunkStart, bool isMark)
    {
        if (end <= _written || _capture is not { } capture) return;
        if (!isMark && _open is { RangeBegun: false } command)
        {
            capture.BeginRange();
            command.RangeBegun = true;
        }
        long before = _written;
        if (_written < chunkStart)
        {
            int fromCarry = (int)(Math.Min(end, chunkStart) - _written);
            capture.Write(_carry.AsSpan(0, fromCarry));
            _carry.AsSpan(fromCarry, _carryLength - fromCarry).CopyTo(_carry);
            _carryLength -= fromCarry;
            _written += fromCarry;
        }
        if (end > _written)
        {
            capture.Write(data[(int)(_written - chunkStart)..(int)(end - chunkStart)]);
            _written = end;
        }
        if (_open is { RangeBegun: true } open) open.Timing.Add((int)(_written - before));
    }

    // Keeps the bytes of this chunk that are not stored yet (the start of a possible mark) for the next one.
    private void Carry(ReadOnlySpan<byte> data, long chunkStart)
    {
        long chunkEnd = chunkStart + data.Length;
        if (_written >= chunkEnd) return;
        int from = (int)Math.Max(0, _written - chunkStart);
        var rest = data[from..];
        if (_carryLength + rest.Length > _carry.Length) Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carryLength + rest.Length));
        rest.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += rest.Length;
    }

    private void Begin(string parameters)
    {
        int separator = parameters.IndexOf(';', StringComparison.Ordinal);
        string id = separator > 0 ? parameters[..separator] : string.Empty;
        if (!Guid.TryParseExact(id, "D", out _)) id = Guid.NewGuid().ToString("D");
        string line = ShellMarkParser.Unescape(separator >= 0 ? parameters[(separator + 1)..] : string.Empty);
        var tally = new Redaction.RedactionTally();
        IReadOnlyList<string> arguments = ["-c", line];
        if (_session.Redactor is not null) arguments = Redaction.FieldRedaction.Arguments(_shellProgram, arguments, tally);
        var start = DateTimeOffset.UtcNow;
        string cwd = _cwd;
        var timing = new StreamTiming(StreamTiming.PathFor(_session.Data.SessionDirectory(_session.Id), id));
        var command = new OpenCommand(id, arguments[1], arguments, cwd, start, timing, tally);
        if (_size is { } size) timing.AddSize(size.Columns, size.Rows);
        _open = command;
        string? parent = ShellOperationId;
        var started = new OperationStarted(command.Id, command.CommandLine, _session.Id, start, _shellProgram, command.Arguments, cwd)
        {
            ParentOperationId = parent,
            Provenance = _session.Provenance(cwd),
        };
        // Journaled in stream order with the previous command's capture (which waits for its bytes to be stored).
        AfterStored(() => _journalWork.Add(() => _session.Record(started, tally)));
    }

    private void AfterStored(Action action)
    {
        if (_capture is { } capture) capture.AfterStored(action);
        else action();
    }

    private void End(OpenCommand command, int? exitCode)
    {
        _open = null;
        var duration = Stopwatch.GetElapsedTime(command.StartTimestamp);
        if (_capture is { } capture) capture.EndRange(range => _journalWork.Add(() => Store(command, exitCode, duration, range)));
        else _journalWork.Add(() => Store(command, exitCode, duration, null));
    }

    private void Store(OpenCommand command, int? exitCode, TimeSpan duration, CapturedRange? range)
    {
        command.Timing.Dispose();
        if (command.Timing.Error is { } timingError) _problems.Enqueue($"the timing of a command could not be kept: {timingError}");
        OutputStorage stored;
        string sample;
        if (command.LinkedOperationId is not null || range is null || _streamReference is null)
        {
            // The linked run recorded this output; keeping it twice would count and index it twice.
            using var none = new CapturedOutput("stdout", spillDirectory: null);
            stored = OutputStore.Store(none, _session.Data.BlobDirectory(_session.Id));
            sample = string.Empty;
        }
        else
        {
            stored = OutputStore.Range(range, _streamReference);
            sample = OutputStore.Sample(range);
            if (stored.StreamReference is not null && range.Length > 0) _rangesEnd = Math.Max(_rangesEnd, range.Offset + range.Length);
        }
        var captured = new OperationCaptured(command.Id, command.CommandLine, OperationKinds.Command, _session.Id, command.Start, duration, "pty", stored, sample)
        {
            TraceId = _session.TraceId.ToHexString(),
            SpanId = Telemetry.SessionActivities.SpanIdFor(command.Id).ToHexString(),
            ParentSpanId = ShellOperationId is { } parent ? Telemetry.SessionActivities.SpanIdFor(parent).ToHexString() : _session.ActivityContext.SpanId.ToHexString(),
            ParentOperationId = ShellOperationId,
            LinkedOperationId = command.LinkedOperationId,
            Command = _shellProgram,
            Arguments = command.Arguments,
            Cwd = command.Cwd,
            ExitCode = exitCode,
            Provenance = _session.Provenance(command.Cwd),
        };
        if (_session.Record(captured, command.LinkedOperationId is null ? range?.Redactions : null, null, command.ArgumentRedactions) is not null)
            Interlocked.Increment(ref _recorded);
    }

    // The ranges a batch is about to journal are on disk first (one fsync of the stream file per batch, and none when
    // no range grew it): a capture record never names bytes a crash could lose.
    private void SyncStream()
    {
        if (_rangesEnd <= _syncedLength || _capture?.StreamFilePath is not { } path) return;
        try
        {
            _streamSync ??= new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
            _streamSync.Flush(flushToDisk: true);
            _syncedLength = _rangesEnd;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _problems.Enqueue($"the shell's stream could not be made durable: {ex.Message}");
            _syncedLength = long.MaxValue;
        }
    }

    /// <summary>
    /// The shell has exited with <paramref name="shellExitCode"/> and its stream is read to the end: a command still
    /// open (<c>exit</c> itself, or one cut short) ends with that status; everything is journaled when this returns.
    /// </summary>
    public void Finish(int shellExitCode)
    {
        try
        {
            // A possible mark cut short by the end of the stream is the stream's last bytes.
            StoreUpTo(_parser.Fed, [], _parser.Fed, isMark: false);
        }
        catch (Exception ex)
        {
            _problems.Enqueue($"recording a command failed: {ex.Message}");
        }
        if (_open is { } command) End(command, shellExitCode);
        _journalWork.CompleteAdding();
        _worker.Join();
        _streamSync?.Dispose();
        _streamTiming?.Dispose();
        if (_streamTiming?.Error is { } error) _problems.Enqueue($"the timing of the shell's stream could not be kept: {error}");
    }

    // Work that piled up (commands typed ahead, a burst of short commands) is journaled under one group commit: one
    // fsync for the batch instead of two per command; each batch is durable before the next is started.
    private void JournalWork()
    {
        foreach (var work in _journalWork.GetConsumingEnumerable())
        {
            var batch = new List<Action> { work };
            while (_journalWork.TryTake(out var next)) batch.Add(next);
            using (_session.GroupCommit())
            {
                foreach (var item in batch) Run(item);
                SyncStream(); // before the group's fsync: the ranges it names are durable first
            }
        }
    }

    private void Run(Action work)
    {
        try
        {
            work();
        }
        catch (Exception ex)
        {
            _problems.Enqueue($"a command could not be journaled: {ex.Message}");
        }
    }
}
