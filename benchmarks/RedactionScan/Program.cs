using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Redaction;

// RedactionScan write FILE MB      writes MB of the realistic corpus (no secret) to FILE
// RedactionScan scan [FILE|MB]     redacts it in 64 KiB writes as the capture path does, best of 5, and prints MB/s
if (args.Length >= 3 && args[0] == "write")
{
    File.WriteAllBytes(args[1], RealisticCorpus.Generate(int.Parse(args[2], CultureInfo.InvariantCulture) << 20));
    return 0;
}
byte[] input = args.Length >= 2 && File.Exists(args[1])
    ? File.ReadAllBytes(args[1])
    : RealisticCorpus.Generate((args.Length >= 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256) << 20);
const int Write = 64 * 1024;
long sunk = 0;
void Sink(ReadOnlySpan<byte> bytes) => sunk += bytes.Length;

// Wall time, best of 5; and the CPU time of that run's thread, which another process competing for the cores inflates less.
double bestCpu = double.MaxValue;
double Best(Func<RedactionTally?> run, out RedactionTally? tally)
{
    double best = double.MaxValue;
    bestCpu = double.MaxValue;
    tally = null;
    for (int i = 0; i < 5; i++)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        tally = run();
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
        bestCpu = Math.Min(bestCpu, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
    }
    return best;
}

double copy = Best(() =>
{
    sunk = 0;
    for (int o = 0; o < input.Length; o += Write) Sink(input.AsSpan(o, Math.Min(Write, input.Length - o)));
    return null;
}, out _);
double redact = Best(() =>
{
    sunk = 0;
    var r = SecretRedactor.BuiltIn.CreateLineRedactor();
    for (int o = 0; o < input.Length; o += Write) r.Write(input.AsSpan(o, Math.Min(Write, input.Length - o)), Sink);
    r.Flush(Sink);
    return r.Tally;
}, out var t);
double cpuSeconds = bestCpu;
double mb = input.Length / 1e6;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"input {mb:F1} MB; pass-through {mb / copy:F0} MB/s; built-in rules ({BuiltInRules.All.Count}) {mb / redact:F0} MB/s wall ({redact:F3} s), {mb / cpuSeconds:F0} MB/s per CPU second ({cpuSeconds:F3} s); replacements {t!.Count}{(t.Count > 0 ? " (" + string.Join(", ", t.ByPattern.Select(p => p.Key + " " + p.Value)) + ")" : "")}; output {sunk} bytes"));
return 0;
