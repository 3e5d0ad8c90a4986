using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// An operation that ran elsewhere and is reported after the fact (an agent's tool call through <c>cfsession hook</c>):
/// what ran, where, its output streams and, only where the reporter knows it, its exit code.
/// </summary>
/// <param name="OperationName">The command line as the agent gave it (an edit: the tool name and the path).</param>
/// <param name="Program">The <c>command</c> field: the tool that ran it (<c>Bash</c>, <c>Edit</c>, ...).</param>
/// <param name="Arguments">The <c>arguments</c> field (the command text, or the path).</param>
/// <param name="Cwd">The working directory the agent reported.</param>
/// <param name="StartTime">When it started (the report's time when the reporter gives none).</param>
/// <param name="Duration">How long it ran (zero when unknown).</param>
/// <param name="Stdout">Standard output, exactly as reported.</param>
/// <param name="Stderr">Standard error, exactly as reported.</param>
/// <param name="ExitCode">The exit code when the reporter gives one; null (recorded as <c>exit_code: null</c>, unknown) otherwise. Never invented.</param>
/// <param name="Error">The failure the reporter described (error text, interruption); makes the operation failed whatever the exit code.</param>
internal sealed record ReportedOperation(string OperationName, string Program, IReadOnlyList<string> Arguments, string Cwd, DateTimeOffset StartTime,
    TimeSpan Duration, byte[] Stdout, byte[] Stderr, int? ExitCode, string? Error);

/// <summary>Journals a <see cref="ReportedOperation"/> as one TerminalCapture, with redaction, hashes and blobs as a <c>run</c> gets.</summary>
internal static class ReportedOperationRecorder
{
    /// <summary>The <c>capture_mode</c> of a reported operation: its streams arrive apart, as in pipe mode.</summary>
    public const string CaptureMode = "pipes";

    public static SessionEvent Record(Session session, ReportedOperation operation)
    {
        string operationId = Guid.NewGuid().ToString("D");
        string blobs = session.Data.BlobDirectory(session.Id);
        using var primary = session.CreateCapture("stdout");
        using var stderr = session.CreateCapture("stderr");
        primary.Write(operation.Stdout);
        stderr.Write(operation.Stderr);
        var stored = OutputStore.Store(primary, blobs);
        var storedStderr = OutputStore.Store(stderr, blobs);
        string sample = OutputStore.Sample(primary, stderr);
        var argumentRedactions = new Redaction.RedactionTally();
        var arguments = session.Redactor is null ? operation.Arguments : Redaction.FieldRedaction.Arguments(operation.Program, operation.Arguments, argumentRedactions);
        var captured = new OperationCaptured(operationId, operation.OperationName, OperationKinds.Command, session.Id, operation.StartTime, operation.Duration, CaptureMode, stored, sample)
        {
            TraceId = session.TraceId.ToHexString(),
            SpanId = Telemetry.SessionActivities.SpanIdFor(operationId).ToHexString(),
            ParentSpanId = session.ActivityContext.SpanId.ToHexString(),
            Command = operation.Program,
            Arguments = arguments,
            Cwd = operation.Cwd,
            ExitCode = operation.ExitCode,
            StartError = operation.Error,
            Stderr = storedStderr,
            Provenance = session.Provenance(operation.Cwd),
        };
        return session.Record(captured, primary.Redactions, stderr.Redactions, argumentRedactions)
            ?? throw new IOException("the operation was not recorded: the session has ended");
    }
}
