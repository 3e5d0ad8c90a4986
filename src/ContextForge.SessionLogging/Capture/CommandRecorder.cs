using System.Diagnostics;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
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
/// <param name="Redactions">The secrets redacted from the command's output streams and arguments, per rule (each secret once).</param>
internal sealed record CommandRunResult(CommandOutcome Outcome, CaptureRecord Record, SessionEvent Event, string? StartError, Redaction.RedactionTally Redactions)
{
    /// <summary>An output went to a blob (stored uncompressed by the capture path, to be recompacted).</summary>
    public bool StoredBlob { get; init; }
}

/// <summary>Runs a child process inside a session and journals it as one TerminalCapture.</summary>
internal static class CommandRecorder
{
    /// <param name="session">The session the operation belongs to.</param>
    /// <param name="runner">Runs the child.</param>
    /// <param name="command">What to run.</param>
    /// <param name="parentOperationId">The enclosing operation (a nested run), if any.</param>
    /// <param name="cancellationToken">Cancels the run (the child is signalled).</param>
    /// <param name="started">Told the operation id once OperationStarted is journaled, before the child starts.</param>
    public static async Task<CommandRunResult> RunAsync(Session session, ICommandRunner runner, CommandSpec command, string? parentOperationId, CancellationToken cancellationToken, Action<string>? started = null)
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
            [SessionEnvironment.TraceParent] = TraceParent(session.TraceId, operationId),
        };
        var spec = command with { Environment = env };
        var argumentRedactions = new Redaction.RedactionTally();
        var recordedArguments = session.Redactor is null ? command.Arguments : Redaction.FieldRedaction.Arguments(command.Program, command.Arguments, argumentRedactions);
        string recordedCommandLine = CommandSpec.CommandLineOf(command.Program, recordedArguments);
        var start = DateTimeOffset.UtcNow;
        // Before the child starts: if this process dies before the capture is journaled, the operation is still on
        // record, and readers show it as interrupted once this process is provably gone. Under run's group commit
        // this is a write() without its own fsync (it survives SIGKILL; the capture's fsync covers it).
        session.Record(new OperationStarted(operationId, recordedCommandLine, session.Id, start, command.Program, recordedArguments, command.WorkingDirectory)
        {
            ParentOperationId = parentOperationId,
            Provenance = session.Provenance(command.WorkingDirectory),
        }, argumentRedactions);
        started?.Invoke(operationId);
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
        var duration = Stopwatch.GetElapsedTime(startTimestamp);
        activity?.SetTag("process.exit_code", outcome.ExitCode);
        if (outcome.ExitCode != 0) Telemetry.SessionActivities.Failed(activity, startError ?? $"exit code {outcome.ExitCode}", exception: null);
        bool pipes = outcome.Mode != "pty";
        var stored = OutputStore.Store(primary, blobs);
        var storedStderr = pipes ? OutputStore.Store(stderr, blobs) : null;
        string sample = OutputStore.Sample(primary, pipes ? stderr : null);
        var captured = new OperationCaptured(operationId, recordedCommandLine, OperationKinds.Command, session.Id, start, duration, outcome.Mode, stored, sample)
        {
            TraceId = session.TraceId.ToHexString(),
            SpanId = Telemetry.SessionActivities.SpanIdFor(operationId).ToHexString(),
            ParentSpanId = (activity?.ParentSpanId ?? session.ActivityContext.SpanId).ToHexString(),
            ParentOperationId = parentOperationId,
            Command = command.Program,
            Arguments = recordedArguments,
            Cwd = command.WorkingDirectory,
            ExitCode = outcome.ExitCode,
            Signal = outcome.Signal,
            StartError = startError,
            Stderr = storedStderr,
            Provenance = session.Provenance(command.WorkingDirectory),
        };
        var e = session.Record(captured, primary.Redactions, pipes ? stderr.Redactions : null, argumentRedactions)!;
        var record = new CaptureRecord(operationId, e.GetString(JournalFields.OperationName) ?? recordedCommandLine, session.Id, start, captured.EndTime,
            duration, outcome.ExitCode, primary.Length + stderr.Length, stored.Hash, outcome.ExitCode == 0);
        // Each secret in the arguments once (the journal also redacts it in operation_name; that is the same secret).
        var argumentSecrets = new Redaction.RedactionTally();
        if (session.Redactor is { } redactor) foreach (string a in recordedArguments) redactor.Redact(a, argumentSecrets);
        var redactions = Redaction.RedactionSummary.Combine(primary.Redactions, pipes ? stderr.Redactions : null, argumentRedactions, argumentSecrets);
        return new CommandRunResult(outcome, record, e, startError, redactions) { StoredBlob = stored.Blob is not null || storedStderr?.Blob is not null };
    }

    /// <summary>A W3C traceparent in the session's trace whose span id comes from the operation id.</summary>
    internal static string TraceParent(ActivityTraceId traceId, string operationId) =>
        $"00-{traceId.ToHexString()}-{operationId.Replace("-", "", StringComparison.Ordinal)[..16]}-01";
}
