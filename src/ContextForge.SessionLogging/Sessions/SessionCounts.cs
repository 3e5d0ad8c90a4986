using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// The counts SessionEnd carries (operations, failed operations, achievements). A post-commit observer counts what
/// this process journaled, exactly as a re-read of the journal would count it; when another process also wrote to
/// the session, the counts come from reading every segment instead.
/// </summary>
internal sealed class SessionCounts : ISessionEventObserver
{
    private int _operations, _failed, _achievements;

    public void OnCommitted(SessionEvent e)
    {
        if (OperationOutcome.IsOperation(e)) Interlocked.Increment(ref _operations);
        if (OperationOutcome.IsFailed(e)) Interlocked.Increment(ref _failed);
        if (e.Name == SessionEventNames.AchievementLogged) Interlocked.Increment(ref _achievements);
    }

    /// <summary>
    /// The session's counts: this process's own when <paramref name="ownSegment"/> is the session's only segment and
    /// no other writer appended to it (<paramref name="sharedWithOthers"/>), else read from all of them.
    /// </summary>
    public (int Operations, int Failed, int Achievements) ForSession(string sessionDirectory, string ownSegment, bool sharedWithOthers)
    {
        if (!sharedWithOthers && IsOnlySegment(sessionDirectory, ownSegment)) return (_operations, _failed, _achievements);
        var events = JournalReader.ReadSession(sessionDirectory).Events;
        return (events.Count(OperationOutcome.IsOperation), events.Count(OperationOutcome.IsFailed), events.Count(e => e.Name == SessionEventNames.AchievementLogged));
    }

    private static bool IsOnlySegment(string sessionDirectory, string ownSegment)
    {
        if (!Directory.Exists(sessionDirectory)) return true;
        foreach (string segment in Directory.EnumerateFiles(sessionDirectory, "*" + JournalReader.SegmentExtension))
        {
            if (!string.Equals(Path.GetFullPath(segment), Path.GetFullPath(ownSegment), StringComparison.Ordinal)) return false;
        }
        return true;
    }
}
