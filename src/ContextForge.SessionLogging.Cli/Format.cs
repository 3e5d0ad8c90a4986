using System.Globalization;

namespace ContextForge.SessionLogging.Cli;

/// <summary>Human formats for durations, sizes and times in tables.</summary>
internal static class Format
{
    public static string Duration(double ms) => ms switch
    {
        < 1 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.###} ms"),
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{ms:0.#} ms"),
        < 60_000 => string.Create(CultureInfo.InvariantCulture, $"{ms / 1000:0.##} s"),
        < 3_600_000 => string.Create(CultureInfo.InvariantCulture, $"{(int)(ms / 60_000)}m{(int)(ms / 1000 % 60):00}s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)(ms / 3_600_000)}h{(int)(ms / 60_000 % 60):00}m"),
    };

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GiB"),
    };

    /// <summary>A journal timestamp shown as local "yyyy-MM-dd HH:mm:ss".</summary>
    public static string Time(string? iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : "-";
}
