using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Index;

/// <summary>
/// Where <see cref="SessionQueries"/> reads its rows: the session rows, the events a filter or a search selects, one
/// session's events, an operation's capture, and a capture's stored output. Two backends answer it: the local SQLite
/// index (<see cref="LocalHistoryStore"/>) and the team store's PostgreSQL tables (in ContextForge.SessionLogging.TeamStore).
/// Every document and its JSON is built from these rows by the same code, whichever backend gave them.
/// </summary>
internal interface IHistoryStore : IDisposable
{
    /// <summary>The local data directory (the team store's blob cache lives under it too).</summary>
    DataDirectory Data { get; }

    /// <summary>What the answers come from, for messages (a path, or <c>host:port/database</c>).</summary>
    string Description { get; }

    /// <summary>Brings the rows up to date before the first answer (the local index reads what the journals gained; the team store has nothing to do).</summary>
    void CatchUp(bool full);

    /// <summary>Sessions with at least one event, newest start first.</summary>
    IReadOnlyList<IndexedSession> Sessions(int limit, SessionFilter? filter = null, string? exceptSessionId = null, IReadOnlyCollection<string>? only = null);

    /// <summary>Every session matching <paramref name="filter"/> (its limit and offset ignored), newest start first, produced as it is read (a backend may read it in pages).</summary>
    IEnumerable<IndexedSession> EachSession(SessionFilter? filter);

    /// <summary>How many other sessions started at or after <paramref name="since"/>.</summary>
    long CountSessionsSince(DateTimeOffset since, string? exceptSessionId);

    /// <summary>The events matching <paramref name="filter"/>, newest first.</summary>
    IReadOnlyList<IndexedEvent> Events(HistoryFilter filter);

    /// <summary>Captures whose searchable output holds every term of <paramref name="text"/>, newest first.</summary>
    IReadOnlyList<IndexedEvent> Search(string text, HistoryFilter filter);

    /// <summary>Every event of a session, oldest first.</summary>
    IReadOnlyList<IndexedEvent> SessionEvents(string sessionId);

    /// <summary>The captures of a session whose operation id starts with <paramref name="operationPrefix"/> (at most two).</summary>
    IReadOnlyList<IndexedEvent> FindOperation(string sessionId, string operationPrefix);

    /// <summary>The captures of any session whose operation id starts with <paramref name="operationPrefix"/> (at most two).</summary>
    IReadOnlyList<IndexedEvent> FindOperationAnywhere(string operationPrefix);

    /// <summary>
    /// A capture's full fields (inline output included) and the session directory its <c>blobs/</c> references
    /// resolve in; null when the line cannot be read.
    /// </summary>
    /// <exception cref="IOException">The row names no journal segment of the data directory.</exception>
    RecordedOutput? Output(IndexedEvent capture);

    /// <summary>The full id of the one session whose id starts with <paramref name="idOrPrefix"/>.</summary>
    /// <exception cref="SessionNotFoundException">None, or more than one.</exception>
    string ResolveSessionId(string idOrPrefix);

    /// <summary>A session's operations that started and have no capture (yet), oldest first.</summary>
    IReadOnlyList<IndexedEvent> IncompleteOperations(string sessionId);

    /// <summary>Every session id there is (validate without a session), in no particular order.</summary>
    IReadOnlyList<string> SessionIds();

    /// <summary>
    /// A directory holding the session's journal segments and blobs, byte for byte, for what reads whole journals
    /// (inspect's journal problems, validate's hash chains and capture hashes).
    /// </summary>
    string SessionJournals(string sessionId);
}

/// <summary>A capture's fields, inline output included, and the directory whose <c>blobs/</c> holds its stored outputs.</summary>
internal sealed record RecordedOutput(JsonObject Fields, string SessionDirectory)
{
    public IReadOnlyList<StoredOutput> Streams => StoredOutput.Of(Fields, SessionDirectory);
}

/// <summary>The local backend: the SQLite history index of a data directory, caught up with its journals.</summary>
internal sealed class LocalHistoryStore(HistoryIndex index) : IHistoryStore
{
    public HistoryIndex Index => index;

    public DataDirectory Data => index.Data;

    public string Description => index.Data.Root;

    public void CatchUp(bool full) => index.CatchUp(full);

    public IReadOnlyList<IndexedSession> Sessions(int limit, SessionFilter? filter = null, string? exceptSessionId = null, IReadOnlyCollection<string>? only = null) =>
        HistoryQuery.Sessions(index, limit, exceptSessionId, only, filter);

    public IEnumerable<IndexedSession> EachSession(SessionFilter? filter) =>
        HistoryQuery.Sessions(index, 0, filter: filter is null ? null : filter with { Offset = 0 });

    public long CountSessionsSince(DateTimeOffset since, string? exceptSessionId) => HistoryQuery.CountSessionsSince(index, since, exceptSessionId);

    public IReadOnlyList<IndexedEvent> Events(HistoryFilter filter) => HistoryQuery.Events(index, filter);

    public IReadOnlyList<IndexedEvent> Search(string text, HistoryFilter filter) => HistoryQuery.Search(index, text, filter);

    public IReadOnlyList<IndexedEvent> SessionEvents(string sessionId) => HistoryQuery.SessionEvents(index, sessionId);

    public IReadOnlyList<IndexedEvent> FindOperation(string sessionId, string operationPrefix) => HistoryQuery.FindOperation(index, sessionId, operationPrefix);

    public IReadOnlyList<IndexedEvent> FindOperationAnywhere(string operationPrefix) => HistoryQuery.FindOperationAnywhere(index, operationPrefix);

    public RecordedOutput? Output(IndexedEvent capture)
    {
        string segment = StoredOutput.IndexedSegmentPath(index.Data, capture.File)
            ?? throw new IOException($"the index names '{PrintableText.Escape(capture.File)}', which is not a journal segment of the data directory; run 'cfsession reindex'");
        return StoredOutput.ReadLineFields(segment, capture.LineOffset, capture.LineLength) is { } fields
            ? new RecordedOutput(fields, index.Data.SessionDirectory(capture.SessionId))
            : null;
    }

    public IReadOnlyList<IndexedEvent> IncompleteOperations(string sessionId) =>
        JournalIndexer.IncompleteOperations(index, sessionId).Select(o => o.Started).ToList();

    public IReadOnlyList<string> SessionIds() => index.Data.EnumerateSessionIds().ToList();

    public string SessionJournals(string sessionId) => index.Data.SessionDirectory(sessionId);

    public string ResolveSessionId(string idOrPrefix) =>
        new SessionManager(new SessionLoggingOptions { DataDirectory = index.Data.Root, Redact = false }).ResolveSessionId(idOrPrefix);

    public void Dispose() => index.Dispose();
}
