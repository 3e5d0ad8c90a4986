using System.Globalization;

namespace ContextForge.SessionLogging.Events;

/// <summary>The one parser of keyword lists given on command lines (history, trace query).</summary>
internal static class SessionKeywordsText
{
    /// <summary>Parses <c>session,terminal,achievement,milestone</c> (any subset) or a number such as <c>0x5</c>.</summary>
    public static SessionKeywords Parse(string text)
    {
        string t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && long.TryParse(t[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long hex)) return (SessionKeywords)hex;
        if (long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long dec)) return (SessionKeywords)dec;
        var keywords = SessionKeywords.None;
        foreach (string part in t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            keywords |= part.ToLowerInvariant() switch
            {
                "session" => SessionKeywords.Session,
                "terminal" => SessionKeywords.Terminal,
                "achievement" => SessionKeywords.Achievement,
                "milestone" => SessionKeywords.Milestone,
                _ => throw new FormatException($"unknown keyword '{part}' (use session, terminal, achievement, milestone or a number such as 0x7)"),
            };
        }
        return keywords;
    }
}
