using System.Diagnostics;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;
using Spectre.Console;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// One in-process operation being captured. Output written to <see cref="Console"/> (and to
/// <see cref="System.Console"/>) is shown and recorded, ANSI colours kept. Like a <c>TransactionScope</c>, the scope
/// must be completed: <c>using var scope = session.Capture(name); ...; scope.Complete();</c>. Disposing journals the
/// capture: TerminalCapture after <see cref="Complete"/>, TerminalCaptureFailed after <see cref="Fail"/>, and
/// TerminalCaptureFailed with the error <c>incomplete</c> when neither was called (an exception skipped
/// <see cref="Complete"/>), so an operation that threw is never recorded as a success.
/// </summary>
public sealed class CaptureScope : IDisposable
{
    private readonly Session _session;
    private readonly DateTimeOffset _start;
    private readonly long _startTimestamp;
    private readonly object _gate = new();
    private readonly CapturedOutput _output;
    private readonly CaptureTextWriter _captureWriter;
    private readonly TextWriter? _previousCapture;
    private Exception? _failure;
    private bool _completed;
    private readonly Activity? _activity;
    private bool _disposed;

    internal CaptureScope(Session session, string operationName, IAnsiConsole? display)
    {
        _session = session;
        OperationName = operationName;
        (_activity, OperationId) = Telemetry.SessionActivities.StartOperation(session, operationName);
        _output = session.CreateCapture("console");
        _captureWriter = new CaptureTextWriter(_output, _gate);
        TextWriter realStdout = ConsoleRouter.Install();
        display ??= AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(realStdout) });
        Console = new RecordingAnsiConsole(display, _captureWriter);
        // What this operation (this async flow) writes to System.Console is recorded too.
        _previousCapture = ConsoleRouter.Enter(_captureWriter);
        _start = DateTimeOffset.UtcNow;
        _startTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>The operation's id.</summary>
    public string OperationId { get; }

    /// <summary>The operation's name.</summary>
    public string OperationName { get; }

    /// <summary>The console to write the operation's output to: shown, and recorded.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>The journaled record, once the scope is disposed.</summary>
    public CaptureRecord? Result { get; private set; }

    /// <summary>The error recorded for a scope disposed without <see cref="Complete"/> or <see cref="Fail"/>.</summary>
    public const string IncompleteError = "incomplete";

    /// <summary>Marks the operation as succeeded: disposing emits TerminalCapture.</summary>
    public void Complete() => _completed = true;

    /// <summary>Marks the operation as failed: disposing emits TerminalCaptureFailed with this exception.</summary>
    public void Fail(Exception exception) => _failure = exception ?? throw new ArgumentNullException(nameof(exception));

    /// <summary>Stops capturing System.Console output for this operation, and journals the capture.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        var duration = Stopwatch.GetElapsedTime(_startTimestamp);
        ConsoleRouter.Exit(_previousCapture);
        lock (_gate) _captureWriter.Closed = true;
        try
        {
            OutputStorage stored;
            string sample;
            lock (_gate)
            {
                stored = OutputStore.Store(_output, _session.Data.BlobDirectory(_session.Id));
                sample = OutputStore.Sample(_output);
            }
            string traceId = _session.TraceId.ToHexString();
            string spanId = Telemetry.SessionActivities.SpanIdFor(OperationId).ToHexString();
            string parentSpanId = (_activity?.ParentSpanId ?? _session.ActivityContext.SpanId).ToHexString();
            (string Message, string Type)? failed = _failure is { } failure
                ? (failure.Message, failure.GetType().FullName ?? failure.GetType().Name)
                : _completed ? null : (IncompleteError, IncompleteError);
            SessionRecord record = failed is { } f
                ? new OperationFailed(OperationId, OperationName, _session.Id, _start, duration, stored, sample, f.Message, f.Type)
                {
                    TraceId = traceId, SpanId = spanId, ParentSpanId = parentSpanId,
                }
                : new OperationCaptured(OperationId, OperationName, OperationKinds.Console, _session.Id, _start, duration, OperationKinds.Console, stored, sample)
                {
                    TraceId = traceId, SpanId = spanId, ParentSpanId = parentSpanId,
                };
            _session.Record(record, _output.Redactions);
            Result = new CaptureRecord(OperationId, OperationName, _session.Id, _start, _start + duration, duration, null,
                _output.Length, stored.Hash, failed is null);
        }
        finally
        {
            _output.Dispose();
            if (_activity is not null)
            {
                if (_failure is not null) Telemetry.SessionActivities.Failed(_activity, _failure.Message, _failure);
                else if (!_completed) Telemetry.SessionActivities.Failed(_activity, IncompleteError, exception: null);
                _activity.Stop();
            }
        }
    }
}
