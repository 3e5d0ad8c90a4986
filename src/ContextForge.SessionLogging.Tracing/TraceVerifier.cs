using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>One field whose trace value differs from what the journal says the provider emitted.</summary>
/// <param name="Field">The snake_case field (or <c>level</c>, <c>keywords</c>, <c>activity_id</c>).</param>
/// <param name="Journal">The value the journal implies.</param>
/// <param name="Trace">The value in the trace (null when the trace lacks the field).</param>
public sealed record FieldMismatch(string Field, JsonNode? Journal, JsonNode? Trace);

/// <summary>An event matched by ids in both the journal and the trace whose fields differ.</summary>
/// <param name="Event">The event name.</param>
/// <param name="Key">The operation or achievement id (empty for session events).</param>
/// <param name="Fields">The fields that differ.</param>
public sealed record EventMismatch(string Event, string Key, IReadOnlyList<FieldMismatch> Fields);

/// <summary>An event found on one side only, with the reason when the difference is explained.</summary>
/// <param name="Event">The event name.</param>
/// <param name="Key">The operation or achievement id (empty for session events).</param>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="Explanation">Why the other side lacks it, or null when nothing explains it.</param>
public sealed record UnmatchedEvent(string Event, string Key, DateTimeOffset Timestamp, string? Explanation);

/// <summary>The comparison of one session's trace events with its journal.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="JournalFound">False when no journal of the session was found (every trace event is then unmatched).</param>
/// <param name="Matched">Events found on both sides with every provider field equal.</param>
/// <param name="OnlyInJournal">Journal events the trace lacks, each with its explanation when there is one.</param>
/// <param name="OnlyInTrace">Trace events the journal lacks.</param>
/// <param name="Mismatches">Events on both sides whose fields differ.</param>
public sealed record SessionVerification(
    string SessionId,
    bool JournalFound,
    int Matched,
    IReadOnlyList<UnmatchedEvent> OnlyInJournal,
    IReadOnlyList<UnmatchedEvent> OnlyInTrace,
    IReadOnlyList<EventMismatch> Mismatches)
{
    /// <summary>Differences nothing explains: a field mismatch, an event only in the trace, or an unexplained journal-only event.</summary>
    public int Unexplained => Mismatches.Count + OnlyInTrace.Count(e => e.Explanation is null) + OnlyInJournal.Count(e => e.Explanation is null);
}

/// <summary>The result of <see cref="TraceVerifier.Verify"/>.</summary>
/// <param name="Trace">The trace file.</param>
/// <param name="LostEvents">Events the recording session reported lost.</param>
/// <param name="Sessions">One comparison per session found in the trace.</param>
public sealed record VerificationReport(string Trace, long LostEvents, IReadOnlyList<SessionVerification> Sessions)
{
    /// <summary>All unexplained differences over all sessions.</summary>
    public int Unexplained => Sessions.Sum(s => s.Unexplained);
}

/// <summary>
/// The original plan's "correlation tracking between JSONL logs and ETW events": for each session in a trace, matches every
/// provider event to its journal line by ids (session id + event name + operation or achievement id) and compares
/// every field the provider writes. Journal-only events are explained when they fall outside the trace's time
/// window, when the journal records that the provider was not enabled (<c>etw_correlation.etw_emitted</c> false),
/// or when the trace reports lost events (at most as many as it lost).
/// </summary>
public static class TraceVerifier
{
    /// <summary>Compares <paramref name="trace"/> with the journals <paramref name="readJournal"/> returns (null: no journal).</summary>
    public static VerificationReport Verify(TraceReadResult trace, Func<string, IReadOnlyList<SessionEvent>?> readJournal)
    {
        long lostBudget = trace.LostEvents;
        var sessions = new List<SessionVerification>();
        var traced = trace.Events.Where(e => e.Provider == SessionLoggingEventSource.ProviderName).Select(e => e.Event);
        foreach (var group in traced.GroupBy(e => e.SessionId, StringComparer.Ordinal))
        {
            var journal = readJournal(group.Key);
            var expected = (journal ?? []).Where(e => ProviderProjection.ExpectedFields(e) is not null).ToList();
            var pending = expected.GroupBy(ProviderProjection.MatchKey, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new Queue<SessionEvent>(g), StringComparer.Ordinal);
            var onlyInTrace = new List<UnmatchedEvent>();
            var mismatches = new List<EventMismatch>();
            int matched = 0;
            foreach (var t in group)
            {
                string key = ProviderProjection.MatchKey(t);
                if (!pending.TryGetValue(key, out var queue) || queue.Count == 0)
                {
                    onlyInTrace.Add(new UnmatchedEvent(t.Name, Id(key), t.Timestamp, null));
                    continue;
                }
                var j = queue.Dequeue();
                var differences = Compare(j, t);
                if (differences.Count == 0) matched++;
                else mismatches.Add(new EventMismatch(t.Name, Id(key), differences));
            }
            var onlyInJournal = new List<UnmatchedEvent>();
            foreach (var j in pending.Values.SelectMany(q => q).OrderBy(e => e.Timestamp))
            {
                string? why = Explain(j, trace, ref lostBudget);
                onlyInJournal.Add(new UnmatchedEvent(j.Name, Id(ProviderProjection.MatchKey(j)), j.Timestamp, why));
            }
            sessions.Add(new SessionVerification(group.Key, journal is not null, matched, onlyInJournal, onlyInTrace, mismatches));
        }
        return new VerificationReport(trace.Path, trace.LostEvents, sessions);
    }

    private static string Id(string key) => key[(key.IndexOf('|', StringComparison.Ordinal) + 1)..];

    private static string? Explain(SessionEvent journal, TraceReadResult trace, ref long lostBudget)
    {
        if (journal.Fields[JournalFields.EtwCorrelation]?["etw_emitted"] is JsonValue emitted && emitted.TryGetValue(out bool wasEmitted) && !wasEmitted)
            return "the provider was not enabled when it was written (etw_emitted false)";
        if (journal.Timestamp < trace.TraceStart) return $"before the trace started ({Sessions.SessionManager.FormatTime(trace.TraceStart)})";
        if (journal.Timestamp > trace.TraceEnd) return $"after the trace ended ({Sessions.SessionManager.FormatTime(trace.TraceEnd)})";
        if (lostBudget > 0)
        {
            lostBudget--;
            return $"may be one of the {trace.LostEvents.ToString(CultureInfo.InvariantCulture)} events the trace lost";
        }
        return null;
    }

    private static List<FieldMismatch> Compare(SessionEvent journal, SessionEvent trace)
    {
        var differences = new List<FieldMismatch>();
        foreach (var (field, value) in ProviderProjection.ExpectedFields(journal)!)
        {
            var actual = trace.Fields[field];
            if (!trace.Fields.ContainsKey(field) || !ProviderProjection.ValuesEqual(value, actual))
                differences.Add(new FieldMismatch(field, value?.DeepClone(), actual?.DeepClone()));
        }
        if (journal.Level != trace.Level)
            differences.Add(new FieldMismatch("level", (int)journal.Level, (int)trace.Level));
        if (journal.Keywords != trace.Keywords)
            differences.Add(new FieldMismatch("keywords", (long)journal.Keywords, (long)trace.Keywords));
        if (journal.Name == SessionEventNames.SessionStart && journal.ActivityId != trace.ActivityId)
            differences.Add(new FieldMismatch("activity_id", journal.ActivityId.ToString("D"), trace.ActivityId.ToString("D")));
        return differences;
    }
}
