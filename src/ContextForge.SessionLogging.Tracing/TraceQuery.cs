using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>The result of a query: the sessions, and the trace files that could not be read.</summary>
internal sealed record TraceQueryResult(IReadOnlyList<TracedSession> Sessions, int TracesRead, IReadOnlyList<string> Problems);

/// <summary>
/// Reads every trace in a folder (.nettrace everywhere, .etl on Windows) modified within the last N days and groups
/// the ContextForge.SessionLogging events of that period by correlation (session) id, newest session first.
/// </summary>
internal static class TraceQuery
{
    /// <summary>Parses <c>session,terminal,achievement,milestone</c> (any subset) or a number such as <c>0x5</c>.</summary>
    public static SessionKeywords ParseKeywords(string text) => SessionKeywordsText.Parse(text);

    /// <summary>Runs the query over <paramref name="directory"/> for events since <paramref name="since"/>.</summary>
    public static TraceQueryResult Run(string directory, DateTimeOffset since, SessionKeywords keywords)
    {
        var problems = new List<string>();
        var byId = new Dictionary<string, (List<SessionEvent> Events, SortedSet<string> Traces)>(StringComparer.Ordinal);
        int read = 0;
        if (Directory.Exists(directory))
        {
            foreach (string file in Directory.EnumerateFiles(directory).Where(IsTrace).Order(StringComparer.Ordinal))
            {
                if (File.GetLastWriteTimeUtc(file) < since.UtcDateTime) continue;
                TraceReadResult trace;
                try
                {
                    trace = TraceReader.Read(file);
                }
                catch (TraceReadException ex)
                {
                    problems.Add(ex.Message);
                    continue;
                }
                read++;
                foreach (var e in trace.Events.Where(e => e.Provider == Telemetry.SessionLoggingEventSource.ProviderName).Select(e => e.Event))
                {
                    if (e.Timestamp < since || (e.Keywords & keywords) == 0) continue;
                    if (!byId.TryGetValue(e.SessionId, out var entry)) byId[e.SessionId] = entry = ([], new SortedSet<string>(StringComparer.Ordinal));
                    entry.Events.Add(e);
                    entry.Traces.Add(Path.GetFileName(file));
                }
            }
        }
        // Newest session first: by its SessionStart, else by its earliest operation or achievement.
        var sessions = byId
            .OrderByDescending(kv => kv.Value.Events.FirstOrDefault(e => e.Name == SessionEventNames.SessionStart)?.Timestamp
                ?? kv.Value.Events.Where(e => e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed or SessionEventNames.AchievementLogged)
                    .Select(e => e.Timestamp).DefaultIfEmpty().Min())
            .Select(kv => GroupedSessions.Traced(kv.Key, kv.Value.Events.OrderBy(e => e.Timestamp).ToList(), kv.Value.Traces.ToList()))
            .ToList();
        return new TraceQueryResult(sessions, read, problems);
    }

    private static bool IsTrace(string path) =>
        path.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase)
        || (OperatingSystem.IsWindows() && path.EndsWith(".etl", StringComparison.OrdinalIgnoreCase));
}
