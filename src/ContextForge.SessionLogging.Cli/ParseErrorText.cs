using System.CommandLine;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// System.CommandLine's parse errors in the user's words: a value that is not a number names the option and what it
/// expects (<c>--limit expects a whole number, got 'abc'</c>) instead of a .NET type name
/// (<c>as expected type 'System.Nullable`1[System.Int32]'</c>), and a mistyped command is named with the nearest
/// command (<c>unknown command 'histroy' (did you mean 'history'?)</c>) instead of "Required command was not provided".
/// Every other message is kept as it is, on one line.
/// </summary>
internal static partial class ParseErrorText
{
    [GeneratedRegex(@"\ACannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<name>[^']*)' as expected type '(?<type>[^']+)'\.?\z", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TypeMismatch();

    /// <summary>The one line that tells what is wrong with <paramref name="parse"/> (which has errors).</summary>
    public static string Of(ParseResult parse)
    {
        var root = parse.RootCommandResult.Command;
        if (parse.CommandResult.Command == root && parse.UnmatchedTokens is [var first, ..] && !first.StartsWith('-'))
        {
            string? nearest = Nearest(first, root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name));
            string quoted = Quantities.Quote(first);
            return nearest is null ? $"unknown command {quoted}" : $"unknown command {quoted} (did you mean '{nearest}'?)";
        }
        return Of(parse.Errors[0].Message);
    }

    /// <summary>The name closest to <paramref name="typed"/> by edit distance, when it is close enough to be a typo (at most a third of its letters, and 2).</summary>
    internal static string? Nearest(string typed, IEnumerable<string> names)
    {
        string lower = typed.ToLowerInvariant();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in names)
        {
            int d = Distance(lower, name);
            if (d < bestDistance) (best, bestDistance) = (name, d);
        }
        return best is not null && bestDistance <= Math.Min(2, Math.Max(1, typed.Length / 3)) ? best : null;
    }

    // Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours cost 1.
    private static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }

    public static string Of(string message)
    {
        string line = CliApplication.OneLine(message);
        Match m = TypeMismatch().Match(line);
        if (!m.Success) return line;
        string expected = Expected(m.Groups["type"].Value);
        return $"{m.Groups["name"].Value} expects {expected}, got '{m.Groups["value"].Value}'";
    }

    /// <summary>What a value of the .NET type <paramref name="type"/> is, in words (nullable types as their value type).</summary>
    private static string Expected(string type)
    {
        const string nullable = "System.Nullable`1[";
        if (type.StartsWith(nullable, StringComparison.Ordinal) && type.EndsWith(']')) type = type[nullable.Length..^1];
        return type switch
        {
            "System.Int32" or "System.Int64" or "System.Int16" => "a whole number",
            "System.UInt32" or "System.UInt64" or "System.UInt16" or "System.Byte" => "a whole number, 0 or more",
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration",
            "System.DateTime" or "System.DateTimeOffset" => "a date and time",
            _ => "a value of another form",
        };
    }
}
