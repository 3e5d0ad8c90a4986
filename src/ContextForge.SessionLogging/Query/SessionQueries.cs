using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Retention;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Validation;

namespace ContextForge.SessionLogging.Query;

/// <summary>
/// The read side of a data directory, for every host (the CLI, an MCP server, a report): sessions, the inspection
/// document, history (every filter, and grouped per session), full-text search, a session's timeline, an operation's
/// stored output, validate and prune. Each answer is a typed document whose <c>ToJson()</c> gives exactly what
/// <c>cfsession ... --json</c> prints.
/// </summary>
/// <remarks>
/// Its rows come from an <see cref="IHistoryStore"/>: the SQLite history index (<c>index.sqlite</c>) it opens and
/// catches up with the journals before the first answer (only what was written since the last catch-up is read), or
/// the team store's PostgreSQL tables (<c>--team</c>), which answer sessions, history, search and show with the same
/// documents. Not thread-safe: one instance per caller.
/// </remarks>
public sealed class SessionQueries : IDisposable
{
    /// <summary>The version of every document's shape.</summary>
    public const int SchemaVersion = 1;

    private readonly IHistoryStore _store;
    private readonly bool _rescan;
    private bool _caughtUp;
    private bool _fullyCaughtUp;

    private SessionQueries(IHistoryStore store, bool rescan)
    {
        _store = store;
        _rescan = rescan;
    }

    /// <summary>Opens the queries over another backend (the team store); the queries own it.</summary>
    internal static SessionQueries Open(IHistoryStore store) => new(store, rescan: false);

    /// <summary>Opens the queries over the data directory at <paramref name="dataDirectory"/> (creating its index if needed).</summary>
    /// <param name="dataDirectory">The data directory's root (what <c>CFSESSION_HOME</c> names).</param>
    public static SessionQueries Open(string dataDirectory) => Open(new DataDirectory(dataDirectory), rescan: false);

    /// <summary>Opens the queries over <paramref name="data"/> (creating its index if needed).</summary>
    /// <param name="data">The data directory.</param>
    public static SessionQueries Open(DataDirectory data) => Open(data, rescan: false);

