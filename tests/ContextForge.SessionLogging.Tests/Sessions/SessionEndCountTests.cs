using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;

namespace ContextForge.SessionLogging.Tests.Sessions;

/// <summary>
/// SessionEnd's counts: the owner counts its own journaled events when its segment is the session's only one, and
/// re-reads every segment when another writer (a joined process) added records.
/// </summary>
[Collection("Console")]
public sealed class SessionEndCountTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SessionManager Manager(JournalDurability durability = JournalDurability.FsyncPerEvent) =>
        new(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", Durability = durability, EmitToProvider = false });

    [Fact]
    public void SessionEnd_counts_include_what_a_joined_writer_appended_to_the_shared_segment()
    {
        var manager = Manager();
        string id;
        using (var owner = manager.Start("owner"))
        {
            id = owner.Id;
            owner.Capture("mine", c => c.WriteLine("one"));
            using (var joined = manager.Join(owner.Id))
            {
                joined.LogAchievement("joined_achievement", "from another writer");
                Assert.Throws<InvalidOperationException>(() => joined.Capture("theirs", _ => throw new InvalidOperationException("x")));
            }
        }

        var read = JournalFiles.ReadSession(_dir.Path, id);
        Assert.Single(Directory.GetFiles(new DataDirectory(_dir.Path).SessionDirectory(id), "*.jsonl"));
        var end = read.Events.Single(e => e.Name == SessionEventNames.SessionEnd);
        Assert.Equal(2, end.GetInt64(JournalFields.OperationCount));
        Assert.Equal(1, end.GetInt64(JournalFields.FailedOperationCount));
        Assert.Equal(1, end.GetInt64(JournalFields.AchievementCount));
    }

    [Theory]
    [InlineData(JournalDurability.Flush)]
    [InlineData(JournalDurability.FsyncPerEvent)]
    [InlineData(JournalDurability.FsyncPerInterval)]
    public void Sole_writer_counts_equal_a_full_reread_under_every_durability(JournalDurability durability)
    {
        string id;
        using (var session = Manager(durability).Start())
        {
            id = session.Id;
            for (int i = 0; i < 3; i++) session.Capture("op" + i, c => c.WriteLine("line"));
            session.LogAchievement("a", "b");
        }

        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        var end = events[^1];
        Assert.Equal(SessionEventNames.SessionEnd, end.Name);
        Assert.Equal(events.Count(e => e.Name == SessionEventNames.TerminalCapture), end.GetInt64(JournalFields.OperationCount));
        Assert.Equal(3, end.GetInt64(JournalFields.OperationCount));
        Assert.Equal(0, end.GetInt64(JournalFields.FailedOperationCount));
        Assert.Equal(1, end.GetInt64(JournalFields.AchievementCount));
    }
}
