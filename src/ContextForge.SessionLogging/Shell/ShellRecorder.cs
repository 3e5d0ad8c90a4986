using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// Turns the pty stream of an interactive shell into one operation per command, as <c>cfsession run</c> records
/// one: at the shell's E/C marks an <c>OperationStarted</c> (the id the shell generated, the command line, the cwd
/// from the last OSC 7), and at its D mark the <c>TerminalCapture</c> with the bytes between C and D (redacted,
/// hashed, inline or a blob), the exit status and the duration. The prompt and the typed input (outside C..D) are
/// not part of any command's output. Each command's timing is kept (<see cref="StreamTiming"/>), and so is the whole
/// stream's (under the shell's own operation, which <c>CommandRecorder</c> records). A command during which a
/// <c>cfsession run</c> announced its operation (OSC 6973 R) links to it (<c>linked_operation_id</c>) and stores no
/// output of its own: the run recorded it.
/// The stream is read on the pty's pump thread; journaling runs on a worker thread, in order, so a slow fsync never
/// delays the shell's output.
/// </summary>
internal sealed class ShellRecorder : IPtyStreamObserver, IShellMarkSink
{
    private readonly Session _session;
    private readonly string _shellProgram;
    private readonly ShellMarkParser _parser;
    private readonly BlockingCollection<Action> _journalWork = new();
    private readonly Thread _worker;
    private readonly ConcurrentQueue<string> _problems = new();
    private string _cwd;
    private OpenCommand? _open;
    private StreamTiming? _streamTiming;
    private int _recorded;

    private sealed class OpenCommand(string id, string commandLine, IReadOnlyList<string> arguments, string cwd, DateTimeOffset start, CapturedOutput capture, StreamTiming timing, Redaction.RedactionTally argumentRedactions)
    {
        public string Id { get; } = id;
        public string CommandLine { get; } = commandLine;
        public IReadOnlyList<string> Arguments { get; } = arguments;
        public string Cwd { get; } = cwd;
        public DateTimeOffset Start { get; } = start;
        public long StartTimestamp { get; } = Stopwatch.GetTimestamp();
        public CapturedOutput Capture { get; } = capture;
        public StreamTiming Timing { get; } = timing;
        public Redaction.RedactionTally ArgumentRedactions { get; } = argumentRedactions;
        public string? LinkedOperationId { get; set; }
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

    /// <summary>Called once, before the shell starts, with the id of the shell's own operation.</summary>
    public void Attach(string shellOperationId)
    {
        ShellOperationId = shellOperationId;
        _streamTiming = new StreamTiming(StreamTiming.PathFor(_session.Data.SessionDirectory(_session.Id), shellOperationId));
    }

    public void Observe(ReadOnlySpan<byte> data)
    {
        try
        {
            _streamTiming?.Add(data.Length);
            _parser.Feed(data);
        }
        catch (Exception ex)
        {
            // Never into the pump: the shell goes on; the command being recorded loses the rest of its output.
            _problems.Enqueue($"recording a command failed: {ex.Message}");
        }
    }

    void IShellMarkSink.Text(ReadOnlySpan<byte> bytes)
    {
        if (_open is not { } command || bytes.IsEmpty) return;
        command.Timing.Add(bytes.Length);
        command.Capture.Write(bytes);
    }

    void IShellMarkSink.Mark(ShellMark mark)
    {
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
        var capture = _session.CreateCapture("stdout");
        capture.StartPipeline();
        var timing = new StreamTiming(StreamTiming.PathFor(_session.Data.SessionDirectory(_session.Id), id));
        var command = new OpenCommand(id, arguments[1], arguments, cwd, start, capture, timing, tally);
        _open = command;
        string? parent = ShellOperationId;
        _journalWork.Add(() => _session.Record(new OperationStarted(command.Id, command.CommandLine, _session.Id, start, _shellProgram, command.Arguments, cwd)
        {
            ParentOperationId = parent,
            Provenance = _session.Provenance(cwd),
        }, tally));
    }

    private void End(OpenCommand command, int? exitCode)
    {
        _open = null;
        var duration = Stopwatch.GetElapsedTime(command.StartTimestamp);
        _journalWork.Add(() => Store(command, exitCode, duration));
    }

    private void Store(OpenCommand command, int? exitCode, TimeSpan duration)
    {
        string blobs = _session.Data.BlobDirectory(_session.Id);
        command.Timing.Dispose();
        if (command.Timing.Error is { } timingError) _problems.Enqueue($"the timing of a command could not be kept: {timingError}");
        using var capture = command.Capture;
        OutputStorage stored;
        string sample;
        if (command.LinkedOperationId is not null)
        {
            // The linked run recorded this output; keeping it twice would count and index it twice.
            capture.DiscardSpill();
            using var none = new CapturedOutput("stdout", spillDirectory: null);
            stored = OutputStore.Store(none, blobs);
            sample = string.Empty;
        }
        else
        {
            stored = OutputStore.Store(capture, blobs);
            sample = OutputStore.Sample(capture);
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
        if (_session.Record(captured, command.LinkedOperationId is null ? capture.Redactions : null, null, command.ArgumentRedactions) is not null)
            Interlocked.Increment(ref _recorded);
    }

    /// <summary>
    /// The shell has exited with <paramref name="shellExitCode"/> and its stream is read to the end: a command still
    /// open (<c>exit</c> itself, or one cut short) ends with that status; everything is journaled when this returns.
    /// </summary>
    public void Finish(int shellExitCode)
    {
        if (_open is { } command) End(command, shellExitCode);
        _journalWork.CompleteAdding();
        _worker.Join();
        _streamTiming?.Dispose();
        if (_streamTiming?.Error is { } error) _problems.Enqueue($"the timing of the shell's stream could not be kept: {error}");
    }

    // Work that piled up (commands typed ahead, a burst of short commands) is journaled under one group commit: one
    // fsync for the batch instead of two per command; each batch is durable before the next is started.
    private void JournalWork()
    {
        foreach (var work in _journalWork.GetConsumingEnumerable())
        {
            using (_session.GroupCommit())
            {
                Run(work);
                while (_journalWork.TryTake(out var next)) Run(next);
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
