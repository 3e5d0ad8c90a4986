using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Sessions;

[Collection("Console")]
public sealed class SessionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SessionManager _manager;

    public SessionTests()
    {
        _manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests" });
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Session_start_and_dispose_journal_SessionStart_and_SessionEnd_with_counts()
    {
        string id;
        using (var session = _manager.Start("build", "ci", "tdd"))
        {
            id = session.Id;
            Assert.True(DataDirectory.IsValidSessionId(id));
            session.Capture("ok", c => c.WriteLine("fine"));
            Assert.Throws<InvalidOperationException>(() => session.Capture("bad", _ => throw new InvalidOperationException("boom")));
            session.LogAchievement("tests_passed", "green");
        }

        var events = JournalFiles.ReadSession(_dir.Path, id);
        Assert.Empty(events.Problems);
        Assert.Equal(
            [SessionEventNames.SessionStart, SessionEventNames.TerminalCapture, SessionEventNames.TerminalCaptureFailed, SessionEventNames.AchievementLogged, SessionEventNames.SessionEnd],
            events.Events.Select(e => e.Name));
        var start = events.Events[0];
        Assert.Equal("build", start.GetString(JournalFields.SessionName));
        Assert.Equal("ci", start.GetString(JournalFields.SessionType));
        Assert.Equal("tdd", start.GetString(JournalFields.Methodology));
        Assert.Equal("tests", start.Fields[JournalFields.Provenance]!["tool"]!.GetValue<string>());
        var end = events.Events[^1];
        Assert.Equal(2, end.GetInt64(JournalFields.OperationCount));
        Assert.Equal(1, end.GetInt64(JournalFields.FailedOperationCount));
        Assert.Equal(1, end.GetInt64(JournalFields.AchievementCount));
        Assert.Equal("ended", end.GetString(JournalFields.Status));
        Assert.True(end.GetDouble(JournalFields.DurationMs) >= 0);
    }

    [Fact]
    public void Capture_records_what_the_console_shows_with_ansi_kept_and_system_console_output()
    {
        var display = new TestConsole().Colors(ColorSystem.TrueColor).EmitAnsiSequences();
        using var session = _manager.Start();
        CaptureRecord record;
        using (var scope = session.CaptureOn("render", display))
        {
            scope.Console.MarkupLine("[red]failed[/] step");
            Console.WriteLine("plain console line");
            scope.Complete();
            scope.Dispose();
            record = scope.Result!;
        }

        Assert.Contains("failed", display.Output);
        var e = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(x => x.Name == SessionEventNames.TerminalCapture);
        string output = e.GetString(JournalFields.Output)!;
        Assert.Contains("\u001b[", output); // colour kept
        Assert.Contains("failed", output);
        Assert.Contains("plain console line", output);
        Assert.Equal("failed step\nplain console line\n", e.GetString(JournalFields.OutputSample));
        byte[] bytes = Encoding.UTF8.GetBytes(output);
        Assert.Equal(bytes.Length, e.GetInt64(JournalFields.OutputLength));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), e.GetString(JournalFields.IntegrityHash));
        Assert.Equal(record.IntegrityHash, e.GetString(JournalFields.IntegrityHash));
        Assert.Equal(record.OperationId, e.GetString(JournalFields.OperationId));
        Assert.Equal("render", e.GetString(JournalFields.OperationName));
        Assert.Equal(session.Id, e.GetString(JournalFields.CorrelationId));
    }

    [Fact]
    public void Exception_in_capture_emits_TerminalCaptureFailed_and_is_rethrown_unchanged()
    {
        using var session = _manager.Start();
        var thrown = new FormatException("bad input 42");

        var caught = Assert.Throws<FormatException>(() => session.Capture("parse", c =>
        {
            c.WriteLine("before the failure");
            throw thrown;
        }));

        Assert.Same(thrown, caught);
        var e = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(x => x.Name == SessionEventNames.TerminalCaptureFailed);
        Assert.Equal(System.Diagnostics.Tracing.EventLevel.Error, e.Level);
        Assert.Equal(SessionKeywords.Terminal, e.Keywords);
        Assert.Equal("bad input 42", e.GetString(JournalFields.Error));
        Assert.Equal("System.FormatException", e.GetString(JournalFields.ErrorType));
        Assert.Contains("before the failure", e.GetString(JournalFields.Output));
        Console.WriteLine("after the capture: must not throw");
    }

    [Fact]
    public void System_console_output_after_a_capture_is_not_recorded_in_it()
    {
        using var session = _manager.Start();
        session.Capture("x", c => Console.Write("inside"));
        Console.Write("outside");
        var e = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(x => x.Name == SessionEventNames.TerminalCapture);
        Assert.Equal("inside", e.GetString(JournalFields.Output));
    }

    [Fact]
    public async Task Overlapping_captures_on_different_threads_each_record_only_their_own_console_output()
    {
        using var session = _manager.Start();
        using var bothStarted = new Barrier(2);
        var records = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(() => session.Capture($"op{i}", c =>
        {
            bothStarted.SignalAndWait();
            for (int n = 0; n < 50; n++) Console.Write($"[{i}]");
            bothStarted.SignalAndWait();
        }))));

        var events = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Where(x => x.Name == SessionEventNames.TerminalCapture).ToList();
        foreach (var i in new[] { 0, 1 })
        {
            var e = events.Single(x => x.GetString(JournalFields.OperationName) == $"op{i}");
            Assert.Equal(string.Concat(Enumerable.Repeat($"[{i}]", 50)), e.GetString(JournalFields.Output));
        }
        Assert.Equal(2, records.Length);
    }

    [Fact]
    public void Display_that_writes_to_system_console_is_not_recorded_twice()
    {
        var display = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Out = new AnsiConsoleOutput(Console.Out) });
        using var session = _manager.Start();
        using (var scope = session.CaptureOn("once", display))
        {
            scope.Console.WriteLine("only once");
            scope.Complete();
        }
        var e = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(x => x.Name == SessionEventNames.TerminalCapture);
        Assert.Equal("only once\n", e.GetString(JournalFields.Output));
    }

    [Fact]
    public void Large_console_output_goes_to_a_blob_whose_bytes_hash_to_the_integrity_hash()
    {
        using var session = _manager.Start();
        string line = new('x', 999);
        session.Capture("big", c =>
        {
            for (int i = 0; i < 200; i++) Console.WriteLine(line);
        });

        var e = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(x => x.Name == SessionEventNames.TerminalCapture);
        Assert.Null(e.GetString(JournalFields.Output));
        string blob = e.GetString(JournalFields.OutputBlob)!;
        Assert.Matches("^blobs/[0-9a-f]{64}\\.zst$", blob);
        using var read = BlobStore.OpenRead(_manager.Data.SessionDirectory(session.Id), blob);
        using var original = new MemoryStream();
        read.CopyTo(original);
        byte[] stored = original.ToArray();
        Assert.Equal(200 * 1000, stored.Length);
        Assert.Equal(200 * 1000, e.GetInt64(JournalFields.OutputLength));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(stored)), e.GetString(JournalFields.IntegrityHash));
        Assert.Equal(500, e.GetString(JournalFields.OutputSample)!.Length);
    }

    [Fact]
    public void Achievement_ids_count_per_session_from_001_with_the_first_8_chars_of_the_session_id()
    {
        using var session = _manager.Start();
        var evidence = new Dictionary<string, object?> { ["tests"] = 42, ["ratio"] = 0.5, ["ok"] = true, ["when"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), ["none"] = null };

        var first = session.LogAchievement("tests_passed", "all green", evidence);
        var second = session.LogAchievement("build", "built");

        Assert.Equal($"ACH-{session.Id[..8]}-001", first.AchievementId);
        Assert.Equal($"ACH-{session.Id[..8]}-002", second.AchievementId);
        var logged = JournalFiles.ReadSession(_dir.Path, session.Id).Events.First(x => x.Name == SessionEventNames.AchievementLogged);
        Assert.Equal(first.AchievementId, logged.GetString(JournalFields.AchievementId));
        Assert.Equal("{\"tests\":42,\"ratio\":0.5,\"ok\":true,\"when\":\"2026-01-02T03:04:05.0000000Z\",\"none\":null}", logged.Fields[JournalFields.Evidence]!.ToJsonString());
        using var other = _manager.Start();
        Assert.Equal($"ACH-{other.Id[..8]}-001", other.LogAchievement("x", "y").AchievementId);
    }

    [Fact]
    public async Task Achievement_numbers_stay_unique_when_many_writers_join_the_same_session()
    {
        using var session = _manager.Start();
        var ids = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() =>
        {
            using var joined = _manager.Join(session.Id);
            return joined.LogAchievement("parallel", $"writer {i}").AchievementId;
        })));

        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 40).Select(n => $"ACH-{session.Id[..8]}-{n:D3}").Order(), ids.Order());
    }

    [Fact]
    public void Joined_session_appends_to_the_shared_segment_and_does_not_end_the_session()
    {
        using var owner = _manager.Start("shared");
        using (var joined = _manager.Join(owner.Id))
        {
            Assert.False(joined.OwnsLifetime);
            Assert.Equal(owner.ActivityId, joined.ActivityId);
            Assert.Equal("shared", joined.Name);
            joined.LogAchievement("a", "b");
            Assert.Equal(owner.SegmentPath, joined.SegmentPath);
        }
        var read = JournalFiles.ReadSession(_dir.Path, owner.Id);
        Assert.DoesNotContain(read.Events, e => e.Name == SessionEventNames.SessionEnd);
        // One segment, one hash chain through both writers' lines, each writer's lines opened by its own Writer line.
        Assert.Empty(read.Problems);
        string segment = Assert.Single(Directory.GetFiles(_manager.Data.SessionDirectory(owner.Id), "*.jsonl"));
        Assert.Equal(JournalWriter.SharedSegmentFileName, Path.GetFileName(segment));
        Assert.Equal(2, File.ReadLines(segment).Count(l => l.Contains("\"event\":\"Writer\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void Joining_an_unknown_session_throws_SessionNotFoundException()
    {
        var ex = Assert.Throws<SessionNotFoundException>(() => _manager.Join("00000000-0000-4000-8000-000000000000"));
        Assert.Equal("no session '00000000-0000-4000-8000-000000000000' in this data directory", ex.Message);
    }

    [Fact]
    public void Session_ids_resolve_by_unique_prefix_and_reject_path_like_input()
    {
        using var session = _manager.Start();
        Assert.Equal(session.Id, _manager.ResolveSessionId(session.Id[..8]));
        Assert.Equal(session.Id, _manager.ResolveSessionId(session.Id.ToUpperInvariant()));
        var ex = Assert.Throws<SessionNotFoundException>(() => _manager.ResolveSessionId("../../etc"));
        Assert.Equal("'../../etc' is not a session id or id prefix", ex.Message);
        Assert.Throws<ArgumentException>(() => _manager.Data.SessionDirectory("../x"));
    }

    [Fact]
    public void Session_directories_are_private_to_the_user()
    {
        if (OperatingSystem.IsWindows()) return;
        using var session = _manager.Start();
        session.LogAchievement("a", "b");
        string dir = _manager.Data.SessionDirectory(session.Id);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(session.SegmentPath));
    }
}
