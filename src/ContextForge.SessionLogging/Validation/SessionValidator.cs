using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Validation;

/// <summary>One thing validate found, located by session, segment file and line.</summary>
public sealed class ValidationFinding
{
    internal ValidationFinding(string severity, string kind, string sessionId, string? file, long? line, string message)
    {
        Severity = severity;
        Kind = kind;
        SessionId = sessionId;
        File = file;
        Line = line;
        Message = message;
    }

    /// <summary>"error" (fails validation) or "warning" (flagged, not a failure: an abandoned session).</summary>
    public string Severity { get; }

    /// <summary>A stable snake_case name; docs/cli.md lists them.</summary>
    public string Kind { get; }

    /// <summary>The session concerned.</summary>
    public string SessionId { get; }

    /// <summary>The segment, as <c>session-id/segment.jsonl</c>, when the finding is about a line.</summary>
    public string? File { get; }

    /// <summary>The 1-based line in that segment.</summary>
    public long? Line { get; }

    /// <summary>One line saying what is wrong.</summary>
    public string Message { get; }
}

/// <summary>
/// Checks what the original plan calls constitutional compliance, from the journals themselves: no orphan events, no cycles
/// in parent links, every session ended or flagged abandoned, evidence on every achievement, every capture hash
/// verifying against its stored output, no torn or corrupt lines, sequence gaps or hash-chain breaks, provenance on
/// every record. The index (caught up in full first) supplies line numbers and the parent links of all sessions.
/// </summary>
internal static class SessionValidator
{
    public static readonly string[] ProvenanceKeys = ["host", "user", "pid", "tool_version", "cwd"];

    /// <summary>Up to this many sessions, their rows (and their ancestors') are read one by one; more, every row at once.</summary>
    private const int FewSessions = 16;

    public static IReadOnlyList<ValidationFinding> Validate(IHistoryStore index, IReadOnlyList<string> sessionIds)
    {
        var findings = new List<ValidationFinding>();
        // One session (validate ID) reads its row and its ancestors' only: listing every session costs seconds at 1M operations.
        bool all = sessionIds.Count > FewSessions;
        var rows = new Dictionary<string, IndexedSession?>(StringComparer.Ordinal);
        if (all)
        {
            foreach (var s in index.Sessions(0)) rows[s.SessionId] = s;
        }
        IndexedSession? Row(string id)
        {
            if (rows.TryGetValue(id, out var row)) return row;
            return all ? null : rows[id] = index.Sessions(1, only: [id]).FirstOrDefault();
        }
        foreach (string id in sessionIds)
        {
            ValidateSession(index, id, Row(id), findings);
            ValidateParents(id, Row, findings);
        }
        return findings;
    }

