using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>The fsync-per-interval durability: lines are written at once (readable immediately), synced later.</summary>
public sealed class FsyncPerIntervalTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SessionEvent Event(int n) => new(
        SessionEventNames.AchievementLogged, DateTimeOffset.UtcNow, "6bbf5aa6-b098-4040-94c3-1b6d2f74c837", Guid.NewGuid(),
        EventLevel.Informational, SessionKeywords.Achievement, new JsonObject { ["n"] = n });

    [Fact]
    public void Lines_are_readable_before_the_interval_fsync_and_intact_after_close()
    {
        string path = _dir.Combine("s", "seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.FsyncPerInterval, TimeSpan.FromHours(1)))
        {
            for (int i = 1; i <= 3; i++) writer.Emit(Event(i));
            // written with write(), so another reader sees them before any fsync
            Assert.Equal(3, JournalReader.ReadSegment(path).Events.Count);
            writer.SyncIfNeeded();
            writer.Emit(Event(4));
            Assert.Equal(new SinkStatistics("journal", 4, 4, 0, null), writer.Statistics);
        }

        var read = JournalReader.ReadSegment(path);
        Assert.Empty(read.Problems);
        Assert.Equal([1L, 2, 3, 4], read.Events.Select(e => e.GetInt64("n")!.Value));
    }

    [Fact]
    public void A_non_positive_interval_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JournalWriter(_dir.Combine("x.jsonl"), JournalDurability.FsyncPerInterval, TimeSpan.Zero));
    }
}

/// <summary>Group commit under fsync-per-event: lines are written at once and synced together when the scope ends.</summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Lines_in_a_group_commit_are_written_immediately_and_all_read_back_after_it_ends()
    {
        string path = _dir.Combine("s", "seg.jsonl");
        using (var writer = new JournalWriter(path, JournalDurability.FsyncPerEvent))
        {
            writer.Emit(FsyncPerIntervalTestsEvents.Event(1));
            using (writer.GroupCommit())
            {
                writer.Emit(FsyncPerIntervalTestsEvents.Event(2));
                using (writer.GroupCommit()) writer.Emit(FsyncPerIntervalTestsEvents.Event(3));
                Assert.Equal(3, JournalReader.ReadSegment(path).Events.Count);
            }
            Assert.Equal(new SinkStatistics("journal", 3, 3, 0, null), writer.Statistics);
        }

        var read = JournalReader.ReadSegment(path);
        Assert.Empty(read.Problems);
        Assert.Equal([1L, 2, 3], read.Events.Select(e => e.GetInt64("n")!.Value));
    }
}

internal static class FsyncPerIntervalTestsEvents
{
    public static SessionEvent Event(int n) => new(
        SessionEventNames.AchievementLogged, DateTimeOffset.UtcNow, "6bbf5aa6-b098-4040-94c3-1b6d2f74c837", Guid.NewGuid(),
        EventLevel.Informational, SessionKeywords.Achievement, new JsonObject { ["n"] = n });
}
