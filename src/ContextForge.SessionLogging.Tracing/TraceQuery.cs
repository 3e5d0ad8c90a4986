using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>One session's events found in a folder of traces, grouped like the seed's get_historical_sessions_via_etw.</summary>
internal sealed record TracedSession(string CorrelationId, SessionEvent? Start, IReadOnlyList<SessionEvent> Captures,
    IReadOnlyList<SessionEvent> Achievements, IReadOnlyList<string> Traces)
{
    /// <summary>The seed's grouped form: correlation_id, session_start, terminal_captures, achievements.</summary>
    public JsonObject ToJson() => new()
    {
        [JournalFields.CorrelationId] = CorrelationId,
        ["session_start"] = Start is null ? null : new JsonObject
        {
            [JournalFields.Timestamp] = SessionManager.FormatTime(Start.Timestamp),
            [JournalFields.SessionName] = Start.GetString(JournalFields.SessionName),
            [JournalFields.SessionType] = Start.GetString(JournalFields.SessionType),
            [JournalFields.Methodology] = Start.GetString(JournalFields.Methodology),
            ["activity_id"] = Start.ActivityId.ToString("D"),
        },
        ["terminal_captures"] = new JsonArray(Captures.Select(c => (JsonNode?)new JsonObject
        {
            ["event"] = c.Name,
            [JournalFields.Timestamp] = SessionManager.FormatTime(c.Timestamp),
            [JournalFields.OperationId] = c.GetString(JournalFields.OperationId),
            [JournalFields.OperationName] = c.GetString(JournalFields.OperationName),
            [JournalFields.DurationMs] = c.GetInt64(JournalFields.DurationMs),
            [JournalFields.ExitCode] = c.GetInt64(JournalFields.ExitCode),
            [JournalFields.OutputLength] = c.GetInt64(JournalFields.OutputLength),
            [JournalFields.Error] = c.GetString(JournalFields.Error),
        }).ToArray()),
        ["achievements"] = new JsonArray(Achievements.Select(a => (JsonNode?)new JsonObject
        {
            [JournalFields.Timestamp] = SessionManager.FormatTime(a.Timestamp),
            [JournalFields.AchievementId] = a.GetString(JournalFields.AchievementId),
            [JournalFields.AchievementType] = a.GetString(JournalFields.AchievementType),
            [JournalFields.Description] = a.GetString(JournalFields.Description),
            [TraceReader.EvidenceKeysField] = a.GetInt64(TraceReader.EvidenceKeysField),
        }).ToArray()),
        ["traces"] = new JsonArray(Traces.Select(t => (JsonNode?)t).ToArray()),
    };
}

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
        var sessions = byId.Select(kv => new TracedSession(
                kv.Key,
                kv.Value.Events.FirstOrDefault(e => e.Name == SessionEventNames.SessionStart),
                kv.Value.Events.Where(e => e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed).OrderBy(e => e.Timestamp).ToList(),
                kv.Value.Events.Where(e => e.Name == SessionEventNames.AchievementLogged).OrderBy(e => e.Timestamp).ToList(),
                kv.Value.Traces.ToList()))
            .OrderByDescending(s => s.Start?.Timestamp ?? s.Captures.Concat(s.Achievements).Select(e => e.Timestamp).DefaultIfEmpty().Min())
            .ToList();
        return new TraceQueryResult(sessions, read, problems);
    }

    private static bool IsTrace(string path) =>
        path.EndsWith(".nettrace", StringComparison.OrdinalIgnoreCase)
        || (OperatingSystem.IsWindows() && path.EndsWith(".etl", StringComparison.OrdinalIgnoreCase));
}
