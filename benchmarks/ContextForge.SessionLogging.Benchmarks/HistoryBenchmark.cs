using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Retention;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// History index benchmark (<c>history [sizes] [output directory] [work directory]</c>): generates histories of the given
/// sizes with <see cref="HistoryGenerator"/>, then times what a <c>cfsession</c> query pays, against a full journal scan
/// measured in the same run. Run it with benchmarks/run-history.sh.
/// </summary>
internal static class HistoryBenchmark
{
    public static int Run(string[] args)
    {
        int[] sizes = (args.Length > 0 ? args[0] : "10000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string outDir = args.Length > 1 ? args[1] : Path.Combine("benchmarks", "results");
        string workRoot = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "cfsession-history-bench");
        const string RareWord = "zyzzogeton";
        var rows = new List<JsonObject>();

        foreach (int size in sizes)
        {
            string root = Path.Combine(workRoot, size.ToString(CultureInfo.InvariantCulture));
            var data = new DataDirectory(root);
            var generator = new HistoryGenerator(data, seed: size);
            var sw = Stopwatch.StartNew();
            var (now, generateS, sessions) = Generated(root, size, generator, RareWord);
            // What the measurements append gets ids of its own (a reused history already holds what seed `size` gives).
            generator = new HistoryGenerator(data, seed: Environment.TickCount);
            int runNumberBase = 10_000 + Random.Shared.Next(1_000_000) * 10;
            // The index of an earlier run on a reused history goes: the build below is timed from nothing.
            foreach (var f in new DirectoryInfo(root).EnumerateFiles("index.sqlite*")) f.Delete();
            long journalBytes = SessionPruner.DirectorySize(data.SessionsDirectory);
            long files = Directory.EnumerateFiles(data.SessionsDirectory, "*", SearchOption.AllDirectories).LongCount();
            long segmentBytes = Directory.EnumerateFiles(data.SessionsDirectory, "*.jsonl", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

            Console.Error.WriteLine($"[{size}] first index build...");
            sw.Restart();
            using (var index = HistoryIndex.Open(data)) index.Rebuild();
            double buildS = sw.Elapsed.TotalSeconds;
            long indexBytes = IndexSize(root);

            // What every query pays when nothing changed: open the index, catch up (finds nothing).
            var noChange = Measure(15, () => { using var i = HistoryIndex.Open(data); i.CatchUp(); });
            // Catch-up after one new session of 20 operations (as a query right after `cfsession run`).
            var newSession = new List<double>();
            long linesRead = 0;
            for (int rep = 0; rep < 7; rep++)
            {
                generator.Generate(20, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), operationsPerSession: 20);
                var t = Stopwatch.StartNew();
                using var i = HistoryIndex.Open(data);
                linesRead = i.CatchUp().LinesRead;
                newSession.Add(t.Elapsed.TotalMilliseconds);
            }
            // Catch-up after one new run joining an existing session (Writer line, OperationStarted, capture appended to its segment).
            var newRun = new List<double>();
            long runLinesRead = 0;
            for (int rep = 0; rep < 7; rep++)
            {
                var into = sessions[rep * 7 % sessions.Count];
                generator.WriteRun(into.Id, HistoryGenerator.ActivityOf(into.Id), HistoryGenerator.Host, new HistoryGenerator.OperationSpec("echo hello", 0, "hello\n", "/home/dev"), DateTimeOffset.UtcNow, runNumberBase + rep);
                var t = Stopwatch.StartNew();
                using var i = HistoryIndex.Open(data);
                runLinesRead = i.CatchUp().LinesRead;
                newRun.Add(t.Elapsed.TotalMilliseconds);
            }
            using var idx = HistoryIndex.Open(data);
            idx.CatchUp();
            var list = Measure(25, () => HistoryQuery.Sessions(idx, 50));
            var filter = new HistoryFilter { Keywords = ContextForge.SessionLogging.Events.SessionKeywords.Terminal, ExitCode = 1, From = now.AddDays(-60), To = now.AddDays(-30), Limit = 100 };
            int filtered = HistoryQuery.Events(idx, filter).Count;
            var filterTime = Measure(25, () => HistoryQuery.Events(idx, filter));
            int hits = HistoryQuery.Search(idx, RareWord, new HistoryFilter { Limit = 0 }).Count;
            var search = Measure(25, () => HistoryQuery.Search(idx, RareWord, new HistoryFilter { Limit = 0 }));
            var search20 = Measure(25, () => HistoryQuery.Search(idx, RareWord, new HistoryFilter { Limit = 20 }));
            string newest = HistoryQuery.Sessions(idx, 1)[0].SessionId;
            var inspect = Measure(10, () =>
            {
                // What inspect does: open the index, catch it up, build the document.
                using var queries = SessionQueries.Open(data);
                queries.Inspect(newest);
            });

            // Baseline, same run: the journal scan the commands did before the index (SessionSummary.ReadAll).
            // Skipped above 100k operations: ReadAll holds every event (outputs included) in memory at once.
            Console.Error.WriteLine($"[{size}] baseline journal scan...");
            JsonObject? scan = size > 100_000 ? null : Measure(size >= 100_000 ? 1 : 3, () => SessionSummary.ReadAll(data));

            var row = new JsonObject
            {
                ["operations"] = size,
                ["sessions"] = sessions.Count,
                ["journal_bytes"] = journalBytes,
                ["files_under_sessions"] = files,
                ["files_per_operation"] = Math.Round((double)files / size, 4),
                ["segment_bytes_per_operation"] = Math.Round((double)segmentBytes / size, 1),
                ["index_bytes"] = indexBytes,
                ["index_to_journal_ratio"] = Math.Round((double)indexBytes / journalBytes, 3),
                ["generate_s"] = Math.Round(generateS, 2),
                ["full_index_build_s"] = Math.Round(buildS, 2),
                ["catch_up_no_change_ms"] = noChange,
                ["catch_up_after_one_new_session_ms"] = Stats(newSession),
                ["catch_up_lines_read"] = linesRead,
                ["catch_up_after_one_new_run_ms"] = Stats(newRun),
                ["catch_up_after_one_run_lines_read"] = runLinesRead,
                ["sessions_list_50_ms"] = list,
                ["filter_exit_code_and_time_range_ms"] = filterTime,
                ["filter_rows"] = filtered,
                ["fts_rare_word_all_hits_ms"] = search,
                ["fts_rare_word_first_20_ms"] = search20,
                ["fts_hits"] = hits,
                ["inspection_document_ms"] = inspect,
                ["baseline_journal_scan_ms"] = scan,
            };
            rows.Add(row);
            Console.Error.WriteLine(row.ToJsonString());
        }

        string machine = $"{Cpu()}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
        var doc = new JsonObject
        {
            ["benchmark"] = "history index",
            ["command"] = "bash benchmarks/run-history.sh " + string.Join(',', sizes),
            ["machine"] = machine,
            ["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture),
            ["note"] = "times in ms: median (min-max) over repetitions, in-process after JIT warm-up; the baseline is a full journal scan (SessionSummary.ReadAll), what sessions/inspect did before the index",
            ["results"] = new JsonArray(rows.Select(r => (JsonNode?)r).ToArray()),
        };
        Directory.CreateDirectory(outDir);
        string stamp = string.Join('-', sizes.Select(s => s >= 1_000_000 ? $"{s / 1_000_000}m" : $"{s / 1000}k"));
        File.WriteAllText(Path.Combine(outDir, $"history-{stamp}.json"), doc.ToJsonString(new() { WriteIndented = true }) + "\n");
        File.WriteAllText(Path.Combine(outDir, $"history-{stamp}.md"), Markdown(doc, rows));
        Console.WriteLine(Markdown(doc, rows));
        return 0;
    }

    private const string GeneratedMarker = "generated.json";

    /// <summary>
    /// <c>history-generate size work-directory</c>: only generates the history of <paramref name="args"/>[0] operations
    /// (and its marker), so a long generation (1M operations) can run ahead of the measurement, which then reuses it.
    /// </summary>
    public static int GenerateOnly(string[] args)
    {
        int size = int.Parse(args[0], CultureInfo.InvariantCulture);
        string root = Path.Combine(args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "cfsession-history-bench"), size.ToString(CultureInfo.InvariantCulture));
        if (File.Exists(Path.Combine(root, GeneratedMarker))) File.Delete(Path.Combine(root, GeneratedMarker));
        var (_, seconds, sessions) = Generated(root, size, new HistoryGenerator(new DataDirectory(root), seed: size), "zyzzogeton");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{size}] generated {sessions.Count} sessions in {seconds:0.0} s into {root}"));
        return 0;
    }

    /// <summary>
    /// The history of <paramref name="size"/> operations under <paramref name="root"/>: reused when a complete earlier
    /// generation left its marker (<c>generated.json</c>: the size, the time it was generated for, the seconds it took,
    /// the session ids), else generated from nothing. A reused history also holds the few sessions and runs earlier
    /// measurements appended (7 sessions of 20 operations and 7 runs per measurement).
    /// </summary>
    private static (DateTimeOffset Now, double GenerateS, IReadOnlyList<(string Id, int Operations)> Sessions) Generated(string root, int size, HistoryGenerator generator, string rareWord)
    {
        string marker = Path.Combine(root, GeneratedMarker);
        if (File.Exists(marker) && JsonNode.Parse(File.ReadAllText(marker)) is JsonObject m && m["operations"]!.GetValue<int>() == size)
        {
            Console.Error.WriteLine($"[{size}] reusing the history generated at {m["now"]}");
            return (DateTimeOffset.Parse(m["now"]!.GetValue<string>(), CultureInfo.InvariantCulture), m["generate_s"]!.GetValue<double>(),
                m["sessions"]!.AsArray().Select(id => (id!.GetValue<string>(), 20)).ToList());
        }
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var now = DateTimeOffset.UtcNow;
        Console.Error.WriteLine($"[{size}] generating...");
        var sw = Stopwatch.StartNew();
        var sessions = generator.Generate(size, now.AddHours(-2), TimeSpan.FromDays(90), operationsPerSession: 20, rareWord: rareWord);
        double seconds = sw.Elapsed.TotalSeconds;
        File.WriteAllText(marker, new JsonObject
        {
            ["operations"] = size,
            ["now"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["generate_s"] = Math.Round(seconds, 2),
            ["sessions"] = new JsonArray(sessions.Select(x => (JsonNode?)x.Id).ToArray()),
        }.ToJsonString());
        return (now, seconds, sessions.Select(x => (x.Id, x.Spec.Operations.Count)).ToList());
    }

    /// <summary>Times the parts of a catch-up after one new session on an existing generated history.</summary>
    public static int CatchUpBreakdown(string root)
    {
        var data = new DataDirectory(root);
        var generator = new HistoryGenerator(data, seed: Environment.TickCount);
        for (int rep = 0; rep < 5; rep++)
        {
            generator.Generate(20, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), operationsPerSession: 20);
            var sw = Stopwatch.StartNew();
            using var index = HistoryIndex.Open(data);
            double open = sw.Elapsed.TotalMilliseconds;
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using (var cmd = index.Command("SELECT session_id, settled FROM sessions"))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) ids.Add(r.GetString(0));
            double load = sw.Elapsed.TotalMilliseconds;
            int listed = data.EnumerateSessionIds().Count();
            double list = sw.Elapsed.TotalMilliseconds;
            var result = index.CatchUp();
            double total = sw.Elapsed.TotalMilliseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"open {open:0.0} ms, load {ids.Count} ids {load - open:0.0} ms, list {listed} dirs {list - load:0.0} ms, catch-up {total - list:0.0} ms ({result.SessionsExamined} sessions, {result.LinesRead} lines)"));
        }
        return 0;
    }

    private static JsonObject Measure(int repetitions, Action action)
    {
        action(); // warm-up (JIT, page cache)
        var times = new List<double>();
        for (int i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return Stats(times);
    }

    private static JsonObject Stats(List<double> times)
    {
        times.Sort();
        return new JsonObject { ["median"] = Math.Round(times[times.Count / 2], 2), ["min"] = Math.Round(times[0], 2), ["max"] = Math.Round(times[^1], 2), ["n"] = times.Count };
    }

    private static long IndexSize(string root) => new DirectoryInfo(root).EnumerateFiles("index.sqlite*").Sum(f => f.Length);

    private static string Cpu()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    private static string Markdown(JsonObject doc, List<JsonObject> rows)
    {
        string M(JsonObject r, string key) => r[key] is JsonObject o ? $"{o["median"]} ({o["min"]}-{o["max"]})" : r[key]?.ToString() ?? "";
        string Ratio(JsonObject r, string key) => r["baseline_journal_scan_ms"] is JsonObject b
            ? (b["median"]!.GetValue<double>() / r[key]!["median"]!.GetValue<double>()).ToString("0", CultureInfo.InvariantCulture) + "x faster"
            : "not measured";
        var sb = new StringBuilder();
        sb.AppendLine("# History index benchmark").AppendLine();
        sb.AppendLine($"- command: `{doc["command"]}`");
        sb.AppendLine($"- machine: {doc["machine"]}");
        sb.AppendLine($"- date: {doc["date"]}");
        sb.AppendLine($"- {doc["note"]}").AppendLine();
        sb.Append("| measure |");
        foreach (var r in rows) sb.Append(CultureInfo.InvariantCulture, $" {r["operations"]:N0} ops |");
        sb.AppendLine().Append("|---|");
        foreach (var _ in rows) sb.Append("---|");
        sb.AppendLine();
        void Line(string label, Func<JsonObject, string> cell)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| {label} |");
            foreach (var r in rows) sb.Append(CultureInfo.InvariantCulture, $" {cell(r)} |");
            sb.AppendLine();
        }
        Line("sessions", r => r["sessions"]!.ToString());
        Line("journal size (MB)", r => (r["journal_bytes"]!.GetValue<long>() / 1e6).ToString("0.0", CultureInfo.InvariantCulture));
        Line("index size (MB)", r => (r["index_bytes"]!.GetValue<long>() / 1e6).ToString("0.0", CultureInfo.InvariantCulture));
        Line("index / journal", r => r["index_to_journal_ratio"]!.ToString());
        Line("files under sessions/ per operation", r => r["files_per_operation"]!.ToString());
        Line("segment bytes per operation", r => r["segment_bytes_per_operation"]!.ToString());
        Line("full index build (s)", r => r["full_index_build_s"]!.ToString());
        Line("catch-up, nothing new (ms)", r => M(r, "catch_up_no_change_ms"));
        Line("catch-up after one new session (ms)", r => M(r, "catch_up_after_one_new_session_ms"));
        Line("catch-up after one new run in a session (ms)", r => M(r, "catch_up_after_one_new_run_ms") + $" [{r["catch_up_after_one_run_lines_read"]} lines]");
        Line("sessions list, 50 newest (ms)", r => M(r, "sessions_list_50_ms"));
        Line("filter exit code + time range (ms)", r => M(r, "filter_exit_code_and_time_range_ms"));
        Line("FTS rare word, all hits (ms)", r => M(r, "fts_rare_word_all_hits_ms") + $" [{r["fts_hits"]} hits]");
        Line("FTS rare word, first 20 (ms)", r => M(r, "fts_rare_word_first_20_ms"));
        Line("inspection document (ms)", r => M(r, "inspection_document_ms"));
        Line("baseline: full journal scan (ms)", r => r["baseline_journal_scan_ms"] is null ? "not run (holds the whole history in memory)" : M(r, "baseline_journal_scan_ms"));
        Line("sessions list vs baseline", r => Ratio(r, "sessions_list_50_ms"));
        Line("inspection vs baseline", r => Ratio(r, "inspection_document_ms"));
        return sb.ToString();
    }
}
