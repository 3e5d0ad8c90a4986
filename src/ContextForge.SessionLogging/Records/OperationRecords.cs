using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Records;

/// <summary>
/// <c>cfsession run</c> is about to start a command (<c>OperationStarted</c>, journal only). Its capture (same
/// <see cref="OperationId"/>) completes it; one without a capture whose writer is gone was interrupted.
/// </summary>
public sealed record OperationStarted : SessionRecord
{
    /// <summary>Creates the record; <see cref="SessionRecord.Timestamp"/> is the start time.</summary>
    public OperationStarted(string operationId, string operationName, string correlationId, DateTimeOffset startTime, string command, IReadOnlyList<string> arguments, string cwd)
        : base(startTime)
    {
        OperationId = operationId;
        OperationName = operationName;
        CorrelationId = correlationId;
        StartTime = startTime.ToUniversalTime();
        Command = command;
        Arguments = arguments;
        Cwd = cwd;
    }

    /// <summary>The operation's id (a UUID).</summary>
    public string OperationId { get; init; }

    /// <summary>The command line, shell-quoted (arguments redacted).</summary>
    public string OperationName { get; init; }

    /// <summary>Always <c>command</c>.</summary>
    public string OperationKind { get; init; } = OperationKinds.Command;

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; init; }

    /// <summary>The enclosing run's operation id, for a nested run.</summary>
    public string? ParentOperationId { get; init; }

    /// <summary>When it started, UTC.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>The program.</summary>
    public string Command { get; init; }

    /// <summary>Its arguments (secrets redacted).</summary>
    public IReadOnlyList<string> Arguments { get; init; }

    /// <summary>The working directory.</summary>
    public string Cwd { get; init; }

    internal override EventContract Contract => EventContracts.OperationStarted;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        f[JournalFields.OperationId] = OperationId;
        f[JournalFields.OperationName] = OperationName;
        f[JournalFields.OperationKind] = OperationKind;
        f[JournalFields.CorrelationId] = CorrelationId;
        if (ParentOperationId is not null) f[JournalFields.ParentOperationId] = ParentOperationId;
        f[JournalFields.StartTime] = RecordTime.Format(StartTime);
        f[JournalFields.Command] = Command;
        f[JournalFields.Arguments] = OperationRecordFields.Array(Arguments);
        f[JournalFields.Cwd] = Cwd;
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
    }

    internal static OperationStarted Read(SessionEvent e) =>
        new(e.GetString(JournalFields.OperationId) ?? string.Empty, e.GetString(JournalFields.OperationName) ?? string.Empty,
            e.GetString(JournalFields.CorrelationId) ?? e.SessionId, FieldReader.Time(e.Fields[JournalFields.StartTime]) ?? e.Timestamp,
            e.GetString(JournalFields.Command) ?? string.Empty, FieldReader.Strings(e.Fields[JournalFields.Arguments]), e.GetString(JournalFields.Cwd) ?? string.Empty)
        {
            Timestamp = e.Timestamp,
            OperationKind = e.GetString(JournalFields.OperationKind) ?? OperationKinds.Command,
            ParentOperationId = e.GetString(JournalFields.ParentOperationId),
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
        };
}

/// <summary>The values of <c>operation_kind</c>.</summary>
public static class OperationKinds
{
    /// <summary>A child process (<c>cfsession run</c>).</summary>
    public const string Command = "command";

    /// <summary>An in-process block (<c>Session.Capture</c>).</summary>
    public const string Console = "console";
}

/// <summary>What every capture has: ids, trace fields, times, the primary stream and its sample.</summary>
public abstract record OperationRecord : SessionRecord
{
    private protected OperationRecord(string operationId, string operationName, string operationKind, string correlationId, DateTimeOffset startTime, TimeSpan duration, string captureMode, OutputStorage output, string outputSample)
        : base(startTime + duration)
    {
        OperationId = operationId;
        OperationName = operationName;
        OperationKind = operationKind;
        CorrelationId = correlationId;
        StartTime = startTime.ToUniversalTime();
        EndTime = (startTime + duration).ToUniversalTime();
        Duration = RecordTime.Rounded(duration);
        CaptureMode = captureMode;
        Output = output;
        OutputSample = outputSample;
    }

    /// <summary>The operation's id (a UUID).</summary>
    public string OperationId { get; init; }

    /// <summary>The operation's name (a command's command line).</summary>
    public string OperationName { get; init; }

