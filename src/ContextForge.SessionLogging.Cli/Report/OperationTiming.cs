using System.Globalization;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>A pty capture's recorded timing: per chunk read, the seconds since the previous chunk and its bytes.</summary>
internal sealed record OperationTiming(IReadOnlyList<(double Delay, long Length)> Chunks)
{
    public double TotalSeconds => Chunks.Sum(c => c.Delay);
}

/// <summary>Finds the recorded timing of an operation, for replay; null when none was recorded.</summary>
internal interface IOperationTimingSource
{
    OperationTiming? Find(string sessionDirectory, string operationId);
}

/// <summary>
/// The timing the shell recorder keeps beside a session (<c>&lt;session&gt;/timing/&lt;operation-id&gt;.timing</c>,
/// <c>scriptreplay</c> lines "seconds bytes"); sessions recorded without it have none, and the report renders them
/// statically.
/// </summary>
internal sealed class TimingFileSource : IOperationTimingSource
{
    public OperationTiming? Find(string sessionDirectory, string operationId)
    {
        // An operation id is a GUID; anything else never names a file.
        if (!Guid.TryParse(operationId, out _)) return null;
        string path = Path.Combine(sessionDirectory, "timing", operationId + ".timing");
        if (!File.Exists(path)) return null;
        var chunks = new List<(double, long)>();
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                if (space <= 0) continue;
                if (double.TryParse(line.AsSpan(0, space), NumberStyles.Float, CultureInfo.InvariantCulture, out double delay)
                    && long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long length) && length > 0)
                {
                    chunks.Add((Math.Max(0, delay), length));
                }
            }
        }
        catch (IOException)
        {
            return null;
        }
        return chunks.Count == 0 ? null : new OperationTiming(chunks);
    }
}
