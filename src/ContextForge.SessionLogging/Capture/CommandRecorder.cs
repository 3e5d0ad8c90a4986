using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Capture;

/// <summary>The environment variables a session passes to the commands it runs.</summary>
public static class SessionEnvironment
{
    /// <summary>The current session's id; a <c>cfsession run</c> with it set joins that session.</summary>
    public const string SessionId = "CFSESSION_ID";

    /// <summary>The operation id of the enclosing <c>cfsession run</c>, so a nested run records its parent.</summary>
    public const string ParentOperationId = "CFSESSION_PARENT_ID";

    /// <summary>The W3C trace context passed to children.</summary>
    public const string TraceParent = "TRACEPARENT";
}

/// <summary>What <see cref="CommandRecorder.RunAsync"/> did.</summary>
/// <param name="Outcome">How the child ended.</param>
/// <param name="Record">The journaled capture.</param>
/// <param name="Event">The journaled event.</param>
/// <param name="StartError">Why the command could not be started (then the exit code is 126 or 127).</param>
internal sealed record CommandRunResult(CommandOutcome Outcome, CaptureRecord Record, SessionEvent Event, string? StartError);

/// <summary>Runs a child process inside a session and journals it as one TerminalCapture.</summary>
internal static class CommandRecorder
{
    public static async Task<CommandRunResult> RunAsync(Session session, ICommandRunner runner, CommandSpec command, string? parentOperationId, CancellationToken cancellationToken)
    {
        var (activity, operationId) = Telemetry.SessionActivities.StartOperation(session, command.CommandLine);
        using var operationActivity = activity;
        string blobs = session.Data.BlobDirectory(session.Id);
        using var primary = session.CreateCapture("stdout");
        using var stderr = session.CreateCapture("stderr");
        var env = new Dictionary<string, string?>(command.Environment)
        {
            [SessionEnvironment.SessionId] = session.Id,
            [SessionEnvironment.ParentOperationId] = operationId,
            [SessionEnvironment.TraceParent] = TraceParent(session.Id, operationId),
        };
        var spec = command with { Environment = env };
        var argumentRedactions = new Redaction.RedactionTally();
        var recordedArguments = session.Redactor is null ? command.Arguments : Redaction.FieldRedaction.Arguments(command.Program, command.Arguments, argumentRedactions);
        string recordedCommandLine = CommandSpec.CommandLineOf(command.Program, recordedArguments);
        var start = DateTimeOffset.UtcNow;
        // Before the child starts: if this process dies before the capture is journaled, the operation is still on
        // record, and readers show it as interrupted once this process is provably gone. Under run's group commit
        // this is a write() without its own fsync (it survives SIGKILL; the capture's fsync covers it).
        var started = new JsonObject
        {
            [JournalFields.OperationId] = operationId,
            [JournalFields.OperationName] = recordedCommandLine,
            [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = session.Id,
        };
        if (parentOperationId is not null) started[JournalFields.ParentOperationId] = parentOperationId;
        started[JournalFields.StartTime] = SessionManager.FormatTime(start);
        started[JournalFields.Command] = command.Program;
        started[JournalFields.Arguments] = new JsonArray(recordedArguments.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        started[JournalFields.Cwd] = command.WorkingDirectory;
        started[JournalFields.Provenance] = Provenance.Capture(session.ToolName, command.WorkingDirectory);
        session.Emit(SessionEventNames.OperationStarted, start, EventLevel.Informational, SessionKeywords.Terminal, started, argumentRedactions);
        long startTimestamp = Stopwatch.GetTimestamp();
        CommandOutcome outcome;
        string? startError = null;
        try
        {
            outcome = await runner.RunAsync(spec, primary, stderr, cancellationToken).ConfigureAwait(false);
        }
        catch (CommandStartException ex)
        {
            // Recorded too: "I ran X and it was not there" is part of the session's story.
            startError = ex.Message;
            outcome = new CommandOutcome(ex.ExitCode, null, 0, "none");
        }
        double durationMs = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        var end = start + TimeSpan.FromMilliseconds(durationMs);

        var fields = new JsonObject
        {
            [JournalFields.OperationId] = operationId,
            [JournalFields.OperationName] = recordedCommandLine,
            [JournalFields.OperationKind] = "command",
            [JournalFields.CorrelationId] = session.Id,
            [JournalFields.TraceId] = session.TraceId.ToHexString(),
            [JournalFields.SpanId] = Telemetry.SessionActivities.SpanIdFor(operationId).ToHexString(),
            [JournalFields.ParentSpanId] = (activity?.ParentSpanId ?? session.ActivityContext.SpanId).ToHexString(),
        };
        activity?.SetTag("process.exit_code", outcome.ExitCode);
        if (outcome.ExitCode != 0) activity?.SetStatus(ActivityStatusCode.Error, $"exit code {outcome.ExitCode}");
        if (parentOperationId is not null) fields[JournalFields.ParentOperationId] = parentOperationId;
        fields[JournalFields.StartTime] = SessionManager.FormatTime(start);
        fields[JournalFields.EndTime] = SessionManager.FormatTime(end);
        fields[JournalFields.DurationMs] = Math.Round(durationMs, 3);
        fields[JournalFields.Command] = command.Program;
        fields[JournalFields.Arguments] = new JsonArray(recordedArguments.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        fields[JournalFields.Cwd] = command.WorkingDirectory;
        fields[JournalFields.ExitCode] = outcome.ExitCode;
        fields[JournalFields.Signal] = outcome.Signal;
        fields[JournalFields.CaptureMode] = outcome.Mode;
        if (startError is not null) fields[JournalFields.Error] = startError;
        OutputStore.Store(primary, blobs, fields, JournalFields.OutputLength, JournalFields.IntegrityHash, JournalFields.Output, JournalFields.OutputBlob);
        RecordTruncation(primary, fields, JournalFields.OutputTruncated, JournalFields.OutputReceivedLength);
        string sample = OutputStore.Sample(primary);
        if (outcome.Mode != "pty")
        {
            OutputStore.Store(stderr, blobs, fields, JournalFields.StderrLength, JournalFields.StderrHash, JournalFields.Stderr, JournalFields.StderrBlob);
            RecordTruncation(stderr, fields, JournalFields.StderrTruncated, JournalFields.StderrReceivedLength);
            if (sample.Length < OutputStore.SampleLength)
            {
                string errSample = OutputStore.Sample(stderr);
                sample = (sample + errSample).Length > OutputStore.SampleLength ? (sample + errSample)[..OutputStore.SampleLength] : sample + errSample;
            }
        }
        fields[JournalFields.OutputSample] = sample;
        fields[JournalFields.Provenance] = Provenance.Capture(session.ToolName, command.WorkingDirectory);
        var etw = session.EtwCorrelation(EventLevel.Informational, SessionKeywords.Terminal);
        etw[JournalFields.OperationId] = operationId;
        fields[JournalFields.EtwCorrelation] = etw;
        var e = session.Emit(SessionEventNames.TerminalCapture, end, EventLevel.Informational, SessionKeywords.Terminal, fields,
            primary.Redactions, outcome.Mode != "pty" ? stderr.Redactions : null, argumentRedactions);
        var record = new CaptureRecord(operationId, fields[JournalFields.OperationName]!.GetValue<string>(), session.Id, start, end, durationMs, outcome.ExitCode,
            primary.Length + stderr.Length, fields[JournalFields.IntegrityHash]!.GetValue<string>(), outcome.ExitCode == 0);
        return new CommandRunResult(outcome, record, e, startError);
    }

    /// <summary>A capped stream records that it was truncated and its true length (bytes received from the child).</summary>
    internal static void RecordTruncation(CapturedOutput output, JsonObject fields, string truncatedField, string receivedField)
    {
        if (!output.Truncated) return;
        fields[truncatedField] = true;
        fields[receivedField] = output.ReceivedLength;
    }

    /// <summary>A W3C traceparent whose trace id is the session id and whose span id comes from the operation id.</summary>
    internal static string TraceParent(string sessionId, string operationId) =>
        $"00-{sessionId.Replace("-", "", StringComparison.Ordinal)}-{operationId.Replace("-", "", StringComparison.Ordinal)[..16]}-01";
}