    /// <summary><see cref="OperationKinds.Command"/> or <see cref="OperationKinds.Console"/>.</summary>
    public string OperationKind { get; init; }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; init; }

    /// <summary>The W3C trace id (the session id without dashes).</summary>
    public string? TraceId { get; init; }

    /// <summary>The operation's span id (the first 16 hex digits of its id).</summary>
    public string? SpanId { get; init; }

    /// <summary>The span it hangs under.</summary>
    public string? ParentSpanId { get; init; }

    /// <summary>When it started, UTC.</summary>
    public DateTimeOffset StartTime { get; init; }

    /// <summary>When it ended, UTC.</summary>
    public DateTimeOffset EndTime { get; init; }

    /// <summary>How long it ran (monotonic clock; journaled as <c>duration_ms</c> with 3 decimals).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary><c>pty</c>, <c>pipes</c>, <c>console</c>, or <c>none</c> when a command could not start.</summary>
    public string CaptureMode { get; init; }

    /// <summary>The primary stream (stdout, or the pty's single stream, or the console text).</summary>
    public OutputStorage Output { get; init; }

    /// <summary>The first 500 characters, plain text.</summary>
    public string OutputSample { get; init; }

    /// <summary>Whether a provider listener was enabled when it was written.</summary>
    public bool? ProviderEnabled { get; init; }

    private protected void WriteHead(JsonObject f, string? parentOperationId, bool captureModeAfterDuration) =>
        OperationRecordFields.WriteHead(f, OperationId, OperationName, OperationKind, CorrelationId, TraceId, SpanId, ParentSpanId,
            parentOperationId, StartTime, EndTime, Duration, CaptureMode, captureModeAfterDuration);

    private protected void WriteTail(JsonObject f, in RecordContext context)
    {
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
        f[JournalFields.EtwCorrelation] = RecordTime.EtwCorrelation(context, JournalFields.OperationId, OperationId);
    }
}

/// <summary>
/// An operation was captured (<c>TerminalCapture</c>): a command (<see cref="OperationKinds.Command"/>, with its
/// program, arguments, cwd, exit code, signal and streams) or an in-process block (<see cref="OperationKinds.Console"/>).
/// </summary>
public sealed record OperationCaptured : OperationRecord
{
    /// <summary>Creates the record; <see cref="SessionRecord.Timestamp"/> is the end time.</summary>
    public OperationCaptured(string operationId, string operationName, string operationKind, string correlationId, DateTimeOffset startTime, TimeSpan duration, string captureMode, OutputStorage output, string outputSample)
        : base(operationId, operationName, operationKind, correlationId, startTime, duration, captureMode, output, outputSample)
    {
    }

    /// <summary>The enclosing run's operation id, for a nested run.</summary>
    public string? ParentOperationId { get; init; }

    /// <summary>
    /// For a command of <c>cfsession shell</c>: the operation of the <c>cfsession run</c> inside it, which recorded its
    /// output (this record then stores none).
    /// </summary>
    public string? LinkedOperationId { get; init; }

    /// <summary>A command's program.</summary>
    public string? Command { get; init; }

    /// <summary>A command's arguments (secrets redacted).</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    /// <summary>A command's working directory.</summary>
    public string? Cwd { get; init; }

    /// <summary>A command's exit code (128+signal when a signal ended it, 126/127 when it could not start).</summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended a command, if any.</summary>
    public int? Signal { get; init; }

    /// <summary>Why a command could not be started.</summary>
    public string? StartError { get; init; }

    /// <summary>Standard error, in pipe mode.</summary>
    public OutputStorage? Stderr { get; init; }

    /// <summary>True for a command that exited non-zero, or that has an error (could not start; reported failed by an agent).</summary>
    public bool Failed => (ExitCode is { } code && code != 0) || StartError is not null;

