namespace ContextForge.SessionLogging.Events;

/// <summary>What counts as a failed operation, defined once for the write side (SessionEnd's counts) and the query side.</summary>
public static class OperationOutcome
{
    /// <summary>True for a capture, failed or not (<c>TerminalCapture</c>, <c>TerminalCaptureFailed</c>): what <c>operation_count</c> counts.</summary>
    /// <param name="sessionEvent">Any event.</param>
    public static bool IsOperation(SessionEvent sessionEvent)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        return sessionEvent.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed;
    }

    /// <summary>
    /// True for a <c>TerminalCaptureFailed</c> (an in-process capture that threw), for a <c>TerminalCapture</c> with
    /// a non-zero <c>exit_code</c>, and for a <c>TerminalCapture</c> with an <c>error</c> (a command that could not
    /// start, or an agent's tool call reported failed by <c>cfsession hook</c>, whose exit code may be unknown); false
    /// for every other event.
    /// </summary>
    /// <param name="sessionEvent">Any event.</param>
    public static bool IsFailed(SessionEvent sessionEvent)
    {
        ArgumentNullException.ThrowIfNull(sessionEvent);
        return sessionEvent.Name == SessionEventNames.TerminalCaptureFailed
            || (sessionEvent.Name == SessionEventNames.TerminalCapture
                && ((sessionEvent.GetInt64(JournalFields.ExitCode) is { } code && code != 0) || sessionEvent.GetString(JournalFields.Error) is not null));
    }
}
