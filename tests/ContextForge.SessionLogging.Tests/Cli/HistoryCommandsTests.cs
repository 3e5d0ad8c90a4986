using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Cli.Commands;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console.Testing;
using static ContextForge.SessionLogging.Benchmarks.HistoryGenerator;

namespace ContextForge.SessionLogging.Tests.Cli;

public sealed class HistoryCommandsTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDirectory _temp = new();
    private readonly DataDirectory _data;
    private readonly HistoryGenerator _generator;

    public HistoryCommandsTests()
    {
        _data = new DataDirectory(_temp.Path);
        _generator = new HistoryGenerator(_data, seed: 21);
    }

    public void Dispose() => _temp.Dispose();

    private Task<InProcessCli.Result> Cli(params string[] args) => InProcessCli.RunAsync(_temp.Path, null, args);

    private static JsonObject Json(InProcessCli.Result r) => JsonNode.Parse(r.Stdout)!.AsObject();

    private WrittenSession Session(string name, DateTimeOffset start, bool ended = true, params OperationSpec[] ops) =>
        _generator.Write(new SessionSpec(name, "command", start, ops, [new AchievementSpec("tests_passed", "green", new JsonObject { ["n"] = 1 })], Ended: ended, Host: Environment.MachineName));

    /// <summary>Base64 of seeded random bytes: blobs are zstd-compressed, so a size test needs bytes that stay large.</summary>
    private static string IncompressibleText(int length)
    {
        byte[] random = new byte[length * 3 / 4 + 3];
        new Random(5).NextBytes(random);
        return Convert.ToBase64String(random)[..length];
    }

    [Fact]
    public async Task Reindex_compresses_the_blobs_the_capture_path_stored_without_compression_and_they_read_back_the_same()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 8000; i++) sb.Append("  Passed App.Tests.Feature").Append(i % 40).Append(".Handles_case_").Append(i).Append('\n');
        var written = Session("big", Now.AddMinutes(-5), true, new OperationSpec("dotnet test", 0, sb.ToString(), "/tmp"));
        string blob = Assert.Single(Directory.GetFiles(_data.BlobDirectory(written.Id)));
        Assert.True(SessionLogging.Capture.BlobStore.StoreOnlyFrame.IsStoreOnly(blob));
        long before = new FileInfo(blob).Length;

        var r = await Cli("reindex", "--json");

        Assert.Equal(0, r.ExitCode);
        var doc = Json(r);
        Assert.Equal((1L, before), (doc["recompacted_blobs"]!.GetValue<long>(), doc["recompacted_bytes_before"]!.GetValue<long>()));
        Assert.Equal(new FileInfo(blob).Length, doc["recompacted_bytes_after"]!.GetValue<long>());
        Assert.False(SessionLogging.Capture.BlobStore.StoreOnlyFrame.IsStoreOnly(blob));
        Assert.True(new FileInfo(blob).Length < before / 10, $"{new FileInfo(blob).Length} of {before}");
        using (var read = SessionLogging.Capture.BlobStore.OpenPath(blob))
        using (var copy = new MemoryStream())
        {
            read.CopyTo(copy);
            Assert.Equal(sb.ToString(), Encoding.UTF8.GetString(copy.ToArray()));
        }
        Assert.Equal(0L, Json(await Cli("reindex", "--json"))["recompacted_blobs"]!.GetValue<long>());
    }

    [Fact]
    public async Task Prune_removes_exactly_what_dry_run_listed_with_journal_blobs_and_index_rows()
    {
        var old1 = Session("old1", Now.AddDays(-100), true, new OperationSpec("big", 0, new string('y', 30_000), "/tmp"));
        var old2 = Session("old2", Now.AddDays(-95));
        var recent = Session("recent", Now.AddDays(-1));
        var openOld = Session("open", Now.AddDays(-120), ended: false);
        Assert.Equal(0, (await Cli("history")).ExitCode); // index caught up before pruning

        var dry = await Cli("prune", "--older-than", "90d", "--dry-run", "--json");
        Assert.Equal(0, dry.ExitCode);
        var listed = Json(dry)["removed"]!.AsArray().Select(n => n!["session_id"]!.ToString()).ToList();
        // The "open" one has no live writer and is 120 days quiet: abandoned, so it may go; an open one would be kept.
        Assert.Equal([old2.Id, old1.Id, openOld.Id], listed);
        Assert.All(new[] { old1, old2, openOld }, s => Assert.True(Directory.Exists(_data.SessionDirectory(s.Id))));

        var real = await Cli("prune", "--older-than", "90d", "--json");
        Assert.Equal(listed, Json(real)["removed"]!.AsArray().Select(n => n!["session_id"]!.ToString()));
        Assert.Equal([recent.Id], _data.EnumerateSessionIds());
        Assert.DoesNotContain(Directory.GetDirectories(_data.SessionsDirectory), d => Path.GetFileName(d).StartsWith(".pruning", StringComparison.Ordinal));
        using var index = SessionLogging.Index.HistoryIndex.Open(_data);
        Assert.Equal(1L, index.Scalar("SELECT COUNT(*) FROM sessions"));
        Assert.Equal(0L, index.Scalar($"SELECT COUNT(*) FROM events WHERE segment NOT IN (SELECT id FROM segments WHERE session_id = '{recent.Id}')"));
        Assert.Equal(0L, index.Scalar($"SELECT COUNT(*) FROM segments WHERE session_id <> '{recent.Id}'"));
    }

    [Fact]
    public async Task Prune_keeps_open_sessions_unless_forced_and_applies_keep_last_and_max_size()
    {
        var a = Session("a", Now.AddHours(-5));
        var b = Session("b", Now.AddHours(-4), true, new OperationSpec("big", 0, IncompressibleText(50_000), "/tmp"));
        var live = Session("live", Now.AddMinutes(-3), ended: false);
        var c = Session("c", Now.AddMinutes(-2));

        var keep = Json(await Cli("prune", "--keep-last", "1", "--dry-run", "--json"));
        Assert.Equal([b.Id, a.Id], keep["removed"]!.AsArray().Select(n => n!["session_id"]!.ToString()));
        Assert.Equal(live.Id, Assert.Single(keep["kept_open"]!.AsArray())!["session_id"]!.ToString());
        var forced = Json(await Cli("prune", "--keep-last", "1", "--dry-run", "--force", "--json"));
        Assert.Equal([live.Id, b.Id, a.Id], forced["removed"]!.AsArray().Select(n => n!["session_id"]!.ToString()));
        // b holds a 50 KB blob (random base64: ~38 KB after zstd): 20 KB keeps only the two small newest sessions.
        var size = Json(await Cli("prune", "--max-size", "20KB", "--dry-run", "--json"));
        Assert.Equal([b.Id, a.Id], size["removed"]!.AsArray().Select(n => n!["session_id"]!.ToString()));
        Assert.Equal(64, (await Cli("prune")).ExitCode);
        Assert.Equal(64, (await Cli("prune", "--max-size", "lots")).ExitCode);
        Assert.Equal(4, _data.EnumerateSessionIds().Count());
        _ = c;
    }

    [Fact]
    public async Task Search_shows_the_matching_line_with_context_and_highlights_the_terms()
    {
        var s = Session("s", Now.AddMinutes(-10), true,
            new OperationSpec("dotnet test", 1, "line one\nline two\n\u001b[31mERROR\u001b[0m: Disk full on /dev/sda\r\nline four\nline five\nline six\n", "/tmp"),
            new OperationSpec("echo calm", 0, "nothing to see\n", "/tmp"));
        var r = await Cli("search", "error", "--json", "--context", "1");
        Assert.Equal(0, r.ExitCode);
        var doc = Json(r);
        var hit = Assert.Single(doc["results"]!.AsArray())!;
        Assert.Equal(("dotnet test", s.OperationIds[0]), (hit["operation_name"]!.ToString(), hit["operation_id"]!.ToString()));
        var match = Assert.Single(hit["matches"]!.AsArray())!;
        Assert.Equal(("output", 3L, "ERROR: Disk full on /dev/sda"), (match["stream"]!.ToString(), match["line_number"]!.GetValue<long>(), match["text"]!.ToString()));
        Assert.Equal(["line two"], match["before"]!.AsArray().Select(x => x!.ToString()));
        Assert.Equal(["line four"], match["after"]!.AsArray().Select(x => x!.ToString()));

        var text = await Cli("search", "disk", "full");
        Assert.Contains("     3: ERROR: Disk full on /dev/sda", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("     2- line two", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("     5- line five", text.Stdout, StringComparison.Ordinal);
        Assert.Equal("ERROR: [black on yellow]Disk[/] [black on yellow]full[/] on /dev/sda [[x]]",
            SearchCommand.Highlight("ERROR: Disk full on /dev/sda [x]", ["disk", "full"]));
        Assert.Empty(Json(await Cli("search", "absent-word", "--json"))["results"]!.AsArray());
        Assert.Equal(64, (await Cli("search", " ")).ExitCode);
    }

    [Fact]
    public async Task History_json_and_the_grouped_form_by_correlation()
    {
        var first = Session("first", Now.AddHours(-2), true, new OperationSpec("make", 2, "boom\n", "/src"), new OperationSpec("ls", 0, "a\n", "/src"));
        var second = Session("second", Now.AddHours(-1), true, new OperationSpec("make", 0, "ok\n", "/src"));
        var flat = Json(await Cli("history", "--json", "--command", "make"));
        Assert.Equal(2, flat["count"]!.GetValue<int>());
        Assert.Equal([second.OperationIds[0], first.OperationIds[0]], flat["events"]!.AsArray().Select(e => e!["operation_id"]!.ToString()));
        Assert.Null(flat["events"]![0]!["output"]);
        Assert.Equal("boom\n", flat["events"]![1]!["output_sample"]!.ToString());

        var grouped = Json(await Cli("history", "--group-by", "correlation", "--json", "--failed"));
        var g = Assert.Single(grouped["sessions"]!.AsArray())!.AsObject();
        Assert.Equal(["correlation_id", "session_name", "session_type", "session_start", "status", "terminal_captures", "achievements", "session_events"], g.Select(kv => kv.Key));
        Assert.Equal((first.Id, "ended"), (g["correlation_id"]!.ToString(), g["status"]!.ToString()));
        Assert.Equal(2L, Assert.Single(g["terminal_captures"]!.AsArray())!["exit_code"]!.GetValue<long>());
        Assert.Empty(g["achievements"]!.AsArray());

        var all = Json(await Cli("history", "--group-by", "correlation", "--json"));
        Assert.Equal([second.Id, first.Id], all["sessions"]!.AsArray().Select(s => s!["correlation_id"]!.ToString()));
        Assert.Equal(64, (await Cli("history", "--since", "yesterday")).ExitCode);
        Assert.Equal(64, (await Cli("history", "--keywords", "nonsense")).ExitCode);
        Assert.Equal(2, Json(await Cli("history", "--json", "--days-back", "1", "--keywords", "achievement"))["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Inspect_cross_session_context_from_the_index_equals_the_journal_scan()
    {
        for (int i = 0; i < 7; i++)
            Session($"s{i}", Now.AddMinutes(-60 + i * 5), true, new OperationSpec($"cmd {i}", i % 2, $"out {i}\n", "/tmp"));
        string current = _data.EnumerateSessionIds().First();
        using var queries = SessionQueries.Open(_data);
        var doc = queries.Inspect(current, Now);
        IReadOnlyList<GroupedSession> fromJournals = SessionSummary.ReadAll(_data).Where(s => s.Id != current).Take(InspectionDocument.CrossSessionCount).Select(GroupedSessions.Grouped).ToList();
        Assert.Equal(QueryJson.Serialize(fromJournals), QueryJson.Serialize(doc.CrossSessionContext));
        Assert.Equal(6L, doc.EtwIntegration.HistoricalSessions);
    }

    [Fact]
    public async Task Show_output_raw_replays_the_exact_bytes_plain_strips_them_and_the_default_shows_controls_visibly()
    {
        byte[] expected = [.. "\u001b[1;32mgreen\u001b[0m\r\nnext\n"u8, 0xFF, 0xFE, .. "raw\n"u8];
        string script = Path.Combine(_temp.Path, "emit.sh");
        await File.WriteAllTextAsync(script, "printf '\\033[1;32mgreen\\033[0m\\r\\nnext\\n\\377\\376raw\\n'\n");
        var run = await CfSessionProcess.RunAsync(_temp.Path, ["run", "--no-pty", "--", "sh", script]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expected, run.Stdout);
        string session = _data.EnumerateSessionIds().Single();
        string operation = JournalFiles.Single(_temp.Path, "TerminalCapture").GetString("operation_id")!;

        (int Code, byte[] Bytes) Replay(params string[] extra)
        {
            var raw = new MemoryStream();
            var context = new CliContext(new TestConsole(), new TestConsole(), new Dictionary<string, string?> { ["CFSESSION_HOME"] = _temp.Path }) { OpenRawOutput = () => new NonClosingStream(raw) };
            int code = CliApplication.RunAsync(["show", session[..8], "--output", operation[..6], .. extra], context).GetAwaiter().GetResult();
            return (code, raw.ToArray());
        }
        var exact = Replay("--raw");
        Assert.Equal(0, exact.Code);
        Assert.Equal(expected, exact.Bytes);
        var plain = Replay("--plain");
        Assert.Equal("green\nnext\n\uFFFD\uFFFDraw\n", Encoding.UTF8.GetString(plain.Bytes));
        var visible = Replay();
        Assert.Equal("\u241B[1;32mgreen\u241B[0m\nnext\n\uFFFD\uFFFDraw\n", Encoding.UTF8.GetString(visible.Bytes));
        var unknown = await Cli("show", session[..8], "--output", "zzzz");
        Assert.Equal(66, unknown.ExitCode);
        var timeline = await Cli("show", session[..8]);
        Assert.Contains(operation[..8], timeline.Stdout, StringComparison.Ordinal);
        Assert.Contains("sh " + script, timeline.Stdout, StringComparison.Ordinal);
    }

    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }

    [Fact]
    public async Task Validate_exits_65_with_findings_as_json_and_0_when_clean()
    {
        var good = Session("good", Now.AddMinutes(-5));
        Assert.Equal(0, (await Cli("validate", "--all")).ExitCode);
        var bad = Session("bad", Now.AddMinutes(-4));
        File.AppendAllText(bad.SegmentPath, "garbage\n");
        var r = await Cli("validate", "--all", "--json");
        Assert.Equal(65, r.ExitCode);
        var doc = Json(r);
        Assert.False(doc["valid"]!.GetValue<bool>());
        var f = Assert.Single(doc["findings"]!.AsArray())!;
        Assert.Equal(("error", "corrupt_line", bad.Id, 7L), // after start's, the achievement's and end's Writer line and event each
             (f["severity"]!.ToString(), f["kind"]!.ToString(), f["session_id"]!.ToString(), f["line"]!.GetValue<long>()));
        Assert.Equal(0, (await Cli("validate", good.Id[..8])).ExitCode);
        // The unparseable line is skipped by the index, not fatal.
        Assert.Equal(0, (await Cli("history")).ExitCode);
        var reindex = Json(await Cli("reindex", "--json"));
        Assert.Equal(1L, reindex["skipped_lines"]!.GetValue<long>());
    }

    [Fact]
    public async Task Concurrent_writer_and_reader_processes_agree_with_the_journals()
    {
        const int Runs = 6;
        var writer = Task.Run(async () =>
        {
            var codes = new List<int>();
            for (int i = 0; i < Runs; i++) codes.Add((await CfSessionProcess.RunAsync(_temp.Path, ["run", "--no-pty", "--", "echo", $"concurrent-{i}"])).ExitCode);
            return codes;
        });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var runs = new List<CliRun>();
            for (int i = 0; i < 3; i++) runs.Add(await CfSessionProcess.RunAsync(_temp.Path, ["history", "--json", "--limit", "0"]));
            return runs;
        })).ToList();
        Assert.All(await writer, c => Assert.Equal(0, c));
        foreach (var run in (await Task.WhenAll(readers)).SelectMany(r => r))
        {
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal("", run.Stderr);
            JsonNode.Parse(run.StdoutText); // a complete document every time
        }
        var final = Json(await Cli("history", "--json", "--limit", "0", "--keywords", "terminal"));
        var journal = _data.EnumerateSessionIds().SelectMany(id => JournalFiles.ReadSession(_temp.Path, id).Events).Where(e => e.Name == "TerminalCapture").Select(e => e.GetString("operation_id")!).Order().ToList();
        Assert.Equal(Runs, journal.Count);
        Assert.Equal(journal, final["events"]!.AsArray().Select(e => e!["operation_id"]!.ToString()).Order().ToList());
        using var index = SessionLogging.Index.HistoryIndex.Open(_data);
        Assert.Equal((long)Runs * 4, index.Scalar("SELECT COUNT(*) FROM events")); // SessionStart, OperationStarted, TerminalCapture, SessionEnd
    }
}
