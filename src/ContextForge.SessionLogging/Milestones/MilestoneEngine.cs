using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Milestones;

/// <summary>One reached milestone, as stored in its marker file.</summary>
internal sealed record ReachedMilestone(string Name, string Scope, string SessionId, DateTimeOffset ReachedAt, JsonObject Evidence, bool Manual);

/// <summary>
/// The reached-state of milestones: one marker file per (milestone, scope), created exclusively, so a milestone is
/// reached once per scope even when several processes record at once. <c>&lt;root&gt;/milestones.reached/NAME</c>
/// for all-time milestones, <c>NAME@SESSION-ID</c> for session ones.
/// </summary>
internal sealed class MilestoneStore(DataDirectory data)
{
    public string Directory { get; } = Path.Combine(data.Root, "milestones.reached");

    public static string Key(string name, MilestoneScope scope, string sessionId) =>
        scope == MilestoneScope.AllTime ? name : $"{name}@{sessionId}";

    public bool IsReached(string key) => File.Exists(Path.Combine(Directory, key));

    /// <summary>Marks the milestone reached; false when it already was (by this or another process).</summary>
    public bool TryMarkReached(string key, ReachedMilestone reached)
    {
        FileSecurity.CreatePrivateDirectory(Directory);
        string path = Path.Combine(Directory, key);
        FileStream stream;
        try
        {
            stream = FileSecurity.CreateNewPrivateFile(path);
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        using (stream)
        {
            var doc = new JsonObject
            {
                [JournalFields.MilestoneName] = reached.Name,
                ["scope"] = reached.Scope,
                ["session_id"] = reached.SessionId,
                ["reached_at"] = SessionManager.FormatTime(reached.ReachedAt),
                ["manual"] = reached.Manual,
                [JournalFields.Evidence] = reached.Evidence.DeepClone(),
            };
            using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            doc.WriteTo(writer);
        }
        return true;
    }

    /// <summary>Every reached milestone, oldest first. A marker that is being written (empty) is skipped.</summary>
    public IReadOnlyList<ReachedMilestone> ReadAll()
    {
        var result = new List<ReachedMilestone>();
        if (!System.IO.Directory.Exists(Directory)) return result;
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory))
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file)) is not JsonObject doc) continue;
                result.Add(new ReachedMilestone(
                    doc[JournalFields.MilestoneName]?.GetValue<string>() ?? Path.GetFileName(file),
                    doc["scope"]?.GetValue<string>() ?? "session",
                    doc["session_id"]?.GetValue<string>() ?? string.Empty,
                    SessionManager.ParseTime(doc["reached_at"]?.GetValue<string>()) ?? DateTimeOffset.MinValue,
                    doc[JournalFields.Evidence] as JsonObject is { } e ? (JsonObject)e.DeepClone() : [],
                    doc["manual"]?.GetValue<bool>() ?? false));
            }
            catch (Exception ex) when (ex is IOException or JsonException or InvalidOperationException)
            {
                // Being written right now, or damaged: not listed.
            }
        }
        return [.. result.OrderBy(r => r.ReachedAt)];
    }
}

/// <summary>
/// The post-commit stage that runs the milestone rules: the pipeline calls it once for each event the journal stored,
/// after the providers and the user's sinks; a failure is reported by the pipeline and never reaches the producer.
/// </summary>
internal sealed class MilestoneObserver(MilestoneEngine engine, Session session) : ISessionEventObserver
{
    public void OnCommitted(SessionEvent sessionEvent) => engine.OnEvent(session, sessionEvent);
}

/// <summary>
/// Evaluates the milestone rules as events are journaled (called by <see cref="Session"/> after each event, only
/// when <c>milestones.json</c> defines at least one rule). Counts come from the journals, so every process
/// recording into a session sees the same numbers: a session's own segments for a session-scoped rule, the
/// history index (caught up from the journals) for an all-time rule. Each milestone is reached once per scope.
/// </summary>
internal sealed class MilestoneEngine(DataDirectory data, IReadOnlyList<MilestoneDefinition> definitions)
{
    private readonly MilestoneStore _store = new(data);

    public IReadOnlyList<MilestoneDefinition> Definitions { get; } = definitions;

    public void OnEvent(Session session, SessionEvent e)
    {
        switch (e.Name)
        {
            case SessionEventNames.AchievementLogged:
                foreach (var d in Definitions)
                {
                    if (d.Kind != MilestoneKind.Achievements) continue;
                    if (d.AchievementType is { } type && e.GetString(JournalFields.AchievementType) != type) continue;
                    Evaluate(session, d, e, JournalFields.AchievementId, x => x.Name == SessionEventNames.AchievementLogged
                        && (d.AchievementType is null || x.GetString(JournalFields.AchievementType) == d.AchievementType));
                }
                break;
            case SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed:
                foreach (var d in Definitions)
                {
                    if (d.Kind != MilestoneKind.Operations) continue;
                    Evaluate(session, d, e, JournalFields.OperationId, OperationOutcome.IsOperation);
                }
                break;
            case SessionEventNames.SessionEnd:
                foreach (var d in Definitions)
                {
                    if (d.Kind != MilestoneKind.CleanSession) continue;
                    long operations = e.GetInt64(JournalFields.OperationCount) ?? 0;
                    long failed = e.GetInt64(JournalFields.FailedOperationCount) ?? 0;
                    if (operations < 1 || failed != 0) continue;
                    var evidence = Evidence(d, e, session.Id);
                    evidence[JournalFields.OperationCount] = operations;
                    evidence[JournalFields.FailedOperationCount] = failed;
                    Reach(session, d, evidence, e.Timestamp);
                }
                break;
        }
    }

