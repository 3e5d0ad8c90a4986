using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Validation;
using ContextForge.SessionLogging.Retention;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.Validation;

public sealed class SessionValidatorTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();
    private readonly DataDirectory _data;
    private readonly HistoryGenerator _generator;

    public SessionValidatorTests()
    {
        _data = new DataDirectory(_temp.Path);
        _generator = new HistoryGenerator(_data, seed: 11);
    }

    public void Dispose() => _temp.Dispose();

    private WrittenSession Clean(string name, DateTimeOffset? start = null, bool ended = true, string? parent = null, string? id = null, string host = Host) =>
        _generator.Write(new SessionSpec(name, "command", start ?? Now.AddMinutes(-30),
        [
            new OperationSpec("dotnet test", 0, "Passed!\n", "/home/dev"),
            new OperationSpec("cat big.log", 0, new string('x', 20_000) + "\n", "/home/dev"),
            new OperationSpec("make", 2, "make: error\n", "/home/dev"),
        ], [new AchievementSpec("tests_passed", "green", new JsonObject { ["passed"] = 3 })], Ended: ended, ParentSessionId: parent, Id: id, Host: host));

    private IReadOnlyList<ValidationFinding> Validate(params string[] ids)
    {
        using var index = HistoryIndex.Open(_data);
        index.CatchUp(full: true);
        return SessionValidator.Validate(new LocalHistoryStore(index), ids);
    }

    private static void ReplaceLine(string path, int lineNumber, Func<string, string> change)
    {
        var lines = File.ReadAllLines(path);
        lines[lineNumber - 1] = change(lines[lineNumber - 1]);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    private (string Kind, string? File, long? Line)[] Found(IReadOnlyList<ValidationFinding> findings, string sessionId) =>
        findings.Where(f => f.SessionId == sessionId).Select(f => (f.Kind, f.File, f.Line)).OrderBy(f => f.Line).ThenBy(f => f.Kind).ToArray();

    private static string Rel(WrittenSession s) => s.Id + "/" + Path.GetFileName(s.SegmentPath);

    [Fact]
    public void A_clean_history_has_no_findings()
    {
        var a = Clean("a");
        var b = Clean("b", parent: a.Id);
        Assert.Empty(Validate(a.Id, b.Id));
    }

    [Fact]
    public void Each_planted_journal_fault_is_found_at_its_line()
    {
        // Clean's shared segment: start's Writer line and SessionStart (1-2), per run a Writer line, OperationStarted and
        // capture (3-5, 6-8, 9-11), the achievement's (12-13) and end's (14-15).
        var corrupt = Clean("corrupt");
        ReplaceLine(corrupt.SegmentPath, 5, _ => "{\"v\":1, this is not json");
        var torn = Clean("torn");
        File.AppendAllText(torn.SegmentPath, "{\"v\":1,\"event\":\"Termi");
        var chain = Clean("chain");
        ReplaceLine(chain.SegmentPath, 4, l => l.Replace("dotnet test", "dotnet tost", StringComparison.Ordinal));
        var gap = Clean("gap");
        var gapLines = File.ReadAllLines(gap.SegmentPath).ToList();
        gapLines.RemoveAt(4);
        File.WriteAllText(gap.SegmentPath, string.Join('\n', gapLines) + "\n");

        var findings = Validate(corrupt.Id, torn.Id, chain.Id, gap.Id);
        // The reader does not take a sequence number from a corrupt line, so the next line also shows a gap.
        Assert.Equal([("corrupt_line", Rel(corrupt), 5L), ("hash_chain_break", Rel(corrupt), 6L), ("sequence_gap", Rel(corrupt), 6L)], Found(findings, corrupt.Id).Select(f => (f.Kind, f.File, f.Line!.Value)));
        Assert.Equal([("torn_line", Rel(torn), 16L)], Found(findings, torn.Id).Select(f => (f.Kind, f.File, f.Line!.Value)));
        Assert.Equal([("hash_chain_break", Rel(chain), 5L)], Found(findings, chain.Id).Select(f => (f.Kind, f.File, f.Line!.Value)));
        Assert.Equal([("hash_chain_break", Rel(gap), 5L), ("sequence_gap", Rel(gap), 5L)], Found(findings, gap.Id).Select(f => (f.Kind, f.File, f.Line!.Value)));
        Assert.All(findings, f => Assert.Equal("error", f.Severity));
    }

    [Fact]
    public void Capture_outputs_that_do_not_verify_are_found()
    {
        var tampered = Clean("tampered");
        string blob = Directory.GetFiles(Path.Combine(_data.SessionDirectory(tampered.Id), "blobs")).Single();
        File.WriteAllText(blob, "not what was captured");
        var missing = Clean("missing");
        File.Delete(Directory.GetFiles(Path.Combine(_data.SessionDirectory(missing.Id), "blobs")).Single());

        var findings = Validate(tampered.Id, missing.Id);
        var t = Assert.Single(findings, f => f.SessionId == tampered.Id);
        Assert.Equal(("capture_hash_mismatch", Rel(tampered), 8L), (t.Kind, t.File, t.Line)); // the second run's capture
        Assert.Contains(tampered.OperationIds[1], t.Message, StringComparison.Ordinal);
        var m = Assert.Single(findings, f => f.SessionId == missing.Id);
        Assert.Equal(("capture_output_missing", 8L), (m.Kind, m.Line));
    }

    [Fact]
    public void Orphans_missing_evidence_missing_provenance_cycles_and_abandoned_sessions_are_found()
    {
        // An achievement without evidence.
        var noEvidence = _generator.Write(new SessionSpec("no evidence", "command", Now.AddMinutes(-20), [], [new AchievementSpec("deployed", "trust me", null)]));
        // Events with no SessionStart, one of which names another session, and one without provenance.
        string orphanId = _generator.NewSessionId();
        string orphanSegment = Path.Combine(_data.SessionDirectory(orphanId), "20260101T000000000Z-4999999-orphan00.jsonl");
        using (var writer = new JournalWriter(orphanSegment, JournalDurability.Flush))
        {
            var provenance = new JsonObject { ["host"] = "h", ["user"] = "u", ["pid"] = 1, ["tool_version"] = "1", ["cwd"] = "/" };
            writer.Emit(new SessionEvent(SessionEventNames.AchievementLogged, Now.AddMinutes(-10), orphanId, Guid.NewGuid(), EventLevel.Informational, SessionKeywords.Achievement,
                new JsonObject { ["achievement_id"] = "ACH-x-001", ["evidence"] = new JsonObject { ["k"] = 1 }, ["provenance"] = provenance }));
            writer.Emit(new SessionEvent(SessionEventNames.AchievementLogged, Now.AddMinutes(-9), "11111111-1111-4111-8111-111111111111", Guid.NewGuid(), EventLevel.Informational, SessionKeywords.Achievement,
                new JsonObject { ["achievement_id"] = "ACH-y-001", ["evidence"] = new JsonObject { ["k"] = 1 }, ["provenance"] = new JsonObject { ["host"] = "h" } }));
        }
        // Two sessions whose parent links form a cycle.
        string a = _generator.NewSessionId(), b = _generator.NewSessionId();
        Clean("cycle a", parent: b, id: a);
        Clean("cycle b", parent: a, id: b);
        // No SessionEnd, the writer (on this host) is gone and nothing happened for two hours: abandoned (a warning, not an error).
        var abandoned = Clean("crashed", start: Now.AddHours(-2), ended: false, host: Environment.MachineName);
        // No SessionEnd but recent: still open, nothing to report. On another host liveness cannot be known: open too.
        var open = Clean("open", start: Now.AddMinutes(-1), ended: false, host: Environment.MachineName);
        var elsewhere = Clean("elsewhere", start: Now.AddHours(-2), ended: false);

        var findings = Validate(noEvidence.Id, orphanId, a, b, abandoned.Id, open.Id);
        Assert.Equal([("achievement_without_evidence", Rel(noEvidence), (long?)4L)], Found(findings, noEvidence.Id)); // after start's 2 lines and its Writer line
        string orphanFile = orphanId + "/" + Path.GetFileName(orphanSegment);
        Assert.Equal([("orphan_event", orphanFile, (long?)2L), ("missing_provenance", orphanFile, 3L), ("orphan_event", orphanFile, 3L)], Found(findings, orphanId));
        Assert.Equal("parent_cycle", Assert.Single(findings, f => f.SessionId == a).Kind);
        Assert.Equal("parent_cycle", Assert.Single(findings, f => f.SessionId == b).Kind);
        var flagged = Assert.Single(findings, f => f.SessionId == abandoned.Id);
        Assert.Equal(("warning", "abandoned", Rel(abandoned), (long?)13L), (flagged.Severity, flagged.Kind, flagged.File, flagged.Line)); // its last line
        Assert.DoesNotContain(findings, f => f.SessionId == open.Id);
        Assert.Empty(Validate(elsewhere.Id));
        using var index = HistoryIndex.Open(_data);
        Assert.Equal("abandoned", HistoryQuery.Session(index, abandoned.Id)!.Status);
        Assert.Equal((3L, 1L), (HistoryQuery.Session(index, abandoned.Id)!.OperationCount, HistoryQuery.Session(index, abandoned.Id)!.AchievementCount)); // nothing lost
    }
}
