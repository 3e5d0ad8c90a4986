using System.Globalization;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Running;
using ContextForge.SessionLogging.Benchmarks;

// 'history [sizes] [out] [work]' runs the history index benchmark (benchmarks/run-history.sh).
if (args.Length > 0 && args[0] == "history") return HistoryBenchmark.Run(args[1..]);
if (args.Length > 0 && args[0] == "generate")
{
    // generate OPERATIONS DIR: a history for the team-store benchmark (benchmarks/run-team-store.sh).
    new ContextForge.SessionLogging.Benchmarks.HistoryGenerator(new ContextForge.SessionLogging.Sessions.DataDirectory(args[2]))
        .Generate(int.Parse(args[1], CultureInfo.InvariantCulture), DateTimeOffset.UtcNow, TimeSpan.FromDays(60));
    return 0;
}
// 'history-generate SIZE [work]' only generates a history (reused by a later 'history' run of that size).
if (args.Length > 0 && args[0] == "history-generate") return HistoryBenchmark.GenerateOnly(args[1..]);
// 'agents SIZE CFSESSION OUT WORK' times cfsession mcp's tools at the client and the hook (benchmarks/run-agents.sh).
if (args.Length > 0 && args[0] == "agents") return await AgentBenchmark.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "history-catchup") return HistoryBenchmark.CatchUpBreakdown(args[1]);
// 'report-session N DIR' writes one session of N generated operations into the data directory DIR (benchmarks/run-report.sh).
if (args.Length > 0 && args[0] == "report-session")
{
    var data = new ContextForge.SessionLogging.Sessions.DataDirectory(args[2]);
    int operations = int.Parse(args[1], CultureInfo.InvariantCulture);
    new HistoryGenerator(data, seed: operations).Generate(operations, DateTimeOffset.UtcNow, TimeSpan.FromHours(8), operationsPerSession: operations);
    return 0;
}
// 'throughput N BUFFER_MB...' runs the EventPipe throughput program; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "throughput")
{
    int events = int.Parse(args[1], CultureInfo.InvariantCulture);
    var results = new JsonArray();
    foreach (string mb in args[2..])
    {
        var r = EventPipeThroughput.Run(events, int.Parse(mb, CultureInfo.InvariantCulture), Path.GetTempPath());
        Console.Error.WriteLine(r.ToJsonString());
        results.Add(r);
    }
    Console.WriteLine(results.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(EmitWithoutSession).Assembly).Run(args);
return 0;