    /// <summary>Opens the queries over <paramref name="data"/> (creating its index if needed).</summary>
    /// <param name="data">The data directory.</param>
    /// <param name="rescan">Examine every session's journal on catch-up, not only the recent ones (<c>history --rescan</c>).</param>
    public static SessionQueries Open(DataDirectory data, bool rescan)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new SessionQueries(new LocalHistoryStore(HistoryIndex.Open(data)), rescan);
    }

    /// <summary>The data directory queried.</summary>
    public DataDirectory Data => _store.Data;

    /// <summary>What the answers come from: the data directory's path, or the team store as <c>host:port/database</c>.</summary>
    internal string Source => _store.Description;

    /// <summary>The full id of the one session whose id starts with <paramref name="idOrPrefix"/> (in the backend queried).</summary>
    internal string ResolveSessionId(string idOrPrefix) => _store.ResolveSessionId(idOrPrefix);

    /// <summary>Recorded sessions, newest start first.</summary>
    /// <param name="limit">At most this many; 0 for all.</param>
    public SessionList Sessions(int limit = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return SessionsMatching(new SessionFilter { Limit = limit });
    }

    /// <summary>Recorded sessions matching <paramref name="filter"/>, newest start first.</summary>
    /// <param name="filter">What to match, and the page (limit, offset).</param>
    public SessionList SessionsMatching(SessionFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var index = CaughtUp();
        return new SessionList(index.Sessions(filter.Limit, filter: filter).Select(ListItem).ToList());
    }

    /// <summary>
    /// Writes the JSON of <see cref="SessionsMatching"/> (the array <see cref="SessionList.ToJson"/> gives, byte for
    /// byte) to <paramref name="output"/> as the sessions are read: with no limit, the backend's rows are read in pages
    /// and written as they come, so memory holds one page however many sessions there are.
    /// </summary>
    /// <param name="output">Where the JSON goes (no trailing newline is written).</param>
    /// <param name="filter">What to match, and the page (limit, offset; a limit of 0 is every session).</param>
    public void WriteSessionsJson(TextWriter output, SessionFilter filter)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(filter);
        var index = CaughtUp();
        var rows = filter.Limit <= 0 && filter.Offset <= 0 ? index.EachSession(filter) : index.Sessions(filter.Limit, filter: filter);
        QueryJson.WriteArray(output, rows.Select(ListItem));
    }

    private static SessionListItem ListItem(IndexedSession s) => new()
    {
        SessionId = s.SessionId,
        SessionName = s.Name,
        SessionType = s.Type,
        StartTime = s.StartTime is { } t ? SessionManager.FormatTime(t) : null,
        EndTime = s.EndTime is { } e ? SessionManager.FormatTime(e) : null,
        DurationMs = s.DurationMs is { } d ? Math.Round(d, 3) : null,
        Status = s.Status,
        OperationCount = s.OperationCount,
        AchievementCount = s.AchievementCount,
        LastExitCode = s.LastExitCode,
        InterruptedOperationCount = s.InterruptedOperationCount,
    };

    /// <summary>The inspection document of a session.</summary>
    /// <param name="sessionId">The full session id.</param>
    /// <param name="now">The moment the document describes (default: now); it sets <c>generated_at</c> and the "last day" window.</param>
    public InspectionDocument Inspect(string sessionId, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        return InspectionDocument.Build(CaughtUp(), sessionId, now ?? DateTimeOffset.UtcNow);
    }

    /// <summary>The events matching <paramref name="filter"/>, newest first.</summary>
    /// <param name="filter">What to match.</param>
    public HistoryDocument History(HistoryFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return new HistoryDocument(CaughtUp().Events(filter).Select(e => new EventDocument(e)).ToList());
    }

    /// <summary>
    /// History grouped per session (<c>--group-by correlation</c>): each session with the matching events only, its
    /// name, start and status always those of the session. Newest matching session first.
    /// </summary>
    /// <param name="history">A history from <see cref="History"/>.</param>
    public GroupedHistoryDocument GroupBySession(HistoryDocument history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var index = CaughtUp();
        var sessions = new List<GroupedSession>();
        foreach (var group in history.Events.GroupBy(e => e.SessionId))
        {
            var session = index.Sessions(1, only: [group.Key]).FirstOrDefault();
            var activity = session?.ActivityId ?? Guid.Empty;
            var all = index.SessionEvents(group.Key);
            var matching = group.Select(e => (e.File, e.Sequence)).ToHashSet();
            var chosen = all.Where(e => e.Name is SessionEventNames.SessionStart or SessionEventNames.SessionEnd || matching.Contains((e.File, e.Sequence)))
                .Select(e => e.ToSessionEvent(activity)).ToList();
            sessions.Add(GroupedSessions.Grouped(Inspection.SessionSummary.FromEvents(group.Key, chosen).WithIndexedStatus(session?.Status)));
        }
        return new GroupedHistoryDocument(sessions);
    }

    /// <summary>Full-text search over every operation's output: operations whose output holds every word, newest first, with the matching lines.</summary>
    /// <param name="text">The words to find (each a literal term; all must occur).</param>
    /// <param name="filter">The history filters; the result holds operations only.</param>
    /// <param name="contextLines">Lines of context around each matching line.</param>
    /// <param name="maxMatches">Matching lines per operation, at most.</param>
    public SearchDocument Search(string text, HistoryFilter filter, int contextLines = 2, int maxMatches = 3)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegative(contextLines);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMatches, 1);
        var terms = SearchTerms(text);
        if (terms.Count == 0) throw new ArgumentException("give at least one word to find", nameof(text));
        var index = CaughtUp();
        // Ranked and cut to the page by the store alone; a result's output is read when its matches are first asked for.
        var results = index.Search(text, filter)
            .Select(hit => new SearchResult(new EventDocument(hit), () => Matches(index, hit, terms, contextLines, maxMatches))).ToList();
        return new SearchDocument(text, terms, results);
    }

    /// <summary>The words a search text is split into (whitespace and control characters separate them).</summary>
    /// <param name="text">The search text.</param>
    public static IReadOnlyList<string> SearchTerms(string text) => HistoryQuery.SearchTerms(text);

    /// <summary>A session's timeline: its metadata and events, oldest first (an operation's start only while its capture is missing).</summary>
    /// <param name="sessionId">The full session id.</param>
    public SessionTimeline Timeline(string sessionId)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var index = CaughtUp();
        var row = index.Sessions(1, only: [sessionId]).FirstOrDefault();
        var all = index.SessionEvents(sessionId);
        var captured = all.Where(e => e.Name is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed).Select(e => e.OperationId).ToHashSet(StringComparer.Ordinal);
        return new SessionTimeline
        {
            SessionId = sessionId,
            SessionName = row?.Name,
            SessionType = row?.Type,
            Status = row?.Status,
            InterruptedOperationCount = row?.InterruptedOperationCount,
            StartTime = row?.StartTime is { } st ? SessionManager.FormatTime(st) : null,
            EndTime = row?.EndTime is { } et ? SessionManager.FormatTime(et) : null,
            DurationMs = row?.DurationMs,
            Events = all.Where(e => e.Name != SessionEventNames.OperationStarted || !captured.Contains(e.OperationId)).Select(e => new EventDocument(e)).ToList(),
            OperationCount = row?.OperationCount,
            FailedOperationCount = row?.FailedOperationCount,
            AchievementCount = row?.AchievementCount,
        };
    }

    /// <summary>Where an operation's recorded output is stored; null when the session has no such operation.</summary>
    /// <param name="sessionId">The full session id.</param>
    /// <param name="operation">The operation id or a unique prefix of it.</param>
    /// <exception cref="AmbiguousOperationException">The prefix matches more than one operation.</exception>
    /// <exception cref="IOException">The index names a line that is not in a journal segment of the data directory, or it cannot be read.</exception>
    public OperationOutput? FindOperationOutput(string sessionId, string operation)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(operation);
        var index = CaughtUp();
        var found = index.FindOperation(sessionId, operation);
        if (found.Count == 0) return null;
        if (found.Count > 1) throw new AmbiguousOperationException(operation);
        var hit = found[0];
        var output = index.Output(hit) ?? throw new IOException($"cannot read {hit.File} line {hit.Line}");
        return new OperationOutput(sessionId, hit.OperationId ?? "", hit.File, hit.Line, output.Streams, new EventDocument(hit).ToJsonObject());
    }

    /// <summary>Where an operation's recorded output is stored, found in any session; null when no session has such an operation.</summary>
    /// <param name="operation">The operation id or a unique prefix of it.</param>
    /// <exception cref="AmbiguousOperationException">The prefix matches more than one operation.</exception>
    /// <exception cref="IOException">The index names a line that is not in a journal segment of the data directory, or it cannot be read.</exception>
    public OperationOutput? FindOperationOutput(string operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var found = CaughtUp().FindOperationAnywhere(operation);
        if (found.Count == 0) return null;
        if (found.Count > 1) throw new AmbiguousOperationException(operation);
        return FindOperationOutput(found[0].SessionId, found[0].OperationId ?? operation);
    }

    /// <summary>Checks sessions from their journals (after a full catch-up): docs/cli.md lists every finding kind.</summary>
    /// <param name="sessionId">One full session id, or null for every session in the data directory.</param>
    public ValidationReport Validate(string? sessionId = null)
    {
        var index = CaughtUp(full: true);
        IReadOnlyList<string> ids = sessionId is not null ? [sessionId] : index.SessionIds().Order(StringComparer.Ordinal).ToList();
        return new ValidationReport(ids.Count, SessionValidator.Validate(index, ids));
    }

    /// <summary>
    /// Removes whole sessions the rules select (segments, blobs, achievement counter and index rows together), or with
    /// <see cref="PruneRules.DryRun"/> only lists them. Open sessions are kept unless <see cref="PruneRules.Force"/>.
    /// </summary>
    /// <param name="rules">Which sessions to select; at least one of age, size or count.</param>
    public PruneReport Prune(PruneRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.OlderThan is null && rules.MaxBytes is null && rules.KeepLast is null)
            throw new ArgumentException("prune needs an age, a size or a count", nameof(rules));
        ArgumentOutOfRangeException.ThrowIfNegative(rules.KeepLast ?? 0);
        var local = LocalIndex(catchUp: false);
        var plan = SessionPruner.Plan(local, rules.OlderThan, rules.MaxBytes, rules.KeepLast, rules.Force, DateTimeOffset.UtcNow);
        _caughtUp = _fullyCaughtUp = true;
        if (!rules.DryRun) SessionPruner.Remove(local, plan.Remove);
        return new PruneReport
        {
            DryRun = rules.DryRun,
            Removed = plan.Remove.Select(Pruned).ToList(),
            KeptOpen = plan.KeptOpen.Select(Pruned).ToList(),
            BytesFreed = plan.Remove.Sum(c => c.Bytes),
            BytesBefore = plan.TotalBytes,
        };
    }

    /// <summary>Closes the index (or the team store's connections).</summary>
    public void Dispose() => _store.Dispose();

    private static PrunedSession Pruned(PruneCandidate c) => new()
    {
        SessionId = c.SessionId,
        SessionName = c.Name,
        StartTime = c.StartTime is { } s ? SessionManager.FormatTime(s) : null,
        LastEventTime = c.LastEventTime is { } l ? SessionManager.FormatTime(l) : null,
        Bytes = c.Bytes,
        Status = c.Status,
        Reason = c.Reason,
    };

    /// <summary>The rows, caught up once (in full when asked, or when opened to rescan).</summary>
    private IHistoryStore CaughtUp(bool full = false)
    {
        full |= _rescan;
        if (full ? !_fullyCaughtUp : !_caughtUp)
        {
            _store.CatchUp(full);
            _caughtUp = true;
            _fullyCaughtUp |= full;
        }
        return _store;
    }

    /// <summary>The local index (prune removes sessions from it and from the data directory together).</summary>
    private HistoryIndex LocalIndex(bool catchUp = true)
    {
        var local = _store as LocalHistoryStore ?? throw new NotSupportedException("prune removes local sessions: the team store keeps whole months (docs/team-store.md)");
        if (catchUp) CaughtUp();
        return local.Index;
    }

    /// <summary>
    /// Re-reads the hit's output (journal line or blob) as the index's text (<see cref="SearchableText.LinesOf"/>) and
    /// finds the lines holding any term, with their context; it stops reading once the last match's context is read.
    /// </summary>
    private static List<LineMatch> Matches(IHistoryStore index, IndexedEvent hit, IReadOnlyList<string> terms, int around, int max)
    {
        var result = new List<LineMatch>();
        RecordedOutput? output;
        try { output = index.Output(hit); }
        catch (IOException) { return result; }
        if (output is null) return result;
        int rows = SearchableText.ScreenRowsOf(output.SessionDirectory, hit.OperationId);
        foreach (var stream in output.Streams)
        {
            if (stream.IsWholeShellStream(hit.OperationId)) continue; // searched through its commands (SearchableText)
            var before = new Queue<string>(around + 1);
            var open = new List<(long Number, string Text, string[] Before, List<string> After)>();
            long number = 0;
            foreach (string line in SearchableText.LinesOf(stream, rows))
            {
                number++;
                foreach (var m in open)
                {
                    if (m.After.Count < around) m.After.Add(line);
                }
                if (result.Count + open.Count < max && terms.Any(t => line.Contains(t, StringComparison.OrdinalIgnoreCase)))
                    open.Add((number, line, before.ToArray(), new List<string>(around)));
                before.Enqueue(line);
                if (before.Count > around) before.Dequeue();
                if (result.Count + open.Count >= max && open.TrueForAll(m => m.After.Count >= around)) break;
            }
            result.AddRange(open.Select(m => new LineMatch(stream.Name, m.Number, m.Text, m.Before, m.After)));
            if (result.Count >= max) break;
        }
        return result;
    }
}
