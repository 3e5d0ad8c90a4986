using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using Spectre.Console;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// One in-process operation being captured. Output written to <see cref="Console"/> (and to
/// <see cref="System.Console"/>) is shown and recorded, ANSI colours kept; disposing journals the capture as
/// TerminalCapture, or TerminalCaptureFailed after <see cref="Fail"/>.
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
    private readonly Activity? _activity;
    private bool _disposed;

    internal CaptureScope(Session session, string operationName, IAnsiConsole? display)
    {
        _session = session;
        OperationName = operationName;
        (_activity, OperationId) = Telemetry.SessionActivities.StartOperation(session, operationName);
        _output = new CapturedOutput("console", session.Data.BlobDirectory(session.Id));
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

    /// <summary>Marks the operation as failed: disposing emits TerminalCaptureFailed with this exception.</summary>
    public void Fail(Exception exception) => _failure = exception ?? throw new ArgumentNullException(nameof(exception));

    /// <summary>Stops capturing System.Console output for this operation, and journals the capture.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        double durationMs = Stopwatch.GetElapsedTime(_startTimestamp).TotalMilliseconds;
        var end = _start + TimeSpan.FromMilliseconds(durationMs);
        ConsoleRouter.Exit(_previousCapture);
        lock (_gate) _captureWriter.Closed = true;
        try
        {
            bool failed = _failure is not null;
            var fields = new JsonObject
            {
                [JournalFields.OperationId] = OperationId,
                [JournalFields.OperationName] = OperationName,
                [JournalFields.OperationKind] = "console",
                [JournalFields.CorrelationId] = _session.Id,
                [JournalFields.StartTime] = SessionManager.FormatTime(_start),
                [JournalFields.EndTime] = SessionManager.FormatTime(end),
                [JournalFields.DurationMs] = Math.Round(durationMs, 3),
                [JournalFields.CaptureMode] = "console",
                [JournalFields.TraceId] = _session.TraceId.ToHexString(),
                [JournalFields.SpanId] = Telemetry.SessionActivities.SpanIdFor(OperationId).ToHexString(),
                [JournalFields.ParentSpanId] = (_activity?.ParentSpanId ?? _session.ActivityContext.SpanId).ToHexString(),
            };
            string sample;
            lock (_gate)
            {
                OutputStore.Store(_output, _session.Data.BlobDirectory(_session.Id), fields,
                    JournalFields.OutputLength, JournalFields.IntegrityHash, JournalFields.Output, JournalFields.OutputBlob);
                sample = OutputStore.Sample(_output);
            }
            fields[JournalFields.OutputSample] = sample;
            if (failed)
            {
                fields[JournalFields.Error] = _failure!.Message;
                fields[JournalFields.ErrorType] = _failure.GetType().FullName;
            }
            fields[JournalFields.Provenance] = Provenance.Capture(_session.ToolName);
            var level = failed ? EventLevel.Error : EventLevel.Informational;
            var etw = _session.EtwCorrelation(level, SessionKeywords.Terminal);
            etw[JournalFields.OperationId] = OperationId;
            fields[JournalFields.EtwCorrelation] = etw;
            _session.Emit(failed ? SessionEventNames.TerminalCaptureFailed : SessionEventNames.TerminalCapture, end, level, SessionKeywords.Terminal, fields);
            Result = new CaptureRecord(OperationId, OperationName, _session.Id, _start, end, durationMs, null,
                _output.Length, fields[JournalFields.IntegrityHash]!.GetValue<string>(), !failed);
        }
        finally
        {
            _output.Dispose();
            if (_activity is not null)
            {
                if (_failure is not null) _activity.SetStatus(ActivityStatusCode.Error, _failure.Message);
                _activity.Stop();
            }
        }
    }
}
