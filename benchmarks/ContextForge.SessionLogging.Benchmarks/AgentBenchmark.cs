using System.Diagnostics;
using System.Globalization;
using System.Text;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Sessions;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ContextForge.SessionLogging.Benchmarks;

/// <summary>
/// Agent surfaces benchmark (<c>agents SIZE CFSESSION_BINARY OUT_FILE WORK_DIR</c>, run by benchmarks/run-agents.sh):
/// on a generated history of SIZE operations, the latency of <c>cfsession mcp</c>'s tools measured at the MCP SDK's
/// client (a round trip over stdio), against the same-run baseline of a call that touches no data (an unknown tool:
/// the protocol's cost alone); and the wall time of one <c>cfsession hook claude-code</c> call against the same-run
/// baseline of starting the same binary for <c>--version</c>. Best and median of N.
/// </summary>
internal static class AgentBenchmark
{
    private const string RareWord = "zyzzogeton";

    public static async Task<int> RunAsync(string[] args)
    {
        int size = int.Parse(args[0], CultureInfo.InvariantCulture);
        string binary = Path.GetFullPath(args[1]);
        string outFile = args[2];
        string root = Path.Combine(args[3], size.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        var data = new DataDirectory(root);
        Console.Error.WriteLine($"[{size}] generating...");
        new HistoryGenerator(data, seed: size).Generate(size, DateTimeOffset.UtcNow.AddHours(-2), TimeSpan.FromDays(90), operationsPerSession: 20, rareWord: RareWord);
        using (var index = HistoryIndex.Open(data)) index.Rebuild();

        var report = new StringBuilder();
        await using (var client = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "cfsession",
            Command = binary,
            Arguments = ["mcp"],
            EnvironmentVariables = new Dictionary<string, string?> { ["CFSESSION_HOME"] = root, ["CFSESSION_ID"] = null },
        })))
        {
            string operation = "";
            var calls = new (string Name, string Tool, Dictionary<string, object?> Arguments)[]
            {
                ("baseline: unknown tool (protocol only)", "no_such_tool", []),
                ("list_sessions (20 newest)", "list_sessions", []),
                ("list_sessions failed=true since=30d", "list_sessions", new() { ["failed"] = true, ["since"] = "30d" }),
                ($"search_output '{RareWord}' (rare word)", "search_output", new() { ["query"] = RareWord }),
                ("search_output 'error' (common word, 10 hits)", "search_output", new() { ["query"] = "error" }),
                ("history failed=true (20 events)", "history", new() { ["failed"] = true }),
            };
            var rows = new List<(string Name, double Best, double Median, int Bytes)>();
            foreach (var (name, tool, arguments) in calls)
            {
                var result = await client.CallToolAsync(tool, arguments); // warm-up (and the first catch-up)
                int bytes = result.Content.OfType<TextContentBlock>().Sum(b => Encoding.UTF8.GetByteCount(b.Text));
                if (tool == "search_output" && operation.Length == 0)
                {
                    string text = result.Content.OfType<TextContentBlock>().First().Text;
                    int at = text.IndexOf("\"operation_id\":\"", StringComparison.Ordinal);
                    if (at >= 0) operation = text.Substring(at + 16, 36);
                }
                var times = new List<double>();
                for (int i = 0; i < 25; i++)
                {
                    var sw = Stopwatch.StartNew();
                    await client.CallToolAsync(tool, arguments);
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                rows.Add((name, times[0], times[times.Count / 2], bytes));
            }
            if (operation.Length > 0)
            {
                var args2 = new Dictionary<string, object?> { ["operation_id"] = operation };
                await client.CallToolAsync("get_operation", args2);
                var times = new List<double>();
                for (int i = 0; i < 25; i++)
                {
                    var sw = Stopwatch.StartNew();
                    await client.CallToolAsync("get_operation", args2);
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
                times.Sort();
                rows.Add(("get_operation (first page)", times[0], times[times.Count / 2], 0));
            }
            double baseline = rows[0].Best;
            report.AppendLine(CultureInfo.InvariantCulture, $"### `cfsession mcp` at the client, {size:N0} operations ({size / 20:N0} sessions), best / median of 25 after one warm-up").AppendLine();
            report.AppendLine("| call | best ms | median ms | best / baseline | result bytes |").AppendLine("|---|---:|---:|---:|---:|");
            foreach (var (name, best, median, bytes) in rows)
                report.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {best:F2} | {median:F2} | {best / baseline:F1}x | {(bytes > 0 ? bytes.ToString(CultureInfo.InvariantCulture) : "-")} |");
        }

        // The hook: one process per call, as Claude Code runs it.
        string hookHome = Path.Combine(root, "hook-home");
        Directory.CreateDirectory(hookHome);
        string agentSession = Guid.NewGuid().ToString("D");
        byte[] start = Encoding.UTF8.GetBytes($"{{\"session_id\":\"{agentSession}\",\"cwd\":\"/tmp\",\"hook_event_name\":\"SessionStart\",\"source\":\"startup\"}}");
        byte[] bash = Encoding.UTF8.GetBytes($"{{\"session_id\":\"{agentSession}\",\"cwd\":\"/tmp\",\"hook_event_name\":\"PostToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{{\"command\":\"npm test\"}},\"tool_response\":{{\"stdout\":\"{string.Concat(Enumerable.Repeat("ok test passed\\n", 50))}\",\"stderr\":\"\",\"interrupted\":false}}}}");
        await Spawn(binary, ["hook", "claude-code"], hookHome, start);
        var version = await Time(binary, ["--version"], hookHome, null);
        var hook = await Time(binary, ["hook", "claude-code"], hookHome, bash);
        var hookLater = await Time(binary, ["hook", "claude-code"], hookHome, bash); // the session holds 40+ operations by now
        report.AppendLine().AppendLine("### `cfsession hook claude-code` (PostToolUse Bash, 750 bytes of stdout), wall time per call including process start, best / median of 20").AppendLine();
        report.AppendLine("| call | best ms | median ms | best / baseline |").AppendLine("|---|---:|---:|---:|");
        report.AppendLine(CultureInfo.InvariantCulture, $"| baseline: `cfsession --version` (process start only) | {version.Best:F2} | {version.Median:F2} | 1.0x |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| hook PostToolUse (operations 1-20 of the session) | {hook.Best:F2} | {hook.Median:F2} | {hook.Best / version.Best:F1}x |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| hook PostToolUse (operations 21-40) | {hookLater.Best:F2} | {hookLater.Median:F2} | {hookLater.Best / version.Best:F1}x |");
        File.WriteAllText(outFile, report.ToString());
        Console.WriteLine(report.ToString());
        return 0;
    }

    private static async Task<(double Best, double Median)> Time(string binary, string[] args, string home, byte[]? stdin)
    {
        var times = new List<double>();
        for (int i = 0; i < 20; i++) times.Add(await Spawn(binary, args, home, stdin));
        times.Sort();
        return (times[0], times[times.Count / 2]);
    }

    private static async Task<double> Spawn(string binary, string[] args, string home, byte[]? stdin)
    {
        var psi = new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = home;
        psi.Environment.Remove("CFSESSION_ID");
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        double ms = sw.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0 || (await output).Length > 0 && args[0] == "hook") throw new InvalidOperationException($"{string.Join(' ', args)}: exit {process.ExitCode}: {await error}");
        return ms;
    }
}
