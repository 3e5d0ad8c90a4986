using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>
/// The journal line limit (<see cref="InputLimits.MaxJournalLineBytes"/>, 64 MiB): a line longer than it on disk is
/// never read into memory; the reader reports <see cref="JournalProblemKind.OversizedLine"/> and continues after the
/// next newline, the index skips it, validate names it; the writer never writes such a line (dropped, counted).
/// Big inputs are sparse files (holes of zero bytes), so the tests stay fast.
/// </summary>
public sealed class OversizedLineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Records a session with two achievements and returns its id and single segment.</summary>
    private (string Id, string Segment) Record(string data)
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = data, ToolName = "tests", EmitToProvider = false });
        string id;
        using (var session = manager.Start("oversized"))
        {
            id = session.Id;
            session.LogAchievement("first", "one");
            session.LogAchievement("second", "two");
        }
        return (id, Directory.EnumerateFiles(Path.Combine(data, "sessions", id), "*.jsonl").Single());
    }

    /// <summary>Inserts <paramref name="length"/> bytes (a sparse hole of zeros, no newline) then a newline after line <paramref name="afterLine"/>.</summary>
    private static void InsertHugeLine(string segment, int afterLine, long length, bool newline = true)
    {
        byte[] original = File.ReadAllBytes(segment);
        int cut = 0;
        for (int i = 0; i < afterLine; i++) cut = Array.IndexOf(original, (byte)'\n', cut) + 1;
        using var file = new FileStream(segment, FileMode.Create, FileAccess.Write);
        file.Write(original, 0, cut);
        file.SetLength(cut + length); // a hole: no data blocks are written
        file.Seek(0, SeekOrigin.End);
        if (newline) file.WriteByte((byte)'\n');
        file.Write(original, cut, original.Length - cut);
    }

    [Fact]
    public void A_line_over_the_limit_is_reported_and_skipped_and_reading_continues_after_its_newline()
    {
        var (_, segment) = Record(_dir.Combine("data"));
        int before = JournalReader.ReadSegment(segment).Events.Count;
        InsertHugeLine(segment, afterLine: 2, length: 5000);

        // A 4 KiB limit stands for the 64 MiB one: the same code path, a small file.
        var result = JournalReader.ReadSegment(segment, maxLineBytes: 4096);

        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalProblemKind.OversizedLine, problem.Kind);
        Assert.Equal(3, problem.Line);
        Assert.Equal("line 3 is 5000 bytes, over the 4096-byte journal line limit: skipped, not read", problem.Message);
        Assert.Equal(before, result.Events.Count); // every real line is kept, the chain check resumes after the skip
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_read_and_one_byte_more_is_not()
    {
        string path = _dir.Combine("exact.jsonl");
        File.WriteAllBytes(path, [.. Enumerable.Repeat((byte)'x', 4096), (byte)'\n', .. Enumerable.Repeat((byte)'y', 4097), (byte)'\n']);
        var problems = JournalReader.ReadSegment(path, maxLineBytes: 4096).Problems;
        Assert.Equal(2, problems.Count);
        Assert.Equal((1, JournalProblemKind.CorruptLine), (problems[0].Line, problems[0].Kind)); // read and parsed (not JSON)
        Assert.Equal((2, JournalProblemKind.OversizedLine), (problems[1].Line, problems[1].Kind));
    }

    [Fact]
    public void A_segment_ending_in_more_than_the_real_limit_without_a_newline_reports_one_oversized_line()
    {
        var (_, segment) = Record(_dir.Combine("data"));
        int before = JournalReader.ReadSegment(segment).Events.Count;
        long garbage = InputLimits.MaxJournalLineBytes + (8L << 20);
        // 72 MiB of zeros with no newline at the end of the segment (sparse: the test writes a few KB).
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length + garbage);
        }

        var result = JournalReader.ReadSegment(segment);

        Assert.Equal(before, result.Events.Count);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(JournalProblemKind.OversizedLine, problem.Kind);
        // Line 1 is the Writer line, then the events, then the garbage.
        Assert.Equal(before + 2, problem.Line);
        Assert.Equal($"line {before + 2} is {garbage} bytes with no newline, over the {InputLimits.MaxJournalLineBytes}-byte journal line limit: skipped, not read", problem.Message);
    }

    [Fact]
    public void Two_gigabytes_without_a_newline_pass_through_a_4_KiB_line_buffer()
    {
        // No file: a stream of 2 GiB of zeros made on the fly. Memory is bounded by construction: the buffer never
        // grows past the limit + 1, and the oversized line comes back empty with only its length.
        var lines = JournalReader.ReadLines(new ZeroStream((2L << 30) + 1), maxLineBytes: 4096).ToList();
        var only = Assert.Single(lines);
        Assert.Equal((0, false, (2L << 30) + 1), (only.Line.Length, only.Complete, only.OversizedLength));
    }

    /// <summary>Reads as <paramref name="length"/> zero bytes.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
    }

    [Fact]
    public void The_line_reader_never_holds_more_than_the_limit_whatever_the_line_length()
    {
        // Bounded by construction: the reader's buffer only grows to limit + 1 bytes; every item it yields for an
        // oversized line is empty, whatever the line's length.
        byte[] data = [.. Enumerable.Repeat((byte)'z', 1_000_000), (byte)'\n', (byte)'{', (byte)'}', (byte)'\n'];
        var lines = JournalReader.ReadLines(new MemoryStream(data), maxLineBytes: 1000).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal((0, true, 1_000_000L), (lines[0].Line.Length, lines[0].Complete, lines[0].OversizedLength));
        Assert.Equal("{}", Encoding.ASCII.GetString(lines[1].Line.Span));
        Assert.Equal(0, lines[1].OversizedLength);
    }

    [Fact]
    public void An_oversized_line_in_a_file_is_measured_before_it_is_held_so_reading_allocates_no_more_than_the_look_ahead_threshold()
    {
        // 200 MiB of zeros with no newline (sparse), then a newline and a short line, with the real 64 MiB limit. Before
        // the look-ahead the reader grew its buffer to the limit (peak RSS ~425 MB on a 2 GiB line); now it stops at
        // LineLookAhead.Threshold and measures the rest of the line from the file. Allocation, not time, is asserted.
        string path = _dir.Combine("huge.jsonl");
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            file.SetLength(200L << 20);
            file.Seek(0, SeekOrigin.End);
            file.Write("\n{}\n"u8);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        List<(int Length, bool Complete, long Oversized)> lines;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan))
        {
            lines = [.. JournalReader.ReadLines(stream, InputLimits.MaxJournalLineBytes).Select(l => (l.Line.Length, l.Complete, l.OversizedLength))];
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal([(0, true, 200L << 20), (2, true, 0L)], lines);
        Assert.True(allocated < 4 * LineLookAhead.Threshold, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_three_mebibyte_line_within_the_limit_is_read_whole_by_the_reader_and_the_index()
    {
        // Longer than the look-ahead threshold, within the limit: read into a buffer of its exact size.
        string data = _dir.Combine("data");
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = data, ToolName = "tests", EmitToProvider = false, Redact = false });
        string description = new('d', 3 << 20);
        string id;
        using (var session = manager.Start("long line"))
        {
            id = session.Id;
            var evidence = new Dictionary<string, object?> { ["checked"] = true };
            session.LogAchievement("first", "one", evidence);
            session.LogAchievement("long", description, evidence);
            session.LogAchievement("third", "three", evidence);
        }
        var read = JournalFiles.ReadSession(data, id);
        Assert.Empty(read.Problems);
        Assert.Equal(description, read.Events.Single(e => e.GetString(JournalFields.AchievementType) == "long").GetString(JournalFields.Description));

        var history = await InProcessCli.RunAsync(data, null, "history", "--session", id, "--keywords", "achievement", "--json");
        Assert.Equal(0, history.ExitCode);
        Assert.Equal(3, JsonNode.Parse(history.Stdout)!["count"]!.GetValue<int>());
        var validate = await InProcessCli.RunAsync(data, null, "validate", id, "--json");
        Assert.True(validate.ExitCode == 0, validate.Stdout);
    }

    [Fact]
    public async Task Validate_names_an_oversized_line_and_the_index_skips_it_keeping_every_other_event()
    {
        string data = _dir.Combine("data");
        var (id, segment) = Record(data);
        // 64 MiB + 1 byte of zeros inserted as line 2 (sparse), a newline, then the rest of the journal.
        InsertHugeLine(segment, afterLine: 1, length: InputLimits.MaxJournalLineBytes + 1L);

        var validate = await InProcessCli.RunAsync(data, null, "validate", id, "--json");
        Assert.Equal(65, validate.ExitCode);
        var findings = JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray();
        var oversized = Assert.Single(findings, f => f!["kind"]!.GetValue<string>() == "oversized_line");
        Assert.Equal(2, oversized!["line"]!.GetValue<long>());
        Assert.Contains($"is {InputLimits.MaxJournalLineBytes + 1L} bytes, over the {InputLimits.MaxJournalLineBytes}-byte journal line limit", oversized["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var history = await InProcessCli.RunAsync(data, null, "history", "--session", id, "--keywords", "achievement", "--json");
        Assert.Equal(0, history.ExitCode);
        Assert.Equal(2, JsonNode.Parse(history.Stdout)!["count"]!.GetValue<int>());
    }

    [Fact]
    public void The_writer_drops_an_event_over_the_line_limit_and_counts_it_with_the_reason()
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", EmitToProvider = false, Redact = false });
        using var session = manager.Start("writer");
        // 12 M control characters, each escaped as \u0001 (6 bytes): a 72 MB line, over the 64 MiB limit.
        session.LogEvent("Huge", System.Diagnostics.Tracing.EventLevel.Informational, [new("blob", new string('\u0001', 12_000_000))]);
        session.LogEvent("Small", System.Diagnostics.Tracing.EventLevel.Informational, [new("n", 1)]);
        var journal = session.SinkStatistics.Single(s => s.Name == "journal");
        Assert.Equal(1, journal.Dropped);
        Assert.Equal(journal.Received, journal.Stored + journal.Dropped);
        Assert.StartsWith("Huge event of ", journal.LastError, StringComparison.Ordinal);
        Assert.EndsWith($" bytes is over the {InputLimits.MaxJournalLineBytes}-byte journal line limit; not written", journal.LastError, StringComparison.Ordinal);
        var events = JournalFiles.ReadSession(_dir.Path, session.Id);
        Assert.Empty(events.Problems);
        Assert.Equal(["SessionStart", "Small"], events.Events.Select(e => e.Name));
    }
}
