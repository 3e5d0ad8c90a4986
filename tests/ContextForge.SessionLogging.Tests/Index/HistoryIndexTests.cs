using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.Index;

public sealed class HistoryIndexTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();
    private readonly DataDirectory _data;
    private readonly HistoryGenerator _generator;

    public HistoryIndexTests()
    {
        _data = new DataDirectory(_temp.Path);
        _generator = new HistoryGenerator(_data, seed: 7);
    }

    public void Dispose() => _temp.Dispose();

    private static JsonObject Evidence() => new() { ["tests"] = 42 };

    /// <summary>Three sessions whose every query answer is known in advance.</summary>
    private (WrittenSession Build, WrittenSession Deploy, WrittenSession Old) WriteKnownHistory()
    {
        var build = _generator.Write(new SessionSpec("build", "command", Now.AddHours(-3),
        [
            new OperationSpec("dotnet build", 0, "Build succeeded.\n", "/home/dev/api"),
            new OperationSpec("dotnet test", 1, "Failed: 1\nerror: expected 4 got 5\n", "/home/dev/api/tests"),
        ], [new AchievementSpec("build_succeeded", "the build is green", Evidence())]));
        var deploy = _generator.Write(new SessionSpec("deploy prod", "interactive", Now.AddHours(-1),
        [
            new OperationSpec("kubectl apply -f deploy.yaml", 0, "deployment.apps/api configured\n", "/srv/infra"),
            new OperationSpec("git push origin main", 128, "fatal: unable to access\n", "/home/dev/web"),
        ], [new AchievementSpec("deployed", "api deployed", Evidence())], Host: "other-host"));
        var old = _generator.Write(new SessionSpec("old", "command", Now.AddDays(-10),
            [new OperationSpec("make", 2, "make: *** No rule to make target\n", "/home/dev/api")], []));
        return (build, deploy, old);
    }

    private HistoryIndex OpenCaughtUp()
    {
        var index = HistoryIndex.Open(_data);
        index.CatchUp();
        return index;
    }

    private static List<string?> Ops(IEnumerable<IndexedEvent> events) => events.Select(e => e.Fields[JournalFields.OperationName]?.ToString()).ToList();

    [Fact]
    public void Index_is_created_with_WAL_and_every_migration_applied_once()
    {
        using var index = HistoryIndex.Open(_data);
        using var again = HistoryIndex.Open(_data);
        Assert.Equal(IndexMigrations.All[^1].Version, index.SchemaVersion);
        Assert.Equal("wal", index.Scalar("PRAGMA journal_mode") as string);
        Assert.Equal((long)IndexMigrations.All.Count, index.Scalar("SELECT COUNT(*) FROM migrations"));
        Assert.True(File.Exists(Path.Combine(_data.Root, "index.sqlite")));
    }

    [Fact]
    public void Filters_return_exactly_the_expected_operations()
    {
        var (build, deploy, old) = WriteKnownHistory();
        using var index = OpenCaughtUp();
        var terminal = new HistoryFilter { Keywords = SessionKeywords.Terminal, Limit = 0 };

        Assert.Equal(["git push origin main", "kubectl apply -f deploy.yaml", "dotnet test", "dotnet build", "make"], Ops(HistoryQuery.Events(index, terminal)));
        Assert.Equal(["git push origin main", "dotnet test", "make"], Ops(HistoryQuery.Events(index, terminal with { Failed = true })));
        Assert.Equal(["git push origin main"], Ops(HistoryQuery.Events(index, terminal with { ExitCode = 128 })));
        Assert.Equal(["git push origin main", "dotnet test"], Ops(HistoryQuery.Events(index, terminal with { Failed = true, From = Now.AddDays(-2) })));
        Assert.Equal(["make"], Ops(HistoryQuery.Events(index, terminal with { To = Now.AddDays(-2) })));
        Assert.Equal(["dotnet test", "dotnet build"], Ops(HistoryQuery.Events(index, terminal with { Command = "dotnet" })));
        Assert.Equal(["dotnet test", "dotnet build"], Ops(HistoryQuery.Events(index, terminal with { Command = "^dotnet " })));
        Assert.Empty(HistoryQuery.Events(index, terminal with { Command = "^build" }));
        Assert.Equal(["dotnet build"], Ops(HistoryQuery.Events(index, terminal with { Command = "build" })));
        Assert.Equal(["dotnet test", "dotnet build", "make"], Ops(HistoryQuery.Events(index, terminal with { Cwd = "/home/dev/api" })));
        Assert.Equal(["dotnet test"], Ops(HistoryQuery.Events(index, terminal with { Cwd = "/home/dev/api/tests" })));
        Assert.Equal(["git push origin main", "kubectl apply -f deploy.yaml"], Ops(HistoryQuery.Events(index, terminal with { Host = "other-host" })));
        Assert.Equal(["git push origin main", "kubectl apply -f deploy.yaml"], Ops(HistoryQuery.Events(index, terminal with { Name = "deploy" })));
        Assert.Equal(["dotnet test", "dotnet build", "make"], Ops(HistoryQuery.Events(index, terminal with { Type = "command" })));
        Assert.Equal(["make"], Ops(HistoryQuery.Events(index, terminal with { Session = old.Id[..8] })));
        Assert.Equal(["git push origin main", "kubectl apply -f deploy.yaml"], Ops(HistoryQuery.Events(index, terminal with { Limit = 2 })));

        var achievements = HistoryQuery.Events(index, new HistoryFilter { Keywords = SessionKeywords.Achievement, Limit = 0 });
        Assert.Equal(["ACH-" + deploy.Id[..8] + "-001", "ACH-" + build.Id[..8] + "-001"], achievements.Select(e => e.Fields["achievement_id"]!.ToString()));
        var deployed = HistoryQuery.Events(index, new HistoryFilter { Keywords = SessionKeywords.Achievement, AchievementType = "deployed" });
        Assert.Equal(deploy.Id, Assert.Single(deployed).SessionId);
        var sessionEvents = HistoryQuery.Events(index, new HistoryFilter { Keywords = SessionKeywords.Session, Limit = 0 });
        Assert.Equal(6, sessionEvents.Count);
        Assert.All(sessionEvents, e => Assert.True(e.Name is SessionEventNames.SessionStart or SessionEventNames.SessionEnd));
    }

    [Fact]
    public void Sessions_carry_counts_status_and_times_from_the_journal()
    {
        var (build, deploy, old) = WriteKnownHistory();
        using var index = OpenCaughtUp();
        var sessions = HistoryQuery.Sessions(index, 0);
        Assert.Equal([deploy.Id, build.Id, old.Id], sessions.Select(s => s.SessionId));
        var b = sessions[1];
        Assert.Equal(("build", "command", "ended", 2L, 1L, 1L, 1L), (b.Name, b.Type, b.Status, b.OperationCount, b.FailedOperationCount, b.AchievementCount, b.LastExitCode));
        Assert.Equal(build.Spec.Start.ToUnixTimeMilliseconds(), b.StartTime!.Value.ToUnixTimeMilliseconds());
        Assert.Equal(1L, HistoryQuery.CountSessionsSince(index, Now.AddDays(-1), build.Id));
    }

    [Fact]
    public void History_and_session_times_keep_the_journals_full_tick_precision_through_the_index()
    {
        // 1234567 ticks past the second: sub-millisecond digits that a millisecond index cut to .123.
        var start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);
        var written = _generator.Write(new SessionSpec("precise", "command", start,
            [new OperationSpec("make", 0, "ok\n", "/tmp")], [new AchievementSpec("built", "built", Evidence())]));
        var journal = JournalFiles.ReadSession(_temp.Path, written.Id).Events;

        var everything = new HistoryFilter
        {
            Keywords = SessionKeywords.Session | SessionKeywords.Achievement | SessionKeywords.Terminal | SessionKeywords.Milestone,
            Session = written.Id,
            Limit = 0,
        };
        using var queries = SessionQueries.Open(_data);
        var history = queries.History(everything);
        Assert.Equal(4, history.Count); // SessionStart, the capture, the achievement, SessionEnd (a run's OperationStarted is shown only without its capture)
        var byLine = history.Events.ToDictionary(e => (e.Sequence, e.Event));
        foreach (var indexed in history.Events)
        {
            var e = journal.Single(j => j.Sequence == indexed.Sequence && j.Name == indexed.Event);
            Assert.Equal(e.Timestamp.UtcTicks, indexed.Timestamp.UtcTicks);
            Assert.Equal(TimeSpan.Zero, indexed.Timestamp.Offset);
        }
        var sessionStart = byLine.Values.Single(e => e.Event == SessionEventNames.SessionStart);
        Assert.Equal(start, sessionStart.Timestamp);
        Assert.Equal("2026-01-02T03:04:05.1234567Z", sessionStart.ToJsonObject()["timestamp"]!.GetValue<string>());

        var session = Assert.Single(queries.Sessions(0).Sessions, s => s.SessionId == written.Id);
        Assert.Equal("2026-01-02T03:04:05.1234567Z", session.StartTime);
        // A filter bound between two ticks of the same millisecond selects exactly.
        Assert.Equal(4, queries.History(everything with { From = start }).Count);
        Assert.Equal(3, queries.History(everything with { From = start.AddTicks(1) }).Count);
    }

    [Fact]
    public void An_index_of_schema_3_with_millisecond_times_is_rebuilt_in_ticks_when_opened()
    {
        var start = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);
        var written = _generator.Write(new SessionSpec("old index", "command", start, [new OperationSpec("make", 0, "ok\n", "/tmp")], []));
        using (var index = OpenCaughtUp())
        {
            // What a schema-3 index held: whole milliseconds, and no record of migrations 4 and 5.
            index.Execute("UPDATE events SET ts = ts / 10000; UPDATE sessions SET start_ts = start_ts / 10000, last_ts = last_ts / 10000, first_ts = first_ts / 10000, end_ts = end_ts / 10000; DELETE FROM migrations WHERE version >= 4;");
            Assert.Equal(3, index.SchemaVersion);
        }

        using var reopened = HistoryIndex.Open(_data);
        Assert.Equal(IndexMigrations.All[^1].Version, reopened.SchemaVersion);
        Assert.Equal(0L, reopened.Scalar("SELECT COUNT(*) FROM events"));
        reopened.CatchUp();
        var session = Assert.Single(HistoryQuery.Sessions(reopened, 0));
        Assert.Equal(written.Id, session.SessionId);
        Assert.Equal(start, session.StartTime);
        var first = HistoryQuery.SessionEvents(reopened, written.Id)[0];
        Assert.Equal(start.UtcTicks, first.Timestamp.UtcTicks);
    }

    [Fact]
    public void Search_finds_words_in_ANSI_stripped_output_and_in_blobs()
    {
        string big = string.Concat(Enumerable.Range(0, 2000).Select(i => $"line {i} of a long log\n")) + "the needle is here\n";
        var s = _generator.Write(new SessionSpec("search", "command", Now.AddMinutes(-5),
        [
            new OperationSpec("red", 1, "ok\n\u001b[31mfatal\u001b[0m: disk\r\nfull\n", "/tmp"),
            new OperationSpec("big", 0, big, "/tmp"),
            new OperationSpec("err", 0, "", "/tmp", Stderr: "warning: stderr-only-word\n"),
        ], []));
        Assert.True(Directory.Exists(Path.Combine(_data.SessionDirectory(s.Id), "blobs")));
        using var index = OpenCaughtUp();
        Assert.Equal(["red"], Ops(HistoryQuery.Search(index, "fatal disk", new HistoryFilter())));
        Assert.Equal(["big"], Ops(HistoryQuery.Search(index, "needle", new HistoryFilter())));
        Assert.Equal(["err"], Ops(HistoryQuery.Search(index, "stderr-only-word", new HistoryFilter())));
        Assert.Empty(HistoryQuery.Search(index, "31m", new HistoryFilter()));
        Assert.Empty(HistoryQuery.Search(index, "fatal", new HistoryFilter { Failed = true, ExitCode = 0 }));
    }

    [Fact]
    public void Catch_up_reads_only_lines_added_since_the_last_one_and_waits_for_a_torn_tail()
    {
        var s = _generator.Write(new SessionSpec("grow", "command", Now.AddMinutes(-5), [new OperationSpec("one", 0, "1\n", "/tmp")], [], Ended: false));
        using var index = HistoryIndex.Open(_data);
        var first = index.CatchUp();
        // As real processes write it: start's Writer line and SessionStart, the run's Writer line, OperationStarted and capture.
        Assert.Equal((5L, 3L), (first.LinesRead, first.EventsAdded));

        var nothing = index.CatchUp();
        Assert.Equal((0, 0L, 0L), (nothing.SegmentsRead, nothing.LinesRead, nothing.BytesRead));

        // Append one complete line (a copy of the capture, line 5, with the next sequence number and chain) and half of another.
        var lines = File.ReadAllLines(s.SegmentPath);
        string next = NextLine(lines[^1], lines[4], 6);
        byte[] complete = Encoding.UTF8.GetBytes(next + "\n");
        File.AppendAllText(s.SegmentPath, next + "\n" + NextLine(next, lines[4], 7)[..40]);
        var grown = index.CatchUp();
        Assert.Equal((1, 1L, 1L), (grown.SegmentsRead, grown.LinesRead, grown.EventsAdded));
        Assert.True(grown.BytesRead >= complete.Length && grown.BytesRead < complete.Length + 41);

        // Completing the torn line makes exactly that line appear.
        string full = NextLine(next, lines[4], 7);
        File.AppendAllText(s.SegmentPath, full[40..] + "\n");
        var completed = index.CatchUp();
        Assert.Equal((1L, 1L), (completed.LinesRead, completed.EventsAdded));
        Assert.Equal(5L, index.Scalar("SELECT COUNT(*) FROM events"));
        Assert.Equal(3L, index.Scalar("SELECT operation_count FROM sessions"));
    }

    [Fact]
    public void A_catch_up_that_finds_nothing_new_changes_no_row_and_leaves_the_WAL_as_it_was()
    {
        // Re-examined on every catch-up: an open session, and one that ended minutes ago (not settled yet).
        _generator.Write(new SessionSpec("open", "command", Now.AddMinutes(-5), [new OperationSpec("one", 0, "1\n", "/tmp")], [], Ended: false));
        _generator.Write(new SessionSpec("ended", "command", Now.AddMinutes(-10), [new OperationSpec("two", 0, "2\n", "/tmp")], []));
        using var index = HistoryIndex.Open(_data);
        var first = index.CatchUp();
        Assert.Equal(2, first.SessionsExamined);
        var again = index.CatchUp();
        long changesBefore = (long)index.Scalar("SELECT total_changes()")!;
        long walBefore = new FileInfo(index.PathOnDisk + "-wal").Length;

        var nothing = index.CatchUp();

        // Both sessions were looked at again, yet no row was inserted, updated or deleted: nothing to sync on close.
        Assert.Equal((2, 2, 0L), (again.SessionsExamined, nothing.SessionsExamined, nothing.EventsAdded));
        Assert.Equal(changesBefore, (long)index.Scalar("SELECT total_changes()")!);
        Assert.Equal(walBefore, new FileInfo(index.PathOnDisk + "-wal").Length);
        Assert.Equal(["open", "ended"], HistoryQuery.Sessions(index, 0).Select(s => s.Name));
        Assert.Equal(["open", "ended"], HistoryQuery.Sessions(index, 0).Select(s => s.Status));
    }

    /// <summary>A copy of a capture line with a new sequence number, operation id and a chain link to <paramref name="previous"/>.</summary>
    internal static string NextLine(string previous, string template, long seq)
    {
        var obj = JsonNode.Parse(template)!.AsObject();
        obj["seq"] = seq;
        obj["prev"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(previous)));
        obj["operation_id"] = Guid.NewGuid().ToString("D");
        return obj.ToJsonString();
    }

    [Fact]
    public void A_replaced_segment_is_read_again_from_the_start()
    {
        var s = _generator.Write(new SessionSpec("replace", "command", Now.AddMinutes(-5), [new OperationSpec("first", 0, "1\n", "/tmp")], []));
        using var index = OpenCaughtUp();
        var other = new HistoryGenerator(new DataDirectory(_temp.Combine("other")), seed: 99).Write(new SessionSpec("x", "command", Now.AddMinutes(-4),
            [new OperationSpec("second", 0, "2\n", "/tmp"), new OperationSpec("third", 0, "3\n", "/tmp")], [], Id: s.Id));
        File.Copy(other.SegmentPath, s.SegmentPath, overwrite: true);
        var result = index.CatchUp(full: true);
        Assert.Equal(1, result.SegmentsReplaced);
        Assert.Equal(["third", "second"], Ops(HistoryQuery.Events(index, new HistoryFilter { Keywords = SessionKeywords.Terminal })));
    }

    [Fact]
    public void Rebuild_gives_the_same_answers_as_the_incremental_index()
    {
        var generator = new HistoryGenerator(_data, seed: 3);
        using var index = HistoryIndex.Open(_data);
        // Incremental: three rounds of new sessions, caught up after each.
        for (int round = 0; round < 3; round++)
        {
            generator.Generate(120, Now.AddHours(-round), TimeSpan.FromHours(1), operationsPerSession: 15, rareWord: "quasar" + round);
            index.CatchUp();
        }
        string incremental = Answers(index);
        var rebuilt = index.Rebuild();
        long journalEvents = _data.EnumerateSessionIds().Sum(id => (long)JournalFiles.ReadSession(_temp.Path, id).Events.Count);
        Assert.Equal(journalEvents, rebuilt.EventsAdded);
        Assert.Equal(incremental, Answers(index));
    }

    private static string Answers(HistoryIndex index)
    {
        var sb = new StringBuilder();
        foreach (var e in HistoryQuery.Events(index, new HistoryFilter { Limit = 0 })) sb.AppendLine(new EventDocument(e).ToJsonObject().ToJsonString());
        foreach (var s in HistoryQuery.Sessions(index, 0)) sb.AppendLine(s.ToString());
        foreach (var e in HistoryQuery.Events(index, new HistoryFilter { Failed = true, Keywords = SessionKeywords.Terminal, Limit = 0 })) sb.AppendLine(e.OperationId);
        foreach (string word in new[] { "quasar0", "quasar2", "Passed", "TODO" })
            foreach (var e in HistoryQuery.Search(index, word, new HistoryFilter { Limit = 0 })) sb.AppendLine(word + " " + e.OperationId);
        return sb.ToString();
    }

    [Fact]
    public async Task Two_indexers_catching_up_at_once_insert_each_event_once()
    {
        new HistoryGenerator(_data, seed: 5).Generate(300, Now, TimeSpan.FromHours(2), operationsPerSession: 10);
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using var index = HistoryIndex.Open(_data);
            return index.CatchUp().EventsAdded;
        })).ToArray();
        long[] added = await Task.WhenAll(tasks);
        using var check = HistoryIndex.Open(_data);
        long events = (long)check.Scalar("SELECT COUNT(*) FROM events")!;
        Assert.Equal(events, added.Sum());
        long journalLines = new DataDirectory(_temp.Path).EnumerateSessionIds().Sum(id => (long)JournalFiles.ReadSession(_temp.Path, id).Events.Count);
        Assert.Equal(journalLines, events);
    }

    [Fact]
    public void A_removed_session_directory_leaves_the_index()
    {
        var (build, _, _) = WriteKnownHistory();
        using var index = OpenCaughtUp();
        Directory.Delete(_data.SessionDirectory(build.Id), recursive: true);
        var result = index.CatchUp();
        Assert.Equal(1, result.SessionsRemoved);
        Assert.DoesNotContain(build.Id, HistoryQuery.Sessions(index, 0).Select(s => s.SessionId));
        Assert.Equal(0L, index.Scalar($"SELECT COUNT(*) FROM segments WHERE session_id = '{build.Id}'"));
        Assert.Equal(0L, index.Scalar("SELECT COUNT(*) FROM events WHERE segment NOT IN (SELECT id FROM segments)"));
        Assert.Equal(0L, index.Scalar("SELECT COUNT(*) FROM writers WHERE segment NOT IN (SELECT id FROM segments)"));
    }

    [Fact]
    public void Indexed_events_read_their_fields_back_from_the_journal_exactly_as_the_journal_reader_gives_them()
    {
        WriteKnownHistory();
        // A run joining a session later (a delta Writer line, a capture referring to its OperationStarted), indexed by a second catch-up.
        using var index = OpenCaughtUp();
        var into = HistoryQuery.Sessions(index, 0).First(s => s.Name == "build");
        _generator.WriteRun(into.SessionId, HistoryGenerator.ActivityOf(into.SessionId), HistoryGenerator.Host, new OperationSpec("echo late", 0, "late\n", "/tmp"), Now, 99);
        index.CatchUp();
        foreach (var session in HistoryQuery.Sessions(index, 0))
        {
            var fromJournal = SessionLogging.Journal.JournalReader.ReadSession(_data.SessionDirectory(session.SessionId)).Events
                .Select(e => { var f = (JsonObject)e.Fields.DeepClone(); f.Remove(JournalFields.Output); f.Remove(JournalFields.Stderr); return e.Name + " " + f.ToJsonString(); })
                .Order(StringComparer.Ordinal).ToList();
            var fromIndex = HistoryQuery.SessionEvents(index, session.SessionId).Select(e => e.Name + " " + e.Fields.ToJsonString()).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(fromJournal, fromIndex);
        }
        Assert.Equal(["echo late"], Ops(HistoryQuery.Events(index, new HistoryFilter { Command = "late", Limit = 0 })));
    }

    [Fact]
    public void The_index_file_holds_no_copy_of_recorded_output_or_provenance_yet_search_finds_it()
    {
        _generator.Write(new SessionSpec("words", "command", Now.AddHours(-1),
            [new OperationSpec("cat notes", 0, "the quixotically-named frobnicator ran\n", "/home/dev/uniquecwdname")], []));
        using (var index = OpenCaughtUp())
        {
            Assert.Equal(["cat notes"], Ops(HistoryQuery.Search(index, "quixotically", new HistoryFilter { Limit = 0 })));
            index.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        byte[] bytes = File.ReadAllBytes(Path.Combine(_data.Root, HistoryIndex.FileName));
        Assert.Equal(-1, bytes.AsSpan().IndexOf("frobnicator ran"u8)); // FTS5 contentless: its terms, never the text
        Assert.Equal(-1, bytes.AsSpan().IndexOf("history-generator"u8)); // provenance stays on the Writer line
        Assert.Equal(-1, bytes.AsSpan().IndexOf("output_sample"u8)); // no fields JSON
    }

    [Fact]
    public void An_index_of_schema_version_3_is_rebuilt_on_open_without_reindex()
    {
        var (build, _, _) = WriteKnownHistory();
        string path = Path.Combine(_data.Root, HistoryIndex.FileName);
        // A version-3 index, as the previous release left it: migrations 1-3 applied and its catch-up state recorded.
        using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            old.Open();
            using var cmd = old.CreateCommand();
            cmd.CommandText = "CREATE TABLE migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);"
                + string.Concat(IndexMigrations.All.Where(m => m.Version <= 3).Select(m => m.Sql + $"\nINSERT INTO migrations VALUES ({m.Version}, 'v{m.Version}', '2026-11-29');"))
                + $"INSERT INTO sessions (session_id, status, settled) VALUES ('{build.Id}', 'ended', 1);"
                + "INSERT INTO meta (key, value) VALUES ('change_log_offset', '999999999');";
            cmd.ExecuteNonQuery();
        }
        using var index = HistoryIndex.Open(_data);
        Assert.Equal(IndexMigrations.All[^1].Version, index.SchemaVersion);
        var result = index.CatchUp();
        Assert.True(result.Listed);
        Assert.Equal(3, result.SessionsExamined);
        Assert.Equal(["git push origin main", "kubectl apply -f deploy.yaml", "dotnet test", "dotnet build", "make"],
            Ops(HistoryQuery.Events(index, new HistoryFilter { Keywords = SessionKeywords.Terminal, Limit = 0 })));
        Assert.Equal(0L, index.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'writers_session'")); // the old schema is gone
    }

    [Fact]
    public void An_index_of_schema_version_5_gets_the_newest_sessions_index_in_place_and_keeps_its_rows()
    {
        WriteKnownHistory();
        using (var current = OpenCaughtUp())
        {
            // As the previous release left it: migrations 1-5, sessions ordered by start_ts alone.
            current.Execute("DROP INDEX sessions_newest; CREATE INDEX sessions_start ON sessions(start_ts DESC); DELETE FROM migrations WHERE version = 6;");
            Assert.Equal(5, current.SchemaVersion);
        }
        using var index = HistoryIndex.Open(_data);
        var result = index.CatchUp();
        string plan = string.Join('\n', PlanOf(index, "SELECT session_id FROM sessions WHERE first_ts IS NOT NULL ORDER BY start_ts DESC, session_id LIMIT 1"));

        Assert.Equal(6, index.SchemaVersion);
        Assert.Equal((false, 0L), (result.Listed, result.EventsAdded)); // migrated in place: nothing read again
        Assert.Equal(["deploy prod", "build", "old"], HistoryQuery.Sessions(index, 0).Select(s => s.Name));
        Assert.Equal("deploy prod", Assert.Single(HistoryQuery.Sessions(index, 1)).Name);
        // The newest session is read from the index in order, never by sorting the whole table.
        Assert.Contains("INDEX sessions_newest", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
        Assert.Equal(0L, index.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sessions_start'"));
    }

    private static List<string> PlanOf(HistoryIndex index, string sql)
    {
        using var cmd = index.Command("EXPLAIN QUERY PLAN " + sql);
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(reader.GetString(3));
        return rows;
    }
}
