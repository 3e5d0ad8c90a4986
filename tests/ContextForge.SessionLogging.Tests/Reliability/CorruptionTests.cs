using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Reliability;

/// <summary>
/// Guarantee 5 of docs/reliability.md: on a copy of a real recorded history, flipped bits, a truncated journal,
/// garbage appended, a damaged blob and a damaged index: readers never fail with an internal error, validate names
/// each journal/blob fault (kind, file, line), reindex recovers every intact event, and a corrupt index is moved
/// aside and rebuilt from the journals.
/// </summary>
public sealed class CorruptionTests : IDisposable
{
    private static readonly int[] DocumentedCodes = [0, 65, 66];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Records four one-run sessions (the last with a blob-sized output) and returns their ids, oldest first.</summary>
    private async Task<List<string>> RecordAsync(string data)
    {
        foreach (string[] command in new[]
        {
            new[] { "echo", "alpha" }, ["echo", "beta"], ["echo", "gamma"], ["seq", "1", "20000"],
        })
        {
            var run = await CfSessionProcess.RunAsync(data, ["run", "--no-pty", "--", .. command]);
            Assert.Equal(0, run.ExitCode);
        }
        var sessions = JsonNode.Parse((await CfSessionProcess.RunAsync(data, ["sessions", "--limit", "0", "--json"])).Stdout)!.AsArray();
        return sessions.Select(s => s!["session_id"]!.GetValue<string>()).Reverse().ToList();
    }

    private static string Segment(string data, string sessionId) =>
        Directory.EnumerateFiles(Path.Combine(data, "sessions", sessionId), "*.jsonl").Single();

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file).StartsWith("index.sqlite", StringComparison.Ordinal)) continue; // rebuilt from the journals
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    private static async Task<long> ReindexedEventsAsync(string data)
    {
        var reindex = await CfSessionProcess.RunAsync(data, ["reindex", "--json"]);
        Assert.True(reindex.ExitCode == 0, reindex.Stderr);
        return JsonNode.Parse(reindex.Stdout)!["events"]!.GetValue<long>();
    }

    [Fact]
    public async Task Damaged_journals_and_blobs_are_pinpointed_by_validate_and_reindex_keeps_every_intact_event()
    {
        string clean = _dir.Combine("clean"), damaged = _dir.Combine("damaged");
        var ids = await RecordAsync(clean);
        long cleanEvents = await ReindexedEventsAsync(clean);
        Assert.Equal(16, cleanEvents); // 4 x (SessionStart, OperationStarted, TerminalCapture, SessionEnd)
        CopyDirectory(clean, damaged);

        // 1. A flipped bit in the first byte of line 2 ('{' becomes 'z'): that line is lost, nothing else.
        string flipped = Segment(damaged, ids[0]);
        byte[] bytes = File.ReadAllBytes(flipped);
        int line2 = Array.IndexOf(bytes, (byte)'\n') + 1;
        bytes[line2] ^= 0x01;
        File.WriteAllBytes(flipped, bytes);
        // 2. A journal truncated in the middle of its last line (the SessionEnd).
        string truncated = Segment(damaged, ids[1]);
        byte[] t = File.ReadAllBytes(truncated);
        int lastLineStart = Array.LastIndexOf(t, (byte)'\n', t.Length - 2) + 1;
        File.WriteAllBytes(truncated, t[..(lastLineStart + (t.Length - lastLineStart) / 2)]);
        // 3. Garbage appended as a complete line (binary bytes included).
        string appended = Segment(damaged, ids[2]);
        File.AppendAllText(appended, "\u0000\u00ff garbage {\"v\":1,\n", Encoding.Latin1);
        // 4. A blob cut in half.
        string blob = Directory.EnumerateFiles(Path.Combine(damaged, "sessions"), "*.zst", SearchOption.AllDirectories).Single();
        byte[] b = File.ReadAllBytes(blob);
        File.WriteAllBytes(blob, b[..(b.Length / 2)]);

        // Readers never fail with an internal error (70), and answer with a documented code.
        foreach (string[] args in new string[][] { ["history", "--limit", "0"], ["history", "--json", "--rescan"], ["sessions"], ["search", "alpha"] }
                     .Concat(ids.Select(id => new[] { "show", id })).Concat(ids.Select(id => new[] { "show", id, "--json" })).ToList())
        {
            var read = await CfSessionProcess.RunAsync(damaged, args);
            Assert.True(DocumentedCodes.Contains(read.ExitCode), $"{string.Join(' ', args)} exited {read.ExitCode}: {read.Stderr}");
        }

        var validate = await CfSessionProcess.RunAsync(damaged, ["validate", "--all", "--json"]);
        Assert.Equal(65, validate.ExitCode);
        var findings = JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray()
            .Select(f => (Kind: f!["kind"]!.GetValue<string>(), File: f["file"]?.GetValue<string>() ?? "", Line: f["line"]?.GetValue<long>() ?? 0)).ToList();
        void Expect(string kind, string file, long line) =>
            Assert.True(findings.Any(f => f.Kind == kind && f.File.EndsWith(Path.GetFileName(file), StringComparison.Ordinal) && f.Line == line),
                $"no {kind} at {Path.GetFileName(file)}:{line} in {string.Join("; ", findings)}");
        Expect("corrupt_line", flipped, 2);
        // Line 1 of each segment is its writer's Writer line.
        Expect("torn_line", truncated, 5);
        Expect("corrupt_line", appended, 6);
        Expect("capture_hash_mismatch", Segment(damaged, ids[3]), 4);

        // Reindex keeps every intact event: the clean count minus the flipped line and the torn line.
        File.Delete(Path.Combine(damaged, "index.sqlite"));
        Assert.Equal(cleanEvents - 2, await ReindexedEventsAsync(damaged));
    }

    [Theory]
    [InlineData("overwrite-middle")]
    [InlineData("truncate")]
    [InlineData("garbage")]
    public async Task A_corrupt_index_is_moved_aside_and_rebuilt_from_the_journals(string damage)
    {
        string data = _dir.Combine("data");
        await RecordAsync(data);
        var before = await CfSessionProcess.RunAsync(data, ["history", "--limit", "0", "--json"]);
        string index = Path.Combine(data, "index.sqlite");
        Assert.Equal(0, (await CfSessionProcess.RunAsync(data, ["reindex"])).ExitCode); // checkpointed: all in the main file
        long length = new FileInfo(index).Length;
        using (var file = new FileStream(index, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "overwrite-middle":
                    file.Position = 4096; // every b-tree page after the header page: each query reads some of them
                    file.Write(Enumerable.Repeat((byte)0xA5, (int)(length - 8192)).ToArray());
                    break;
                case "truncate":
                    file.SetLength(100);
                    break;
                default:
                    file.Position = 0;
                    file.Write("this is not an SQLite file"u8);
                    break;
            }
        }

        var history = await CfSessionProcess.RunAsync(data, ["history", "--limit", "0", "--json"]);
        Assert.True(history.ExitCode == 0, history.Stderr);
        Assert.Equal(JsonNode.Parse(before.Stdout)!["count"]!.GetValue<int>(), JsonNode.Parse(history.Stdout)!["count"]!.GetValue<int>());
        Assert.Single(history.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("history index was corrupt", StringComparison.Ordinal));
        Assert.Single(Directory.EnumerateFiles(data, "index.sqlite.corrupt-*"), f => !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal));

        // The rebuilt index is sound: a second query is silent, and reindex works on it.
        var again = await CfSessionProcess.RunAsync(data, ["sessions", "--json"]);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("", again.Stderr);
        Assert.Equal(16, await ReindexedEventsAsync(data));
    }
}
