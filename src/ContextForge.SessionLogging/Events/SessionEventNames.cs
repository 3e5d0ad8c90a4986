namespace ContextForge.SessionLogging.Events;

/// <summary>The event names shared by the provider and the journal. A contract: keep them exact.</summary>
internal static class SessionEventNames
{
    /// <summary>A session was opened.</summary>
    public const string SessionStart = "SessionStart";
    /// <summary>A session was closed.</summary>
    public const string SessionEnd = "SessionEnd";
    /// <summary>An operation (a command or an in-process block) was captured.</summary>
    public const string TerminalCapture = "TerminalCapture";
    /// <summary>An in-process capture ended with an exception.</summary>
    public const string TerminalCaptureFailed = "TerminalCaptureFailed";
    /// <summary>An achievement (a verified outcome with evidence) was logged.</summary>
    public const string AchievementLogged = "AchievementLogged";
    /// <summary>
    /// Journal only (not a provider event): <c>cfsession run</c> is about to start a command. Its TerminalCapture
    /// (same <c>operation_id</c>) completes it; one without a capture whose writer is gone was interrupted.
    /// </summary>
    public const string OperationStarted = "OperationStarted";

    /// <summary>
    /// Maps the spellings trace decoders use for Start/Stop-opcode events (<c>Session/Start</c>) back to the
    /// journal's event name. Unknown names are returned unchanged.
    /// </summary>
    public static string Normalize(string name) => name switch
    {
        "Session/Start" => SessionStart,
        "Session/Stop" => SessionEnd,
        _ => name,
    };
}
