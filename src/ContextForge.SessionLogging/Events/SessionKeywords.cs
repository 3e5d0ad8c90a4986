namespace ContextForge.SessionLogging.Events;

/// <summary>
/// Keywords of the <c>ContextForge.SessionLogging</c> and <c>ContextForge.UnifiedTelemetry</c> providers.
/// The values are a contract with trace tools (ETW, EventPipe): never renumber them.
/// </summary>
[Flags]
public enum SessionKeywords : long
{
    /// <summary>No keyword.</summary>
    None = 0,
    /// <summary>Session lifecycle events (SessionStart, SessionEnd).</summary>
    Session = 0x1,
    /// <summary>Achievement events (AchievementLogged).</summary>
    Achievement = 0x2,
    /// <summary>Terminal capture events (TerminalCapture, TerminalCaptureFailed).</summary>
    Terminal = 0x4,
    /// <summary>Achievement Engine milestones (MilestoneReached).</summary>
    Milestone = 0x8,
}
