using System.Diagnostics;
using System.Globalization;

namespace ContextForge.SessionLogging.Index;

/// <summary>Whether a process that wrote a segment is still running (only answerable on the same host).</summary>
internal static class ProcessLiveness
{
    /// <summary>The writer's pid, from a segment name <c>yyyyMMddTHHmmssfffZ-{pid}-{random}.jsonl</c>.</summary>
    public static int? PidFromSegmentName(string fileName)
    {
        var parts = Path.GetFileNameWithoutExtension(fileName).Split('-');
        return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
