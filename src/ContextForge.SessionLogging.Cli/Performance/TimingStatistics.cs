using System.Globalization;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Cli.Performance;

/// <summary>Summary of one measured variant: per-iteration wall time (ms) and bytes allocated on the measuring thread.</summary>
internal sealed record TimingStatistics(
    string Variant,
    int Iterations,
    double MeanMs,
    double MedianMs,
    double P95Ms,
    double P99Ms,
    double MinMs,
    double MaxMs,
    double AllocatedBytesPerOperation)
{
    /// <summary>Summarises raw samples (milliseconds) and the total bytes allocated over them.</summary>
    public static TimingStatistics From(string variant, IReadOnlyList<double> samplesMs, long allocatedBytes)
    {
        if (samplesMs.Count == 0) throw new ArgumentException("at least one sample is needed", nameof(samplesMs));
        var sorted = samplesMs.Order().ToArray();
        return new TimingStatistics(
            variant,
            sorted.Length,
            sorted.Average(),
            Percentile(sorted, 50),
            Percentile(sorted, 95),
            Percentile(sorted, 99),
            sorted[0],
            sorted[^1],
            (double)allocatedBytes / sorted.Length);
    }

    /// <summary>Nearest-rank percentile of ascending-sorted samples.</summary>
    internal static double Percentile(double[] sorted, double percent)
    {
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public JsonObject ToJson() => new()
    {
        ["variant"] = Variant,
        ["iterations"] = Iterations,
        ["mean_ms"] = Round(MeanMs),
        // The seed's name of the same statistic (its measure_operation_performance result).
        ["mean_time_ms"] = Round(MeanMs),
        ["median_ms"] = Round(MedianMs),
        ["p95_ms"] = Round(P95Ms),
        ["p99_ms"] = Round(P99Ms),
        ["min_ms"] = Round(MinMs),
        ["max_ms"] = Round(MaxMs),
        ["allocated_bytes_per_op"] = Math.Round(AllocatedBytesPerOperation, 1),
    };

    internal static double Round(double ms) => Math.Round(ms, 6);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Variant}: mean {MeanMs:0.000} ms, median {MedianMs:0.000}, p95 {P95Ms:0.000}, p99 {P99Ms:0.000}, {AllocatedBytesPerOperation:0} B/op");
}
