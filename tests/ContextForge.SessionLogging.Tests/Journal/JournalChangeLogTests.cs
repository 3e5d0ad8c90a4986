using System.Text;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>
/// <see cref="JournalChangeLog.ReadRecords"/>, the one reader of <c>journal-changes.log</c> (the index's catch-up and
/// the team store's sync): complete records between two offsets, and a problem for a log that cannot be trusted.
/// </summary>
public sealed class JournalChangeLogTests : IDisposable
{
    private const string SessionA = "0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a";
    private const string SessionB = "0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Log(string text)
    {
        string path = _dir.Combine(JournalChangeLog.FileName);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Complete_records_between_the_offsets_come_back_in_log_order_with_the_offset_after_the_last()
    {
        string first = $"{SessionA}/journal.jsonl\n";
        string text = first + $"{SessionB}/journal.jsonl\n{SessionA}/host-42.jsonl\n";
        string path = Log(text);

        var all = JournalChangeLog.ReadRecords(path, 0, text.Length);
        Assert.Null(all.Problem);
        Assert.Equal([$"{SessionA}/journal.jsonl", $"{SessionB}/journal.jsonl", $"{SessionA}/host-42.jsonl"], all.Segments);
        Assert.Equal(text.Length, all.Consumed);
        Assert.Equal([SessionA, SessionB, SessionA], all.SessionIds);

        var rest = JournalChangeLog.ReadRecords(path, first.Length, text.Length);
        Assert.Equal([$"{SessionB}/journal.jsonl", $"{SessionA}/host-42.jsonl"], rest.Segments);
        Assert.Equal(text.Length, rest.Consumed);
    }

    [Fact]
    public void Nothing_new_reads_nothing_and_stays_at_the_offset()
    {
        string text = $"{SessionA}/journal.jsonl\n";
        var none = JournalChangeLog.ReadRecords(Log(text), text.Length, text.Length);
        Assert.Empty(none.Segments);
        Assert.Equal(text.Length, none.Consumed);
        Assert.Null(none.Problem);
    }

    [Fact]
    public void A_partial_last_line_is_left_for_the_next_read_and_is_no_problem()
    {
        string complete = $"{SessionA}/journal.jsonl\n";
        string text = complete + $"{SessionB}/jour";
        string path = Log(text);

        var read = JournalChangeLog.ReadRecords(path, 0, text.Length);
        Assert.Null(read.Problem);
        Assert.Equal([$"{SessionA}/journal.jsonl"], read.Segments);
        Assert.Equal(complete.Length, read.Consumed);

        // The writer finishes its record: the next read starts where the last stopped and gets it whole.
        File.AppendAllText(path, "nal.jsonl\n");
        var next = JournalChangeLog.ReadRecords(path, read.Consumed, new FileInfo(path).Length);
        Assert.Null(next.Problem);
        Assert.Equal([$"{SessionB}/journal.jsonl"], next.Segments);
        Assert.Equal(new FileInfo(path).Length, next.Consumed);
    }

    [Fact]
    public void A_log_shorter_than_the_offset_last_read_is_reported_as_replaced_or_truncated()
    {
        string text = $"{SessionA}/journal.jsonl\n";
        string path = Log(text);

        var shorter = JournalChangeLog.ReadRecords(path, 500, text.Length);
        Assert.Empty(shorter.Segments);
        Assert.Equal(text.Length, shorter.Consumed);
        Assert.Equal($"journal-changes.log is shorter ({text.Length} bytes) than when last read (500 bytes): replaced or truncated", shorter.Problem);

        // The length the caller took is still past the file (truncated since): the same problem, with the file's length.
        var truncated = JournalChangeLog.ReadRecords(path, 100, 200);
        Assert.Equal($"journal-changes.log is shorter ({text.Length} bytes) than when last read (100 bytes): replaced or truncated", truncated.Problem);
    }

    [Theory]
    [InlineData("not a record")]
    [InlineData("0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a/journal.txt")]
    [InlineData("0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a/../../etc/x.jsonl")]
    [InlineData("0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a/.jsonl")]
    [InlineData("ZZZZZZZZ-0a0a-4a0a-8a0a-0a0a0a0a0a0a/journal.jsonl")]
    [InlineData("\0\0\0\0\0\0\0\0")]
    public void A_line_that_is_no_segment_record_is_reported_as_damaged_at_its_byte_with_the_records_before_it(string bad)
    {
        string good = $"{SessionA}/journal.jsonl\n";
        string text = good + bad + "\n" + $"{SessionB}/journal.jsonl\n";
        var read = JournalChangeLog.ReadRecords(Log(text), 0, Encoding.UTF8.GetByteCount(text));
        Assert.Equal([$"{SessionA}/journal.jsonl"], read.Segments);
        Assert.Equal(good.Length, read.Consumed);
        Assert.Equal($"journal-changes.log at byte {good.Length} holds no segment record: damaged", read.Problem);
    }

    [Fact]
    public void A_log_that_cannot_be_read_is_a_problem_and_nothing_is_consumed()
    {
        var missing = JournalChangeLog.ReadRecords(_dir.Combine("gone", JournalChangeLog.FileName), 10, 20);
        Assert.Empty(missing.Segments);
        Assert.Equal(10, missing.Consumed);
        Assert.StartsWith("journal-changes.log cannot be read: ", missing.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Records_appended_by_the_writer_are_read_back_by_the_reader()
    {
        if (!JournalChangeLog.IsSupported) return;
        string path = _dir.Combine(JournalChangeLog.FileName);
        Assert.True(JournalChangeLog.Append(path, SessionA, "journal.jsonl", durable: false));
        Assert.True(JournalChangeLog.Append(path, SessionB, "journal.jsonl", durable: true));
        var read = JournalChangeLog.ReadRecords(path, 0, new FileInfo(path).Length);
        Assert.Null(read.Problem);
        Assert.Equal([$"{SessionA}/journal.jsonl", $"{SessionB}/journal.jsonl"], read.Segments);
    }
}
