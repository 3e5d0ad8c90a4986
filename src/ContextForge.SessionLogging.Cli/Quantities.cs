using System.Globalization;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>Parses the durations (<c>90d</c>, <c>2h</c>), sizes (<c>5GB</c>) and times (<c>2026-01-31</c>) options take.</summary>
internal static partial class Quantities
{
    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h|d|w)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^\s*([0-9]+(?:\.[0-9]+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    /// <summary>A duration such as <c>30s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c>, <c>2w</c>; at most <see cref="InputLimits.MaxDuration"/> (100 years).</summary>
    public static TimeSpan Duration(string text, string option)
    {
        // ASCII digits only: \d also matches other scripts' digits (e.g. U+0663), which double.Parse rejects: exit 70.
        var m = DurationPattern().Match(text);
        if (!m.Success) throw new CliUsageException($"{option} {Quote(text)} is not a duration: use a number and s, m, h, d or w (e.g. 2d)");
        double n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        double seconds = n * m.Groups[2].Value.ToLowerInvariant() switch
        {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            _ => 7 * 86400,
        };
        return CliLimits.Duration(seconds, option, text);
    }

    /// <summary>
    /// A user's value as an error message shows it: quoted, control characters escaped (a newline in an argument
    /// must not split the one-line error), at most 80 characters.
    /// </summary>
    public static string Quote(string text)
    {
        var sb = new System.Text.StringBuilder(Math.Min(text.Length, 80) + 2).Append('\'');
        foreach (char c in text.Length > 80 ? text[..80] : text)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029') sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        return sb.Append(text.Length > 80 ? "...'" : "'").ToString();
    }

    /// <summary>A size in bytes such as <c>500MB</c> or <c>5GB</c> (powers of 1024).</summary>
    public static long Size(string text, string option)
    {
        var m = SizePattern().Match(text);
        if (!m.Success) throw new CliUsageException($"{option} {Quote(text)} is not a size: use a number and B, KB, MB, GB or TB (e.g. 5GB)");
        double n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        double factor = (m.Groups[2].Value.ToLowerInvariant() is { Length: > 0 } u ? u[0] : 'b') switch
        {
            'k' => 1024d,
            'm' => 1024d * 1024,
            'g' => 1024d * 1024 * 1024,
            't' => 1024d * 1024 * 1024 * 1024,
            _ => 1d,
        };
        double bytes = n * factor;
        if (!(bytes <= InputLimits.MaxSizeBytes)) throw new CliUsageException($"{option} {Quote(text)} is larger than 1 PiB");
        return (long)bytes;
    }

    /// <summary>An ISO 8601 date or date-time; without an offset it is local time.</summary>
    public static DateTimeOffset Time(string text, string option) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var t)
            ? t
            : throw new CliUsageException($"{option} {Quote(text)} is not a date or time: use ISO 8601, e.g. 2026-01-31 or 2026-01-31T14:00");
}
