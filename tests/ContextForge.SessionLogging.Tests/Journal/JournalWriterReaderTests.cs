using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Journal;

public sealed class JournalWriterReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SessionEvent Event(string name, int n) => new(
        name,
        new DateTimeOffset(2026, 11, 25, 10, 0, n, TimeSpan.Zero).AddTicks(1234567),
        "6bbf5aa6-b098-4040-94c3-1b6d2f74c837",
        Guid.Parse("836c04db-f1cf-41b7-9d37-8a1a8cfdb075"),
        EventLevel.Informational,
        SessionKeywords.Terminal,
        new JsonObject
        {
            ["operation_name"] = $"echo {n} \"quoted\" ünïcödé \u0001",
            ["duration_ms"] = 12.345,
            ["exit_code"] = -n,
            ["ok"] = true,
            ["nothing"] = null,
            ["arguments"] = new JsonArray("a", "b c"),
            ["provenance"] = new JsonObject { ["host"] = "h", ["pid"] = 42 },
        });

    [Fact]
    public void Written_events_read_back_equal_with_sequence_and_segment()
    {
        string path = _dir.Combine("s", "seg.jsonl");
        var written = new List<SessionEvent>();
        using (var writer = new JournalWriter(path, JournalDurability.FsyncPerEvent))
        {
            for (int i = 1; i <= 3; i++)
            {
                var e = Event(SessionEventNames.TerminalCapture, i);
                writer.Emit(e);
                written.Add(e);
            }
            Assert.Equal(new SinkStatistics("journal", 3, 3, 0, null), writer.Statistics);
        }

        var result = JournalReader.ReadSegment(path);

        Assert.Empty(result.Problems);
        Assert.Equal(written, result.Events);
        // Line 1 is the writer's Writer line (its provenance), which is not an event.
        Assert.Equal([2L, 3L, 4L], result.Events.Select(e => e.Sequence));
        Assert.All(result.Events, e => Assert.Equal("seg", e.Segment));
        Assert.Equal(DateTimeKind.Utc, result.Events[0].Timestamp.UtcDateTime.Kind);
        Assert.Equal(TimeSpan.Zero, result.Events[0].Timestamp.Offset);
    }

    [Fact]
    public void Each_line_has_the_header_then_the_fields_and_chains_to_the_previous_line()
    {
        string path = _dir.Combine("seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.Flush))
        {
            writer.Emit(Event(SessionEventNames.SessionStart, 1));
            writer.Emit(Event(SessionEventNames.SessionEnd, 2));
        }

        string[] lines = File.ReadAllText(path).Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal(string.Empty, lines[3]);
        Assert.Equal("{\"v\":2,\"event\":\"Writer\",\"ts\":\"2026-11-25T10:00:01.1234567Z\",\"session_id\":\"6bbf5aa6-b098-4040-94c3-1b6d2f74c837\",\"seq\":1,\"prev\":\"" + new string('0', 64) + "\",\"activity_id\":\"836c04db-f1cf-41b7-9d37-8a1a8cfdb075\",\"provenance\":{\"host\":\"h\",\"pid\":42}}", lines[0]);
        string writerHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines[0])));
        // The session id is the Writer line's and the level the contract's (Informational): both left out; the
        // keywords differ from SessionStart's contract keyword (Session), so they are kept.
        Assert.StartsWith("{\"v\":2,\"event\":\"SessionStart\",\"ts\":\"2026-11-25T10:00:01.1234567Z\",\"seq\":2,\"keywords\":4,\"prev\":\"" + writerHash + "\",\"operation_name\":", lines[1]);
        Assert.Contains("\"prov\":1", lines[1]);
        string firstHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lines[1])));
        Assert.Contains($"\"prev\":\"{firstHash}\"", lines[2]);
    }

    [Fact]
    public void Torn_last_line_is_reported_and_every_complete_line_is_kept()
    {
        string path = _dir.Combine("seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.Flush))
        {
            writer.Emit(Event(SessionEventNames.TerminalCapture, 1));
            writer.Emit(Event(SessionEventNames.TerminalCapture, 2));
        }
        File.AppendAllText(path, "{\"v\":1,\"event\":\"TerminalCap");

        var result = JournalReader.ReadSegment(path);

        Assert.Equal(2, result.Events.Count);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalProblemKind.TornLastLine, problem.Kind);
        Assert.Equal(4, problem.Line);
        Assert.Contains("line 4 is incomplete", problem.Message);
    }

    [Fact]
    public void Corrupt_middle_line_is_reported_with_its_line_number_and_later_lines_are_kept()
    {
        string path = _dir.Combine("seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.Flush))
        {
            for (int i = 1; i <= 3; i++) writer.Emit(Event(SessionEventNames.TerminalCapture, i));
        }
        var lines = File.ReadAllLines(path);
        lines[2] = "garbage{";
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var result = JournalReader.ReadSegment(path);

        Assert.Equal([2L, 4L], result.Events.Select(e => e.Sequence));
        Assert.Contains(result.Problems, p => p.Kind == JournalProblemKind.CorruptLine && p.Line == 3);
        Assert.Contains(result.Problems, p => p.Kind == JournalProblemKind.SequenceGap && p.Line == 4);
    }

    [Fact]
    public void Edited_line_breaks_the_hash_chain_at_the_next_line()
    {
        string path = _dir.Combine("seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.Flush))
        {
            for (int i = 1; i <= 3; i++) writer.Emit(Event(SessionEventNames.TerminalCapture, i));
        }
        var lines = File.ReadAllLines(path);
        lines[1] = lines[1].Replace("\"exit_code\":-1", "\"exit_code\":0", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var result = JournalReader.ReadSegment(path);

        Assert.Equal(3, result.Events.Count);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalProblemKind.HashChainBreak, problem.Kind);
        Assert.Equal(3, problem.Line);
    }

    [Fact]
    public void Unwritable_segment_counts_events_as_dropped_instead_of_throwing()
    {
        string blocker = _dir.Combine("file");
        File.WriteAllText(blocker, "x");
        using var writer = new JournalWriter(Path.Combine(blocker, "sub", "seg.jsonl"), JournalDurability.FsyncPerEvent);

        writer.Emit(Event(SessionEventNames.TerminalCapture, 1));
        writer.Emit(Event(SessionEventNames.TerminalCapture, 2));

        var stats = writer.Statistics;
        Assert.Equal(2, stats.Received);
        Assert.Equal(0, stats.Stored);
        Assert.Equal(2, stats.Dropped);
        Assert.NotNull(stats.LastError);
    }

    [Fact]
    public void Reading_a_session_merges_segments_in_timestamp_order()
    {
        string sessionDir = _dir.Combine("session");
        using (var a = new JournalWriter(Path.Combine(sessionDir, "a.jsonl"), JournalDurability.Flush))
        using (var b = new JournalWriter(Path.Combine(sessionDir, "b.jsonl"), JournalDurability.Flush))
        {
            a.Emit(Event(SessionEventNames.SessionStart, 1));
            b.Emit(Event(SessionEventNames.TerminalCapture, 2));
            a.Emit(Event(SessionEventNames.SessionEnd, 3));
        }

        var result = JournalReader.ReadSession(sessionDir);

        Assert.Empty(result.Problems);
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.TerminalCapture, SessionEventNames.SessionEnd], result.Events.Select(e => e.Name));
        Assert.Equal(["a", "b", "a"], result.Events.Select(e => e.Segment));
    }
}
