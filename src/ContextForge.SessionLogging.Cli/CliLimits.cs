namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// Enforces <see cref="InputLimits"/> on command-line input: beyond a limit is one line naming the input, its size
/// and the limit, exit 64 (<see cref="ExitCodes.Usage"/>).
/// </summary>
internal static class CliLimits
{
    /// <summary>Throws <see cref="CliUsageException"/> when <paramref name="value"/> is longer than <paramref name="max"/> characters.</summary>
    public static string? Text(string? value, int max, string what)
    {
        if (value is not null && value.Length > max)
            throw new CliUsageException($"{what} is {value.Length} characters long; at most {max} are accepted");
        return value;
    }

    /// <summary>Throws <see cref="CliUsageException"/> when <paramref name="count"/> is over <paramref name="max"/>.</summary>
    public static void Count(int count, int max, string what)
    {
        if (count > max) throw new CliUsageException($"{count} {what} given; at most {max} are accepted");
    }

    /// <summary>Throws <see cref="CliUsageException"/> when a duration is over <see cref="InputLimits.MaxDuration"/> (100 years).</summary>
    public static TimeSpan Duration(double seconds, string option, string text)
    {
        if (!double.IsFinite(seconds) || seconds > InputLimits.MaxDuration.TotalSeconds)
            throw new CliUsageException($"{option} {Quantities.Quote(text)} is longer than {InputLimits.MaxDuration.TotalDays:0} days (100 years)");
        return TimeSpan.FromSeconds(seconds);
    }
}
