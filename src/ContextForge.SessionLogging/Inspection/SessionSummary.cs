using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Inspection;

/// <summary>One session as read from its journal: metadata, its captures and achievements.</summary>
internal sealed class SessionSummary
{
    /// <summary>A session from events already read (the index keeps them without their inline output).</summary>
    public static SessionSummary FromEvents(string id, IReadOnlyList<SessionEvent> events) => new(id, new JournalReadResult(events, []));

    private SessionSummary(string id, JournalReadResult journal)
    {
        Id = id;
        Events = journal.Events;
        Problems = journal.Problems;
        Start = Events.FirstOrDefault(e => e.Name == SessionEventNames.SessionStart);
        End = Events.LastOrDefault(e => e.Name == SessionEventNames.SessionEnd);
        Captures = Events.Where(OperationOutcome.IsOperation).ToList();
        Achievements = Events.Where(e => e.Name == SessionEventNames.AchievementLogged).ToList();
    }

    public string Id { get; }
    public IReadOnlyList<SessionEvent> Events { get; }
    public IReadOnlyList<JournalProblem> Problems { get; }
    public SessionEvent? Start { get; }
    public SessionEvent? End { get; }
    public IReadOnlyList<SessionEvent> Captures { get; }
    public IReadOnlyList<SessionEvent> Achievements { get; }

    public string Name => Start?.GetString(JournalFields.SessionName) ?? string.Empty;
    public string Type => Start?.GetString(JournalFields.SessionType) ?? string.Empty;

    public DateTimeOffset? StartTime =>
        SessionManager.ParseTime(Start?.GetString(JournalFields.StartTime)) ?? Start?.Timestamp ?? Events.FirstOrDefault()?.Timestamp;

    public DateTimeOffset? EndTime => End?.Timestamp;

    /// <summary>
    /// The status the history index computed ("ended", "open" or "abandoned", see docs/reliability.md) when the
    /// summary was built from the index; null for a summary read from the journals alone.
    /// </summary>
    public string? IndexedStatus { get; set; }

    /// <summary>This summary with <see cref="IndexedStatus"/> set.</summary>
    public SessionSummary WithIndexedStatus(string? status)
    {
        IndexedStatus = status;
        return this;
    }

    /// <summary>The index's status when known, else "ended" when SessionEnd is journaled, else "open".</summary>
    public string Status => IndexedStatus ?? (End is not null ? "ended" : "open");

    public double? DurationMs => End?.GetDouble(JournalFields.DurationMs)
        ?? (StartTime is { } s && Events.Count > 0 ? (Events[^1].Timestamp - s).TotalMilliseconds : null);

    public int FailedOperationCount => Captures.Count(OperationOutcome.IsFailed);

    public long? LastExitCode => Captures.LastOrDefault(c => c.Fields.ContainsKey(JournalFields.ExitCode))?.GetInt64(JournalFields.ExitCode);

    public Guid ActivityId => Start?.ActivityId ?? Events.FirstOrDefault()?.ActivityId ?? Guid.Empty;

    public static SessionSummary Read(DataDirectory data, string sessionId) =>
        new(sessionId, JournalReader.ReadSession(data.SessionDirectory(sessionId)));

    /// <summary>The session <paramref name="sessionId"/> read from the journals in <paramref name="sessionDirectory"/>.</summary>
    internal static SessionSummary ReadDirectory(string sessionId, string sessionDirectory) =>
        new(sessionId, JournalReader.ReadSession(sessionDirectory));

    /// <summary>Every session in the data directory, newest start first.</summary>
    public static IReadOnlyList<SessionSummary> ReadAll(DataDirectory data) =>
        data.EnumerateSessionIds()
            .Select(id => Read(data, id))
            .Where(s => s.Events.Count > 0)
            .OrderByDescending(s => s.StartTime ?? DateTimeOffset.MinValue)
            .ThenBy(s => s.Id, StringComparer.Ordinal)
            .ToList();
}
