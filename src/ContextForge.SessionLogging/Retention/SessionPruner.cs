using ContextForge.SessionLogging.Index;

namespace ContextForge.SessionLogging.Retention;

/// <summary>A session <c>prune</c> removes (or, with --dry-run, would remove), and why.</summary>
internal sealed record PruneCandidate(string SessionId, string Name, DateTimeOffset? StartTime, DateTimeOffset? LastEventTime, long Bytes, string Status, string Reason);

/// <summary>What the rules select, and the open sessions they would have selected but must keep.</summary>
internal sealed record PrunePlan(IReadOnlyList<PruneCandidate> Remove, IReadOnlyList<PruneCandidate> KeptOpen, long TotalBytes);

/// <summary>
/// Retention: removes whole sessions (segments, blobs, counters) and their index rows together. A session is selected
/// when any rule selects it: last event older than <c>--older-than</c>, beyond the newest <c>--keep-last N</c>, or
/// beyond the newest sessions that fit in <c>--max-size</c>. An open session is never removed unless forced.
/// </summary>
internal static class SessionPruner
{
    public static PrunePlan Plan(HistoryIndex index, TimeSpan? olderThan, long? maxBytes, int? keepLast, bool force, DateTimeOffset now)
    {
        index.CatchUp(full: true);
        var sessions = HistoryQuery.Sessions(index, 0); // newest first
        var remove = new List<PruneCandidate>();
        var keptOpen = new List<PruneCandidate>();
        long cumulative = 0, total = 0;
        for (int i = 0; i < sessions.Count; i++)
        {
            var s = sessions[i];
            long bytes = DirectorySize(index.Data.SessionDirectory(s.SessionId));
            total += bytes;
            cumulative += bytes;
            var reasons = new List<string>();
            if (olderThan is { } age && s.LastEventTime is { } last && now - last > age) reasons.Add("older-than");
            if (keepLast is { } keep && i >= keep) reasons.Add("keep-last");
            if (maxBytes is { } max && cumulative > max) reasons.Add("max-size");
            if (reasons.Count == 0) continue;
            var candidate = new PruneCandidate(s.SessionId, s.Name, s.StartTime, s.LastEventTime, bytes, s.Status, string.Join(",", reasons));
            if (s.Status == "open" && !force) keptOpen.Add(candidate);
            else remove.Add(candidate);
        }
        return new PrunePlan(remove, keptOpen, total);
    }

    /// <summary>
    /// Removes each session: its directory is first renamed out of the sessions namespace (atomic, so no reader or
    /// catch-up sees half a session), then its index rows go in one transaction, then the files are deleted.
    /// </summary>
    public static int Remove(HistoryIndex index, IEnumerable<PruneCandidate> candidates)
    {
        int removed = 0;
        foreach (var c in candidates)
        {
            string dir = index.Data.SessionDirectory(c.SessionId);
            string trash = Path.Combine(index.Data.SessionsDirectory, $".pruning-{c.SessionId}-{Guid.NewGuid():N}");
            if (Directory.Exists(dir)) Directory.Move(dir, trash);
            using (var tx = index.Connection.BeginTransaction(deferred: false))
            {
                index.DeleteSession(c.SessionId, tx);
                tx.Commit();
            }
            if (Directory.Exists(trash)) Directory.Delete(trash, recursive: true);
            removed++;
        }
        return removed;
    }

    public static long DirectorySize(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        long size = 0;
        foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories)) size += f.Length;
        return size;
    }
}
