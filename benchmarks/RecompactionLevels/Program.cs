using System.Diagnostics;
using System.Globalization;
using ZstdSharp;
using ZstdSharp.Unsafe;

// RecompactionLevels FILE [RUNS] [CANDIDATE...]
// Compresses FILE as the background recompaction does, once per candidate setting, and prints a markdown row per
// candidate: compressed size, ratio to raw, CPU seconds (this process's user + system time while compressing, best of
// RUNS), CPU seconds per MB, and the decoding speed (each output is decoded back, compared with FILE, and timed).
// A candidate is `LEVEL` or `LEVEL:key=value,...`, keys: strategy (fast, dfast, greedy, lazy, lazy2, btlazy2, btopt,
// btultra, btultra2), chain, hash, search, minmatch, target (zstd's advanced parameters over the level's defaults),
// and frame=MiB. Without frame: one zstd frame, window 2^23 = 8 MiB, long-distance matching (a blob). With frame:
// independent frames of that many MiB, window 2^23 (a shell's recompacted stream, SeekableStreamFile). `chosen` is
// what BlobStore.BackgroundRecompaction.For gives a blob of FILE's size. Without candidates: the default list below.
byte[] input = File.ReadAllBytes(args[0]);
int runs = args.Length >= 2 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
string[] candidates = args.Length >= 3 ? args[2..] :
[
    "3", "12", "14", "15", "16", "19",
    "17:search=3,target=32,chain=20,hash=20",
    "14:frame=8", "16:frame=4", "16:frame=8",
    "chosen",
];
double mb = input.Length / 1e6;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"input: {input.Length} bytes; window 2^23 with long-distance matching; CPU best of {runs}; {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Trim()}"));
Console.WriteLine();
Console.WriteLine("| setting | compressed bytes | ratio to raw | CPU s | CPU s per MB | MB per CPU s | decoding, MB per CPU s |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (string candidate in candidates)
{
    double best = double.MaxValue, bestDecode = double.MaxValue;
    long size = 0;
    for (int i = 0; i < runs; i++)
    {
        var output = new MemoryStream(input.Length / 4);
        using var self = Process.GetCurrentProcess();
        var before = self.TotalProcessorTime;
        int frameBytes = FrameMiB(candidate) << 20;
        if (frameBytes > 0)
        {
            // Independent frames of frameBytes each (as a recompacted shell stream is stored, for its ranges to be read
            // from the frame they start in).
            using var compressor = new Compressor(Level(candidate));
            Apply(compressor.SetParameter, candidate);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, 23); // as SeekableStreamFile.Write: the whole frame
            byte[] frame = new byte[Compressor.GetCompressBound(frameBytes)];
            for (int at = 0; at < input.Length; at += frameBytes)
            {
                int n = compressor.Wrap(input.AsSpan(at, Math.Min(frameBytes, input.Length - at)), frame);
                output.Write(frame, 0, n);
            }
        }
        else
        {
            using var compressor = new CompressionStream(output, candidate == "chosen" ? 3 : Level(candidate), bufferSize: 64 * 1024, leaveOpen: true);
            if (candidate == "chosen") ContextForge.SessionLogging.Capture.BlobStore.BackgroundRecompaction.For(input.Length).Apply(compressor.SetParameter);
            else Apply(compressor.SetParameter, candidate);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, 23);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_enableLongDistanceMatching, 1);
            compressor.Write(input);
        }
        self.Refresh();
        best = Math.Min(best, (self.TotalProcessorTime - before).TotalSeconds);
        size = output.Length;
        output.Position = 0;
        using var decoded = new MemoryStream(input.Length);
        self.Refresh();
        var decodeStart = self.TotalProcessorTime;
        using (var decompressor = new DecompressionStream(output)) decompressor.CopyTo(decoded);
        self.Refresh();
        bestDecode = Math.Min(bestDecode, (self.TotalProcessorTime - decodeStart).TotalSeconds);
        if (!decoded.GetBuffer().AsSpan(0, (int)decoded.Length).SequenceEqual(input)) throw new InvalidOperationException($"{candidate}: the frame does not decode to the input");
    }
    string name = candidate == "chosen" ? $"chosen: {ContextForge.SessionLogging.Capture.BlobStore.BackgroundRecompaction.For(input.Length)}" : candidate;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| `{name}` | {size} | {(double)size / input.Length:0.000} | {best:0.00} | {best / mb:0.000} | {mb / best:0.0} | {mb / bestDecode:0} |"));
}
return 0;

static int Level(string candidate) => int.Parse(candidate.Split(':')[0], CultureInfo.InvariantCulture);

static int FrameMiB(string candidate) =>
    candidate.Split(':', 2) is [_, var rest] && rest.Split(',').FirstOrDefault(p => p.StartsWith("frame=", StringComparison.Ordinal)) is { } frame
        ? int.Parse(frame["frame=".Length..], CultureInfo.InvariantCulture) : 0;

static void Apply(Action<ZSTD_cParameter, int> set, string candidate)
{
    string[] parts = candidate.Split(':', 2);
    if (parts.Length < 2) return;
    foreach (string pair in parts[1].Split(','))
    {
        string[] kv = pair.Split('=', 2);
        if (kv[0] == "frame") continue;
        var (parameter, value) = kv[0] switch
        {
            "strategy" => (ZSTD_cParameter.ZSTD_c_strategy, (int)Enum.Parse<ZSTD_strategy>("ZSTD_" + kv[1])),
            "chain" => (ZSTD_cParameter.ZSTD_c_chainLog, int.Parse(kv[1], CultureInfo.InvariantCulture)),
            "hash" => (ZSTD_cParameter.ZSTD_c_hashLog, int.Parse(kv[1], CultureInfo.InvariantCulture)),
            "search" => (ZSTD_cParameter.ZSTD_c_searchLog, int.Parse(kv[1], CultureInfo.InvariantCulture)),
            "minmatch" => (ZSTD_cParameter.ZSTD_c_minMatch, int.Parse(kv[1], CultureInfo.InvariantCulture)),
            "target" => (ZSTD_cParameter.ZSTD_c_targetLength, int.Parse(kv[1], CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"unknown parameter {kv[0]} in {candidate}"),
        };
        set(parameter, value);
    }
}