    internal override EventContract Contract => EventContracts.TerminalCapture;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        bool command = OperationKind != OperationKinds.Console;
        WriteHead(f, ParentOperationId, captureModeAfterDuration: !command);
        if (command)
        {
            if (LinkedOperationId is not null) f[JournalFields.LinkedOperationId] = LinkedOperationId;
            f[JournalFields.Command] = Command;
            f[JournalFields.Arguments] = OperationRecordFields.Array(Arguments ?? []);
            f[JournalFields.Cwd] = Cwd;
            f[JournalFields.ExitCode] = ExitCode;
            f[JournalFields.Signal] = Signal;
            f[JournalFields.CaptureMode] = CaptureMode;
            if (StartError is not null) f[JournalFields.Error] = StartError;
        }
        OperationRecordFields.WriteStream(f, Output, primary: true);
        if (Stderr is not null) OperationRecordFields.WriteStream(f, Stderr, primary: false);
        f[JournalFields.OutputSample] = OutputSample;
        WriteTail(f, context);
    }

    internal static OperationCaptured Read(SessionEvent e)
    {
        var h = OperationRecordFields.ReadHead(e);
        string kind = e.GetString(JournalFields.OperationKind) ?? OperationKinds.Command;
        bool command = kind != OperationKinds.Console;
        return new(h.OperationId, h.OperationName, kind, h.CorrelationId, h.StartTime, h.Duration, e.GetString(JournalFields.CaptureMode) ?? string.Empty,
            OperationRecordFields.ReadStream(e, primary: true) ?? OperationRecordFields.NoOutput, e.GetString(JournalFields.OutputSample) ?? string.Empty)
        {
            Timestamp = e.Timestamp,
            EndTime = h.EndTime,
            TraceId = h.TraceId,
            SpanId = h.SpanId,
            ParentSpanId = h.ParentSpanId,
            ParentOperationId = h.ParentOperationId,
            LinkedOperationId = command ? e.GetString(JournalFields.LinkedOperationId) : null,
            Command = command ? e.GetString(JournalFields.Command) : null,
            Arguments = command ? FieldReader.Strings(e.Fields[JournalFields.Arguments]) : null,
            Cwd = command ? e.GetString(JournalFields.Cwd) : null,
            ExitCode = e.GetInt64(JournalFields.ExitCode) is { } code ? (int)code : null,
            Signal = e.GetInt64(JournalFields.Signal) is { } signal ? (int)signal : null,
            StartError = command ? e.GetString(JournalFields.Error) : null,
            Stderr = OperationRecordFields.ReadStream(e, primary: false),
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
            ProviderEnabled = RecordTime.ProviderEnabled(e),
        };
    }
}

/// <summary>An in-process capture ended with an exception (<c>TerminalCaptureFailed</c>, level Error).</summary>
public sealed record OperationFailed : OperationRecord
{
    /// <summary>Creates the record; <see cref="SessionRecord.Timestamp"/> is the end time.</summary>
    public OperationFailed(string operationId, string operationName, string correlationId, DateTimeOffset startTime, TimeSpan duration, OutputStorage output, string outputSample, string error, string errorType)
        : base(operationId, operationName, OperationKinds.Console, correlationId, startTime, duration, OperationKinds.Console, output, outputSample)
    {
        Error = error;
        ErrorType = errorType;
    }

    /// <summary>The exception's message.</summary>
    public string Error { get; init; }

    /// <summary>The exception's full type name.</summary>
    public string ErrorType { get; init; }

    internal override EventContract Contract => EventContracts.TerminalCaptureFailed;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        WriteHead(f, parentOperationId: null, captureModeAfterDuration: true);
        OperationRecordFields.WriteStream(f, Output, primary: true);
        f[JournalFields.OutputSample] = OutputSample;
        f[JournalFields.Error] = Error;
        f[JournalFields.ErrorType] = ErrorType;
        WriteTail(f, context);
    }

    internal static OperationFailed Read(SessionEvent e)
    {
        var h = OperationRecordFields.ReadHead(e);
        return new(h.OperationId, h.OperationName, h.CorrelationId, h.StartTime, h.Duration,
            OperationRecordFields.ReadStream(e, primary: true) ?? OperationRecordFields.NoOutput, e.GetString(JournalFields.OutputSample) ?? string.Empty,
            e.GetString(JournalFields.Error) ?? string.Empty, e.GetString(JournalFields.ErrorType) ?? string.Empty)
        {
            Timestamp = e.Timestamp,
            EndTime = h.EndTime,
            OperationKind = e.GetString(JournalFields.OperationKind) ?? OperationKinds.Console,
            CaptureMode = e.GetString(JournalFields.CaptureMode) ?? OperationKinds.Console,
            TraceId = h.TraceId,
            SpanId = h.SpanId,
            ParentSpanId = h.ParentSpanId,
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
            ProviderEnabled = RecordTime.ProviderEnabled(e),
        };
    }
}

/// <summary>The fields captures share, written and read in one place.</summary>
internal static class OperationRecordFields
{
    internal readonly record struct Head(string OperationId, string OperationName, string CorrelationId, string? TraceId, string? SpanId,
        string? ParentSpanId, string? ParentOperationId, DateTimeOffset StartTime, DateTimeOffset EndTime, TimeSpan Duration);

    /// <summary>A stream that was not recorded at all (a journal line without its length and hash).</summary>
    public static readonly OutputStorage NoOutput = new(0, string.Empty, null, null, null);

    public static JsonArray Array(IReadOnlyList<string> values) => new(values.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());