    private static void ValidateSession(IHistoryStore index, string id, IndexedSession? row, List<ValidationFinding> findings)
    {
        string dir = index.SessionJournals(id);
        var journal = JournalReader.ReadSession(dir);
        string Rel(string path) => id + "/" + Path.GetFileName(path);
        foreach (var p in journal.Problems)
        {
            string kind = p.Kind switch
            {
                JournalProblemKind.TornLastLine => "torn_line",
                JournalProblemKind.CorruptLine => "corrupt_line",
                JournalProblemKind.HashChainBreak => "hash_chain_break",
                JournalProblemKind.OversizedLine => "oversized_line",
                _ => "sequence_gap",
            };
            findings.Add(new("error", kind, id, Rel(p.Path), p.Line, p.Message));
        }
        var lines = index.SessionEvents(id).ToDictionary(e => (Path.GetFileNameWithoutExtension(e.File), e.Sequence), e => e.Line);
        long? LineOf(SessionEvent e) => lines.TryGetValue((e.Segment, e.Sequence), out long l) ? l : null;
        string FileOf(SessionEvent e) => id + "/" + e.Segment + JournalReader.SegmentExtension;
        void Add(string severity, string kind, SessionEvent? e, string message) =>
            findings.Add(new(severity, kind, id, e is null ? null : FileOf(e), e is null ? null : LineOf(e), message));

        var events = journal.Events;
        if (events.Count == 0) return;
        if (!events.Any(e => e.Name == SessionEventNames.SessionStart))
            Add("error", "orphan_event", events[0], $"the session has no SessionStart: its {events.Count} events belong to no known session");
        bool ended = events.Any(e => e.Name == SessionEventNames.SessionEnd);
        var operations = events.Select(e => e.GetString(JournalFields.OperationId)).Where(o => o is not null).ToHashSet(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.SessionId != id) Add("error", "orphan_event", e, $"{e.Name} names session {e.SessionId} but is journaled in {id}");
            if (e.GetString(JournalFields.ParentOperationId) is { } parentOp && ended && !operations.Contains(parentOp))
                Add("error", "orphan_event", e, $"{e.Name} {e.GetString(JournalFields.OperationId)} names parent operation {parentOp}, which the session does not contain");
            if (e.Fields[JournalFields.Provenance] is not JsonObject provenance)
                Add("error", "missing_provenance", e, $"{e.Name} carries no provenance");
            else if (ProvenanceKeys.Where(k => provenance[k] is null).ToList() is { Count: > 0 } missing)
                Add("error", "missing_provenance", e, $"{e.Name} provenance lacks {string.Join(", ", missing)}");
            if (e.Name == SessionEventNames.AchievementLogged && (e.Fields[JournalFields.Evidence] is not JsonObject evidence || evidence.Count == 0))
                Add("error", "achievement_without_evidence", e, $"achievement {e.GetString(JournalFields.AchievementId)} ({e.GetString(JournalFields.AchievementType)}) carries no evidence");
            if (OperationOutcome.IsOperation(e)) VerifyCapture(e, dir, Add);
        }
        if (!ended && row?.Status == "abandoned")
        {
            var start = events.FirstOrDefault(e => e.Name == SessionEventNames.SessionStart);
            if (start?.GetString(JournalFields.SessionLifetime) == SessionManager.ProcessLifetime && ProcessLiveness.Check(start.Fields[JournalFields.Provenance]) == WriterState.Dead)
                Add("warning", "abandoned", events[^1], $"no SessionEnd, and the process that started it and would have ended it ({Writer(start)}) is gone: flagged abandoned (its events are kept)");
            else
                Add("warning", "abandoned", events[^1], $"no SessionEnd, no process that wrote it is running and nothing was recorded for over {JournalIndexer.AbandonedAfter.TotalHours:0.#} h: flagged abandoned (its events are kept)");
        }
        foreach (var started in index.IncompleteOperations(id).Where(e => ProcessLiveness.Check(e.Fields[JournalFields.Provenance]) == WriterState.Dead))
        {
            string operation = started.OperationId ?? "?";
            findings.Add(new("warning", "interrupted_operation", id, started.File, started.Line,
                $"operation {operation} ({Truncate(started.Fields[JournalFields.OperationName]?.GetValue<string>() ?? "")}) started at {started.Fields[JournalFields.StartTime]?.GetValue<string>()} and has no capture; the process running it ({Writer(started)}) is gone: interrupted, exit code unknown"));
        }
    }

    private static void VerifyCapture(SessionEvent e, string dir, Action<string, string, SessionEvent?, string> add)
    {
        foreach (string field in new[] { JournalFields.OutputBlob + "_error", JournalFields.StderrBlob + "_error" })
        {
            if (e.GetString(field) is { } error) add("warning", "capture_output_not_stored", e, $"{e.GetString(JournalFields.OperationId)}: {error}");
        }
        foreach (var stream in StoredOutput.Of(e.Fields, dir))
        {
            if (stream.RejectedBlobReference is { } rejected)
            {
                add("error", "unsafe_blob_reference", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: blob reference {Truncate(rejected)} is not blobs/<sha256>; refused, not opened");
                continue;
            }
            if (stream.Hash is null)
            {
                add("error", "capture_hash_mismatch", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: no integrity hash recorded");
                continue;
            }
            if (!stream.Exists)
            {
                if (stream.BlobPath is not null)
                    add("error", "capture_output_missing", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: blob {Path.GetFileName(stream.BlobPath)} is missing");
                continue; // no stored output (a blob that could not be written is reported above)
            }
            string actual;
            try
            {
                using var input = stream.OpenRead();
                actual = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(input));
            }
            catch (BlobLengthExceededException ex)
            {
                add("error", "capture_length_mismatch", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: {ex.Message}");
                continue;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                add("error", "capture_hash_mismatch", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: stored output cannot be read: {ex.Message}");
                continue;
            }
            if (actual != stream.Hash)
                add("error", "capture_hash_mismatch", e, $"{e.GetString(JournalFields.OperationId)} {stream.Name}: stored output hashes to {actual[..19]}..., the journal says {stream.Hash[..Math.Min(19, stream.Hash.Length)]}...");
        }
    }

    /// <summary>"pid N, tool" from a record's provenance.</summary>
    private static string Writer(SessionEvent e) => Writer(e.Fields);

    private static string Writer(IndexedEvent e) => Writer(e.Fields);

    private static string Writer(JsonObject fields)
    {
        var provenance = fields[JournalFields.Provenance] as JsonObject;
        return $"pid {provenance?["pid"]?.ToJsonString() ?? "?"}, {(provenance?["tool"] is JsonValue t && t.TryGetValue(out string? tool) ? tool : "?")}";
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private static void ValidateParents(string id, Func<string, IndexedSession?> row, List<ValidationFinding> findings)
    {
        var seen = new List<string> { id };
        string current = id;
        while (row(current) is { ParentSessionId: { } parent })
        {
            if (parent == id || seen.Contains(parent))
            {
                findings.Add(new("error", "parent_cycle", id, null, null, $"parent links form a cycle: {string.Join(" -> ", seen.Append(parent).Select(s => s[..8]))}"));
                return;
            }
            if (row(parent) is null)
            {
                if (current == id) findings.Add(new("warning", "unknown_parent", id, null, null, $"parent session {parent} is not in this data directory"));
                return;
            }
            seen.Add(parent);
            current = parent;
        }
    }
}
