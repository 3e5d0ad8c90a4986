using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging;

/// <summary>What can be proven about the process that wrote a record.</summary>
internal enum WriterState
{
    /// <summary>Running on this host: the pid exists and (where recorded) its start time matches.</summary>
    Alive,
    /// <summary>Proven gone: no such pid, a zombie, a different process under the same pid, or the host rebooted since.</summary>
    Dead,
    /// <summary>Cannot tell: another host wrote it, or the record names no process.</summary>
    Unknown,
}

/// <summary>
/// Whether a process that wrote a segment is still running (only answerable on the same host). A writer is known by
/// its provenance: <c>host</c>, <c>pid</c>, and on Linux <c>process_start_ticks</c> (field 22 of
/// <c>/proc/&lt;pid&gt;/stat</c>: clock ticks after boot) and <c>boot_id</c>, which together guard against a pid
/// reused by another process or a reboot.
/// </summary>
internal static class ProcessLiveness
{
    /// <summary>The writer's pid, from a segment name <c>yyyyMMddTHHmmssfffZ-{pid}-{random}.jsonl</c>.</summary>
    public static int? PidFromSegmentName(string fileName)
    {
        var parts = Path.GetFileNameWithoutExtension(fileName).Split('-');
        return parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>This boot's id (<c>/proc/sys/kernel/random/boot_id</c>); null off Linux.</summary>
    public static string? CurrentBootId => s_bootId.Value;

    private static readonly Lazy<string?> s_bootId = new(() =>
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    });

    /// <summary>This process's start time in clock ticks after boot; null off Linux.</summary>
    public static long? CurrentStartTicks => s_selfStart.Value;

    private static readonly Lazy<long?> s_selfStart = new(() => ReadStat(Environment.ProcessId) is { Zombie: false } s ? s.StartTicks : null);

    /// <summary>
    /// Field 3 (state) and field 22 (starttime) of <c>/proc/&lt;pid&gt;/stat</c>; null when there is no such process
    /// (or off Linux). The command name (field 2) may hold spaces and parentheses, so fields are counted after the last ')'.
    /// </summary>
    internal static (long StartTicks, bool Zombie)? ReadStat(int pid)
    {
        if (!OperatingSystem.IsLinux() || pid <= 0) return null;
        string text;
        try { text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        int close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 20 || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start)) return null;
        return (start, fields[0] is "Z" or "X");
    }

    public static bool IsAlive(int pid)
    {
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return ReadStat(pid) is { Zombie: false };
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

    /// <summary>
    /// The state of the process a record's provenance names. Another host's process is <see cref="WriterState.Unknown"/>;
    /// on this host a missing or zombie pid is dead, and so is a pid whose start time differs from the recorded one
    /// (reused by another process) or whose boot id differs (rebooted since). A record without a start time (written
    /// before it was recorded) whose pid exists is taken as alive: nothing proves otherwise.
    /// </summary>
    public static WriterState Check(JsonNode? provenance)
    {
        if (provenance is not JsonObject p) return WriterState.Unknown;
        if (Str(p["host"]) is not { } host || host != CurrentProvenance.Host) return WriterState.Unknown;
        if (p["pid"] is not JsonValue pv || !pv.TryGetValue(out int pid)) return WriterState.Unknown;
        return Check(pid, Long(p[ProvenanceFields.ProcessStartTicks]), Str(p[ProvenanceFields.BootId]));
    }

    /// <summary>The state of process <paramref name="pid"/> on this host, started at <paramref name="startTicks"/> in boot <paramref name="bootId"/> (each null when not recorded).</summary>
    public static WriterState Check(int pid, long? startTicks, string? bootId)
    {
        if (pid == Environment.ProcessId && (startTicks is null || startTicks == CurrentStartTicks)) return WriterState.Alive;
        if (bootId is not null && CurrentBootId is { } current && bootId != current) return WriterState.Dead;
        if (!OperatingSystem.IsLinux()) return IsAlive(pid) ? WriterState.Alive : WriterState.Dead;
        if (ReadStat(pid) is not { Zombie: false } stat) return WriterState.Dead;
        return startTicks is { } recorded && recorded != stat.StartTicks ? WriterState.Dead : WriterState.Alive;
    }

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue(out long l) ? l : null;
}

/// <summary>The provenance keys that identify the writing process beyond its pid (Linux only).</summary>
internal static class ProvenanceFields
{
    /// <summary>The process's start time, clock ticks after boot (<c>/proc/self/stat</c> field 22).</summary>
    public const string ProcessStartTicks = "process_start_ticks";

    /// <summary>The boot the process ran in (<c>/proc/sys/kernel/random/boot_id</c>).</summary>
    public const string BootId = "boot_id";

    /// <summary>The writing process's argv, redacted (the seed's <c>command</c> of provenance).</summary>
    public const string Command = "command";
}
