using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>Journal format 2 at scale (issue 15): one shared segment per session, at most 1 KB per small operation, both formats side by side.</summary>
public sealed class JournalLayoutTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_hundred_runs_into_one_session_leave_one_segment_and_at_most_1_KB_per_operation()
    {
        var start = await InProcessCli.RunAsync(_dir.Path, null, "start", "--name", "shared");
        string id = start.Stdout.Split('\n').First(l => l.StartsWith("export CFSESSION_ID=", StringComparison.Ordinal))["export CFSESSION_ID=".Length..].Trim();
        var env = new Dictionary<string, string?> { ["CFSESSION_ID"] = id };
        for (int i = 0; i < 100; i++)
        {
            var run = await InProcessCli.RunAsync(_dir.Path, env, "run", "--no-pty", "--", "echo", "hello");
            Assert.Equal(0, run.ExitCode);
        }
        string dir = new DataDirectory(_dir.Path).SessionDirectory(id);
        string[] segments = Directory.GetFiles(dir, "*" + JournalReader.SegmentExtension);
        long bytes = segments.Sum(s => new FileInfo(s).Length);
        int files = Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories).Length;

        Assert.Equal(JournalWriter.SharedSegmentFileName, Path.GetFileName(Assert.Single(segments)));
        Assert.True(files <= 2, $"{files} files for 100 operations");
        // Issue 15's goal is 1 KB. Measured 915 bytes per `run -- echo hello` joining a session: a delta Writer line
        // (~206: pid and start ticks), OperationStarted (~330) and a TerminalCapture that refers to it (~380). The
        // bound leaves only the few bytes pids and durations vary by.
        Assert.True(bytes / 100.0 <= 925, $"{bytes / 100.0:0} journal bytes per operation");
        var read = JournalReader.ReadSession(dir);
        Assert.Empty(read.Problems);
        Assert.Equal(100, read.Events.Count(e => e.Name == SessionEventNames.TerminalCapture));
        // Every capture reads back with its full provenance and its derivable fields restored.
        Assert.All(read.Events.Where(e => e.Name == SessionEventNames.TerminalCapture), e =>
        {
            Assert.NotNull(e.Fields[JournalFields.Provenance]?["host"]);
            Assert.Equal(id, e.GetString(JournalFields.CorrelationId));
            Assert.Equal(JournalCompaction.TraceIdOf(id), e.GetString(JournalFields.TraceId));
            Assert.Equal(JournalCompaction.EmptyHash, e.GetString(JournalFields.StderrHash));
        });
    }

    [Fact]
    public void A_session_written_in_format_1_and_continued_in_format_2_reads_and_indexes_as_one()
    {
        var data = new DataDirectory(_dir.Path);
        string id = Guid.NewGuid().ToString("D");
        var activity = Guid.NewGuid();
        string dir = data.SessionDirectory(id);
        Directory.CreateDirectory(dir);
        // A format-1 segment as the previous version wrote it: everything on the line.
        string legacy = Path.Combine(dir, "20260101T000000000Z-4242-0badc0de.jsonl");
        var provenance = new JsonObject { ["host"] = "elsewhere", ["user"] = "u", ["pid"] = 4242, ["tool"] = "cfsession", ["tool_version"] = "0.1.0", ["os"] = "x", ["os_platform"] = "linux", ["arch"] = "x64", ["runtime"] = ".NET", ["cwd"] = "/w" };
        string line1 = new JsonObject
        {
            ["v"] = 1, ["event"] = "SessionStart", ["ts"] = "2026-01-01T00:00:00.0000000Z", ["session_id"] = id, ["seq"] = 1, ["level"] = 4, ["keywords"] = 1,
            ["activity_id"] = activity.ToString("D"), ["segment"] = Path.GetFileNameWithoutExtension(legacy), ["prev"] = new string('0', 64),
            ["session_name"] = "old", ["session_type"] = "interactive", ["start_time"] = "2026-01-01T00:00:00.0000000Z", ["methodology"] = "m",
            ["correlation_id"] = id, ["session_lifetime"] = "detached", ["provenance"] = provenance,
        }.ToJsonString();
        File.WriteAllText(legacy, line1 + "\n");

        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", EmitToProvider = false });
        using (var joined = manager.Join(id))
        {
            joined.Capture("new", c => c.WriteLine("format two"));
        }

        var read = JournalReader.ReadSession(dir);
        Assert.Empty(read.Problems);
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.TerminalCapture], read.Events.Select(e => e.Name));
        Assert.Equal("elsewhere", read.Events[0].Fields[JournalFields.Provenance]!["host"]!.GetValue<string>());
        Assert.Equal(activity, read.Events[1].ActivityId);
        Assert.Equal(Environment.ProcessId, read.Events[1].Fields[JournalFields.Provenance]!["pid"]!.GetValue<int>());
        using var index = HistoryIndex.Open(data);
        var rebuilt = index.Rebuild();
        Assert.Equal(2, rebuilt.EventsAdded);
        Assert.Equal(0, rebuilt.LinesSkipped);
    }

    [Fact]
    public void A_writer_killed_mid_line_leaves_a_torn_tail_the_next_writer_cuts_before_it_continues_the_chain()
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", EmitToProvider = false });
        string id;
        using (var session = manager.Start("torn"))
        {
            id = session.Id;
            session.Detach();
        }
        string segment = Path.Combine(new DataDirectory(_dir.Path).SessionDirectory(id), JournalWriter.SharedSegmentFileName);
        File.AppendAllText(segment, "{\"v\":2,\"event\":\"TerminalCap");
        using (var joined = manager.Join(id))
        {
            joined.Capture("after", c => c.WriteLine("x"));
        }

        var read = JournalReader.ReadSegment(segment);
        Assert.Empty(read.Problems);
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.TerminalCapture], read.Events.Select(e => e.Name));
    }

    [Fact]
    public void A_writer_that_cannot_take_the_lock_moves_to_its_own_segment_and_starts_a_fresh_chain_there()
    {
        if (!JournalWriter.SharedSegmentsSupported) return;
        var data = new DataDirectory(_dir.Path);
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", EmitToProvider = false });
        using var owner = manager.Start("contended");
        using (var joined = manager.Join(owner.Id))
        {
            joined.Capture("shared", c => c.WriteLine("in the shared segment"));
            Assert.Equal(owner.SegmentPath, joined.SegmentPath);
            // Someone holds the segment's lock past the timeout: the joined writer moves to a segment of its own.
            using (new FileStream(data.SegmentLockPath(owner.Id), FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
            {
                joined.Capture("own", c => c.WriteLine("in a segment of its own"));
            }
            Assert.NotEqual(owner.SegmentPath, joined.SegmentPath);
            joined.Capture("own again", c => c.WriteLine("still there"));
        }

        var read = JournalReader.ReadSession(data.SessionDirectory(owner.Id));
        Assert.Empty(read.Problems);
        Assert.Equal(2, Directory.GetFiles(data.SessionDirectory(owner.Id), "*" + JournalReader.SegmentExtension).Length);
        Assert.Equal(["shared", "own", "own again"], read.Events.Where(e => e.Name == SessionEventNames.TerminalCapture).Select(e => e.GetString(JournalFields.OperationName)));
    }

    [Fact]
    public void A_capture_refers_to_its_OperationStarted_line_and_reads_back_whole_even_when_catch_up_indexed_the_start_earlier()
    {
        var data = new DataDirectory(_dir.Path);
        string id = Guid.NewGuid().ToString("D");
        var activity = Guid.NewGuid();
        string operation = Guid.NewGuid().ToString("D");
        string segment = Path.Combine(data.SessionDirectory(id), JournalWriter.SharedSegmentFileName);
        // Recent: a session quiet for over an hour is settled, and quick catch-up would skip the capture (a fixed date here failed once the clock passed it).
        var t0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        string start = SessionManager.FormatTime(t0);
        JsonObject Provenance() => new() { ["host"] = "h", ["pid"] = 7, ["cwd"] = "/w" };
        SessionEvent Event(string name, DateTimeOffset ts, EventKeywordsAndFields k) => new(name, ts, id, activity, System.Diagnostics.Tracing.EventLevel.Informational, k.Keywords, k.Fields);
        using (var writer = new JournalWriter(segment, JournalDurability.Flush))
        {
            writer.Emit(Event(SessionEventNames.OperationStarted, t0, new(SessionKeywords.Terminal, new JsonObject
            {
                [JournalFields.OperationId] = operation, [JournalFields.OperationName] = "make all", [JournalFields.OperationKind] = "command",
                [JournalFields.CorrelationId] = id, [JournalFields.StartTime] = start, [JournalFields.Command] = "make", [JournalFields.Arguments] = new JsonArray("all"),
                [JournalFields.Cwd] = "/w", [JournalFields.Provenance] = Provenance(),
            })));
            using var index = HistoryIndex.Open(data);
            index.CatchUp(full: true);
            writer.Emit(Event(SessionEventNames.TerminalCapture, t0.AddSeconds(1), new(SessionKeywords.Terminal, new JsonObject
            {
                [JournalFields.OperationId] = operation, [JournalFields.OperationName] = "make all", [JournalFields.OperationKind] = "command",
                [JournalFields.CorrelationId] = id, [JournalFields.StartTime] = start, [JournalFields.EndTime] = SessionManager.FormatTime(t0.AddSeconds(1)),
                [JournalFields.DurationMs] = 1000.0, [JournalFields.Command] = "make", [JournalFields.Arguments] = new JsonArray("all"), [JournalFields.Cwd] = "/w",
                [JournalFields.ExitCode] = 0, [JournalFields.OutputLength] = 3, [JournalFields.IntegrityHash] = "sha256:x", [JournalFields.Output] = "ok\n",
                [JournalFields.Provenance] = Provenance(),
            })));
            // The capture's line holds none of the start fields, only the reference; the index resolves it from its earlier rows.
            string line = File.ReadLines(segment).Last();
            Assert.Contains("\"op\":2", line, StringComparison.Ordinal);
            Assert.DoesNotContain("make all", line, StringComparison.Ordinal);
            var caught = index.CatchUp();
            Assert.Equal(1, caught.EventsAdded);
            Assert.Equal("make all", index.Scalar("SELECT operation_name FROM events WHERE name = 'TerminalCapture'"));
            Assert.Equal(operation, index.Scalar("SELECT operation_id FROM events WHERE name = 'TerminalCapture'"));
        }
        var read = JournalReader.ReadSegment(segment);
        Assert.Empty(read.Problems);
        var capture = read.Events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal([JournalFields.OperationId, JournalFields.OperationName, JournalFields.OperationKind, JournalFields.CorrelationId, JournalFields.StartTime, JournalFields.EndTime,
            JournalFields.DurationMs, JournalFields.Command, JournalFields.Arguments, JournalFields.Cwd, JournalFields.ExitCode, JournalFields.OutputLength, JournalFields.IntegrityHash,
            JournalFields.Output, JournalFields.Provenance], capture.Fields.Select(f => f.Key));
        Assert.Equal("all", capture.Fields[JournalFields.Arguments]![0]!.GetValue<string>());
    }

    private readonly record struct EventKeywordsAndFields(SessionKeywords Keywords, JsonObject Fields);

    [Fact]
    public void Catch_up_finds_a_new_session_through_the_change_log_without_listing_directories()
    {
        if (!JournalChangeLog.IsSupported) return;
        var data = new DataDirectory(_dir.Path);
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests", EmitToProvider = false });
        using (manager.Start("first")) { }
        using var index = HistoryIndex.Open(data);
        index.CatchUp();
        using (var second = manager.Start("second")) second.Capture("op", c => c.WriteLine("y"));

        var result = index.CatchUp();

        Assert.False(result.Listed);
        Assert.Null(result.ChangeLogProblem);
        Assert.Equal(2L, index.Scalar("SELECT COUNT(*) FROM sessions"));

        File.AppendAllText(data.ChangeLogPath, "not a record\n");
        using (manager.Start("third")) { }
        var damaged = index.CatchUp();
        Assert.True(damaged.Listed);
        Assert.NotNull(damaged.ChangeLogProblem);
        Assert.Equal(3L, index.Scalar("SELECT COUNT(*) FROM sessions"));
    }
}
