using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Benchmarks;
using ContextForge.SessionLogging.Redaction;

// RedactionScan write FILE MB      writes MB of the realistic corpus (no secret) to FILE
// RedactionScan scan [FILE|MB]     redacts it in 64 KiB writes as the capture path does, best of 5, and prints MB/s
// RedactionScan parts FILE         the scan's parts alone (widening, word needles, runs, first match)
// RedactionScan fuzz MB [SEED]     redacts MB of each kind of random input (bytes, base64, hex, printable ASCII) and
//                                  prints the replacements per rule with the first examples (what random data can match)
if (args.Length >= 3 && args[0] == "write")
{
    File.WriteAllBytes(args[1], RealisticCorpus.Generate(int.Parse(args[2], CultureInfo.InvariantCulture) << 20));
    return 0;
}
if (args.Length >= 2 && args[0] == "fuzz")
{
    RandomInput.Run(int.Parse(args[1], CultureInfo.InvariantCulture), args.Length >= 3 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1);
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
    $"input {mb:F1} MB; byte pass {ByteCandidateScan.PathName}; pass-through {mb / copy:F0} MB/s; built-in rules ({BuiltInRules.All.Count}) {mb / redact:F0} MB/s wall ({redact:F3} s), {mb / cpuSeconds:F0} MB/s per CPU second ({cpuSeconds:F3} s); replacements {t!.Count}{(t.Count > 0 ? " (" + string.Join(", ", t.ByPattern.Select(p => p.Key + " " + p.Value)) + ")" : "")}; output {sunk} bytes"));
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
        byte[] bucketBuffer = new byte[64];
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
            sw.Restart();
            long byteFound = 0;
            for (int o = 0; o < input.Length; o += chars.Length)
            {
                var block = input.AsSpan(o, Math.Min(chars.Length, input.Length - o));
                int n = System.Text.Encoding.Latin1.GetChars(block, chars);
                byteFound += SecretRedactor.BuiltIn.IndexOfFirstMatch(block, chars.AsSpan(0, n)) >= 0 ? 1 : 0;
            }
            double fb = sw.Elapsed.TotalSeconds;
            sw.Restart();
            long fingerprints = 0, tokenBytes = 0;
            var tables = ByteCandidateScan.NeedleTables;
            Span<byte> buckets = bucketBuffer;
            for (int o = 0; o + 66 <= input.Length; o += 64)
            {
                ByteCandidateScan.Masks(in tables, ref input[o], out ulong tk, out ulong fp, buckets);
                fingerprints += System.Numerics.BitOperations.PopCount(fp);
                tokenBytes += System.Numerics.BitOperations.PopCount(tk);
            }
            double masks = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per CPU second: byte masks alone ({ByteCandidateScan.PathName}) {mb / masks:F0} MB/s ({fingerprints} fingerprints, {tokenBytes} token bytes); first match over bytes {mb / fb:F0} MB/s ({byteFound} blocks)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"per CPU second: widen to chars {mb / latin:F0} MB/s; word needles {mb / w:F0} MB/s ({hits} hits), as two sets {mb / w2:F0} MB/s ({hitsA} + {hitsB}); runs {mb / r:F0} MB/s ({runs}); first match {mb / f:F0} MB/s ({found} blocks)"));
        }
    }
}

// Random data through the capture path's redaction: any replacement is a false positive (RedactionScan fuzz MB SEED).
static class RandomInput
{
    public static void Run(int mb, int seed)
    {
        var random = new Random(seed);
        const string Base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const string Base64Url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var kinds = new (string Name, Func<byte[]> Make)[]
        {
            ("random bytes", () => { var b = new byte[1 << 20]; random.NextBytes(b); return b; }),
            ("base64 lines (76)", () => Lines(random, Base64, 76)),
            ("base64url lines (120)", () => Lines(random, Base64Url, 120)),
            ("hex lines (64)", () => Lines(random, "0123456789abcdef", 64)),
            ("printable ASCII lines (100)", () => Lines(random, string.Concat(Enumerable.Range(32, 95).Select(c => (char)c)), 100)),
        };
        foreach (var (name, make) in kinds)
        {
            var total = new RedactionTally();
            var examples = new List<string>();
            for (int m = 0; m < mb; m++)
            {
                byte[] chunk = make();
                var redactor = SecretRedactor.BuiltIn.CreateLineRedactor();
                var sink = new MemoryStream();
                for (int o = 0; o < chunk.Length; o += 64 * 1024) redactor.Write(chunk.AsSpan(o, Math.Min(64 * 1024, chunk.Length - o)), b => sink.Write(b));
                redactor.Flush(b => sink.Write(b));
                if (redactor.Tally.Count == 0) continue;
                total.AddAll(redactor.Tally);
                byte[] output = sink.ToArray();
                int d = 0;
                while (d < chunk.Length && d < output.Length && chunk[d] == output[d]) d++;
                if (examples.Count < 5)
                    examples.Add(string.Join(", ", redactor.Tally.ByPattern.Keys) + ": " + Escape(chunk.AsSpan(Math.Max(0, d - 80), Math.Min(160, chunk.Length - Math.Max(0, d - 80)))));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {mb} MiB, {total.Count} replacements{(total.Count > 0 ? " (" + string.Join(", ", total.ByPattern.Select(p => p.Key + " " + p.Value)) + ")" : "")}"));
            foreach (string e in examples) Console.WriteLine("  " + e);
        }
    }

    private static byte[] Lines(Random random, string alphabet, int width)
    {
        var b = new byte[1 << 20];
        for (int i = 0; i < b.Length; i++) b[i] = (i + 1) % (width + 1) == 0 ? (byte)'\n' : (byte)alphabet[random.Next(alphabet.Length)];
        return b;
    }

    private static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new System.Text.StringBuilder();
        foreach (byte b in bytes) sb.Append(b is >= 32 and < 127 and not (byte)'\\' ? ((char)b).ToString() : $"\\x{b:X2}");
        return sb.ToString();
    }
}