    private void Evaluate(Session session, MilestoneDefinition d, SessionEvent trigger, string idField, Func<SessionEvent, bool> counts)
    {
        string key = MilestoneStore.Key(d.Name, d.Scope, session.Id);
        if (_store.IsReached(key)) return;
        long count = d.Scope == MilestoneScope.Session ? CountInJournals([session.Id], counts) : CountAllTime(d, counts);
        if (count < d.Count) return;
        var evidence = Evidence(d, trigger, session.Id);
        evidence["count"] = count;
        evidence["threshold"] = d.Count;
        if (d.AchievementType is not null) evidence[JournalFields.AchievementType] = d.AchievementType;
        if (trigger.GetString(idField) is { } triggerId) evidence[idField] = triggerId;
        Reach(session, d, evidence, trigger.Timestamp);
    }

    private long CountInJournals(IEnumerable<string> sessionIds, Func<SessionEvent, bool> counts)
    {
        long count = 0;
        foreach (string id in sessionIds) count += JournalReader.ReadSession(data.SessionDirectory(id)).Events.Count(counts);
        return count;
    }

    /// <summary>
    /// An all-time count from the history index, caught up incrementally first (new lines only), so an unreached
    /// all-time milestone costs a catch-up per event instead of a read of every journal. The journals are the
    /// truth: when the index cannot be opened or read (read-only data directory, damaged file) they are counted
    /// directly and the result is the same.
    /// </summary>
    private long CountAllTime(MilestoneDefinition d, Func<SessionEvent, bool> counts)
    {
        try
        {
            using var index = HistoryIndex.Open(data);
            index.CatchUp();
            using var command = index.Command(d.Kind == MilestoneKind.Operations
                ? "SELECT COUNT(*) FROM events WHERE name IN ($capture, $failed)"
                : "SELECT COUNT(*) FROM events WHERE name = $achievement AND ($type IS NULL OR achievement_type = $type)");
            command.Parameters.AddWithValue("$capture", SessionEventNames.TerminalCapture);
            command.Parameters.AddWithValue("$failed", SessionEventNames.TerminalCaptureFailed);
            command.Parameters.AddWithValue("$achievement", SessionEventNames.AchievementLogged);
            command.Parameters.AddWithValue("$type", (object?)d.AchievementType ?? DBNull.Value);
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            return CountInJournals(data.EnumerateSessionIds(), counts);
        }
    }

    private static JsonObject Evidence(MilestoneDefinition d, SessionEvent trigger, string sessionId) => new()
    {
        ["rule_kind"] = MilestoneDefinition.KindName(d.Kind),
        ["scope"] = MilestoneDefinition.ScopeName(d.Scope),
        ["trigger_event"] = trigger.Name,
        [JournalFields.CorrelationId] = sessionId,
    };

    private void Reach(Session session, MilestoneDefinition d, JsonObject evidence, DateTimeOffset when)
    {
        string key = MilestoneStore.Key(d.Name, d.Scope, session.Id);
        if (!_store.TryMarkReached(key, new ReachedMilestone(d.Name, MilestoneDefinition.ScopeName(d.Scope), session.Id, when, evidence, Manual: false))) return;
        Record(session, d.Name, evidence);
    }

    /// <summary>Records MilestoneReached in the session: journaled, and emitted on the unified provider.</summary>
    internal static SessionEvent? Record(Session session, string name, JsonObject evidence) =>
        session.Record(new Records.MilestoneReached(name, DateTimeOffset.UtcNow,
            evidence.Select(kv => Records.FieldValues.From(kv.Key, kv.Value?.DeepClone())).ToList()));

    internal static string Describe(MilestoneDefinition d) => d.Kind switch
    {
        MilestoneKind.Achievements => string.Create(CultureInfo.InvariantCulture, $"{d.Count} achievement(s){(d.AchievementType is null ? "" : $" of type {d.AchievementType}")} in {(d.Scope == MilestoneScope.Session ? "one session" : "all sessions")}"),
        MilestoneKind.Operations => string.Create(CultureInfo.InvariantCulture, $"{d.Count} operation(s) recorded in {(d.Scope == MilestoneScope.Session ? "one session" : "all sessions")}"),
        _ => "first session with no failed operation",
    };
}