    /// <summary>
    /// The fields every capture starts with: ids, the trace fields right after <c>correlation_id</c>, times. A
    /// command's capture has its <c>capture_mode</c> after the exit code and signal (the caller writes it); an
    /// in-process capture, which has neither, has it right after <c>duration_ms</c>.
    /// </summary>
    public static void WriteHead(JsonObject f, string operationId, string operationName, string operationKind, string correlationId, string? traceId,
        string? spanId, string? parentSpanId, string? parentOperationId, DateTimeOffset start, DateTimeOffset end, TimeSpan duration, string captureMode, bool captureModeAfterDuration)
    {
        f[JournalFields.OperationId] = operationId;
        f[JournalFields.OperationName] = operationName;
        f[JournalFields.OperationKind] = operationKind;
        f[JournalFields.CorrelationId] = correlationId;
        if (traceId is not null) f[JournalFields.TraceId] = traceId;
        if (spanId is not null) f[JournalFields.SpanId] = spanId;
        if (parentSpanId is not null) f[JournalFields.ParentSpanId] = parentSpanId;
        if (parentOperationId is not null) f[JournalFields.ParentOperationId] = parentOperationId;
        f[JournalFields.StartTime] = RecordTime.Format(start);
        f[JournalFields.EndTime] = RecordTime.Format(end);
        f[JournalFields.DurationMs] = RecordTime.Milliseconds(duration);
        if (captureModeAfterDuration) f[JournalFields.CaptureMode] = captureMode;
    }

    public static Head ReadHead(SessionEvent e)
    {
        var start = FieldReader.Time(e.Fields[JournalFields.StartTime]) ?? e.Timestamp;
        var end = FieldReader.Time(e.Fields[JournalFields.EndTime]) ?? e.Timestamp;
        return new Head(e.GetString(JournalFields.OperationId) ?? string.Empty, e.GetString(JournalFields.OperationName) ?? string.Empty,
            e.GetString(JournalFields.CorrelationId) ?? e.SessionId, e.GetString(JournalFields.TraceId), e.GetString(JournalFields.SpanId),
            e.GetString(JournalFields.ParentSpanId), e.GetString(JournalFields.ParentOperationId), start, end,
            RecordTime.FromMilliseconds(e.GetDouble(JournalFields.DurationMs) ?? 0));
    }

    public static void WriteStream(JsonObject f, OutputStorage s, bool primary)
    {
        f[primary ? JournalFields.OutputLength : JournalFields.StderrLength] = s.Length;
        f[primary ? JournalFields.IntegrityHash : JournalFields.StderrHash] = s.Hash;
        if (s.Inline is not null) f[primary ? JournalFields.Output : JournalFields.Stderr] = s.Inline;
        else if (s.Blob is not null) f[primary ? JournalFields.OutputBlob : JournalFields.StderrBlob] = s.Blob;
        else if (primary && s.StreamReference is not null)
        {
            f[JournalFields.OutputStream] = s.StreamReference;
            f[JournalFields.OutputOffset] = s.StreamOffset ?? 0;
        }
        else if (s.BlobError is not null)
        {
            f[(primary ? JournalFields.OutputBlob : JournalFields.StderrBlob) + "_error"] = s.BlobError;
            f[primary ? JournalFields.OutputStored : JournalFields.StderrStored] = false;
        }
        if (s.Truncated)
        {
            f[primary ? JournalFields.OutputTruncated : JournalFields.StderrTruncated] = true;
            f[primary ? JournalFields.OutputReceivedLength : JournalFields.StderrReceivedLength] = s.ReceivedLength;
        }
    }

    public static OutputStorage? ReadStream(SessionEvent e, bool primary)
    {
        string lengthField = primary ? JournalFields.OutputLength : JournalFields.StderrLength;
        if (!e.Fields.ContainsKey(lengthField)) return null;
        string blobField = primary ? JournalFields.OutputBlob : JournalFields.StderrBlob;
        return new OutputStorage(
            e.GetInt64(lengthField) ?? 0,
            e.GetString(primary ? JournalFields.IntegrityHash : JournalFields.StderrHash) ?? string.Empty,
            e.GetString(primary ? JournalFields.Output : JournalFields.Stderr),
            e.GetString(blobField),
            e.GetString(blobField + "_error"),
            FieldReader.Boolean(e.Fields[primary ? JournalFields.OutputTruncated : JournalFields.StderrTruncated]) ?? false,
            e.GetInt64(primary ? JournalFields.OutputReceivedLength : JournalFields.StderrReceivedLength))
        {
            StreamReference = primary ? e.GetString(JournalFields.OutputStream) : null,
            StreamOffset = primary ? e.GetInt64(JournalFields.OutputOffset) : null,
        };
    }
}
