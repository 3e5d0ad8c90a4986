namespace ContextForge.SessionLogging.Index;

/// <summary>
/// How the index stores a time: 100-nanosecond ticks since the Unix epoch, UTC, the journal's full precision (its
/// <c>ts</c> has seven fractional digits). Before index schema 4 the columns held whole milliseconds.
/// </summary>
internal static class IndexTime
{
    private static readonly long s_epochTicks = DateTimeOffset.UnixEpoch.UtcTicks;

    public static long Of(DateTimeOffset time) => time.UtcTicks - s_epochTicks;

    public static DateTimeOffset ToTime(long ticks) => new(s_epochTicks + ticks, TimeSpan.Zero);

    /// <summary>A span of index time in ticks.</summary>
    public static long Of(TimeSpan span) => span.Ticks;

    /// <summary>Milliseconds between two index times, fractional (as the journal's <c>duration_ms</c>).</summary>
    public static double Milliseconds(long fromTicks, long toTicks) => (toTicks - fromTicks) / (double)TimeSpan.TicksPerMillisecond;
}
