using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Redaction;

// RedactionScan write FILE MB      writes MB of the realistic corpus (no secret) to FILE
// RedactionScan scan [FILE|MB]     redacts it in 64 KiB writes as the capture path does, best of 5, and prints MB/s
// RedactionScan parts FILE         the scan's parts alone (widening, word needles, runs, first match)
if (args.Length >= 3 && args[0] == "write")
{
    File.WriteAllBytes(args[1], RealisticCorpus.Generate(int.Parse(args[2], CultureInfo.InvariantCulture) << 20));
    return 0;
}
if (args.Length >= 2 && args[0] == "parts")
{
    Parts.Run(File.ReadAllBytes(args[1]));
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

// The CPU time of this process since the last restart (another process competing for the cores inflates it less than wall time).
sealed class CpuStopwatch
{
    private TimeSpan _start = Process.GetCurrentProcess().TotalProcessorTime;
    public TimeSpan Elapsed => Process.GetCurrentProcess().TotalProcessorTime - _start;
    public void Restart() => _start = Process.GetCurrentProcess().TotalProcessorTime;
}

// The parts of the scan, each over the whole input in 64 KiB blocks, in CPU time (RedactionScan parts FILE).
static class Parts
{
    public static void Run(byte[] input)
    {
        char[] chars = new char[64 * 1024];
        var words = System.Buffers.SearchValues.Create(BuiltInRules.WordNeedles, StringComparison.OrdinalIgnoreCase);
        var wordsA = System.Buffers.SearchValues.Create(BuiltInRules.WordNeedles[..BuiltInRules.FirstNeedleSet], StringComparison.OrdinalIgnoreCase);
        var wordsB = System.Buffers.SearchValues.Create(BuiltInRules.WordNeedles[BuiltInRules.FirstNeedleSet..], StringComparison.OrdinalIgnoreCase);
        var tokenChars = System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
        double mb = input.Length / 1e6;
        for (int rep = 0; rep < 3; rep++)
        {
            long hits = 0, runs = 0, found = 0;
            var sw = new CpuStopwatch();
            for (int o = 0; o < input.Length; o += chars.Length) System.Text.Encoding.Latin1.GetChars(input.AsSpan(o, Math.Min(chars.Length, input.Length - o)), chars);
            double latin = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int o = 0; o < input.Length; o += chars.Length)
            {
                int n = System.Text.Encoding.Latin1.GetChars(input.AsSpan(o, Math.Min(chars.Length, input.Length - o)), chars);
                var s = chars.AsSpan(0, n);
                for (int p = 0; ;)
                {
                    int i = s[p..].IndexOfAny(words);
                    if (i < 0) break;
                    hits++;
                    p += i + 1;
                }
            }
            double w = sw.Elapsed.TotalSeconds;
            sw.Restart();
            long hitsA = 0, hitsB = 0;
            for (int o = 0; o < input.Length; o += chars.Length)
            {
                int n = System.Text.Encoding.Latin1.GetChars(input.AsSpan(o, Math.Min(chars.Length, input.Length - o)), chars);
                var s = chars.AsSpan(0, n);
                for (int p = 0; ;)
                {
                    int i = s[p..].IndexOfAny(wordsA);
                    if (i < 0) break;
                    hitsA++;
                    p += i + 1;
                }
                for (int p = 0; ;)
                {
                    int i = s[p..].IndexOfAny(wordsB);
                    if (i < 0) break;
                    hitsB++;
                    p += i + 1;
                }
            }
            double w2 = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int o = 0; o < input.Length; o += chars.Length)
            {
                int n = System.Text.Encoding.Latin1.GetChars(input.AsSpan(o, Math.Min(chars.Length, input.Length - o)), chars);
                var s = chars.AsSpan(0, n);
                for (int p = 0; ;)
                {
                    int i = SecretRedactor.FindRun(s, p);
                    if (i < 0) break;
                    runs++;
                    int e = s[(i + 16)..].IndexOfAnyExcept(tokenChars);
                    if (e < 0) break;
                    p = i + 16 + e;
                }
            }
            double r = sw.Elapsed.TotalSeconds;
            sw.Restart();
            for (int o = 0; o < input.Length; o += chars.Length)
            {
                int n = System.Text.Encoding.Latin1.GetChars(input.AsSpan(o, Math.Min(chars.Length, input.Length - o)), chars);
                found += SecretRedactor.BuiltIn.IndexOfFirstMatch(chars.AsSpan(0, n)) >= 0 ? 1 : 0;
            }
            double f = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per CPU second: widen to chars {mb / latin:F0} MB/s; word needles {mb / w:F0} MB/s ({hits} hits), as two sets {mb / w2:F0} MB/s ({hitsA} + {hitsB}); runs {mb / r:F0} MB/s ({runs}); first match {mb / f:F0} MB/s ({found} blocks)"));
        }
    }
}
