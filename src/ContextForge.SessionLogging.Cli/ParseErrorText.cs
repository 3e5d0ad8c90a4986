using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// System.CommandLine's parse errors in the user's words: a value that is not a number names the option and what it
/// expects (<c>--limit expects a whole number, got 'abc'</c>) instead of a .NET type name
/// (<c>as expected type 'System.Nullable`1[System.Int32]'</c>). Every other message is kept as it is, on one line.
/// </summary>
internal static partial class ParseErrorText
{
    [GeneratedRegex(@"\ACannot parse argument '(?<value>.*)' for (?:option|argument|command) '(?<name>[^']*)' as expected type '(?<type>[^']+)'\.?\z", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex TypeMismatch();

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
