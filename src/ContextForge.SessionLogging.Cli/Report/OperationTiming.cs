using ContextForge.SessionLogging.Shell;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// A pty capture's recorded timing: per chunk read, the seconds since the previous chunk and its bytes; and the
/// terminal size the stream started with, when the recorder kept one (null for older recordings).
/// </summary>
internal sealed record OperationTiming(IReadOnlyList<(double Delay, long Length)> Chunks, (int Columns, int Rows)? Size = null)
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
        string path = StreamTiming.PathFor(sessionDirectory, operationId);
        try
        {
            // The recorder's own reader: chunk lines, with the size lines ("r SECONDS COLUMNS ROWS") read apart.
            var chunks = StreamTiming.Read(path);
            return chunks.Count == 0 ? null : new OperationTiming(chunks, StreamTiming.FirstSize(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
