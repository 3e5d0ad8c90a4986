using System.Globalization;
using System.Text;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>The line printed on stderr at the end of a run that redacted something.</summary>
internal static class RedactionSummary
{
    /// <summary>
    /// <c>cfsession: redacted 3 secrets (github_token ×2, openai_api_key)</c>: the total, then each rule id, the most
    /// frequent first (ties by id), with its count when above one. Null when nothing was redacted.
    /// </summary>
    public static string? Format(RedactionTally tally)
    {
        if (tally.Count == 0) return null;
        var sb = new StringBuilder("cfsession: redacted ");
        sb.Append(tally.Count.ToString(CultureInfo.InvariantCulture)).Append(tally.Count == 1 ? " secret (" : " secrets (");
        bool first = true;
        foreach (var (id, n) in tally.ByPattern.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(id);
            if (n > 1) sb.Append(" ×").Append(n.ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(')').ToString();
    }

    /// <summary>The counts of several streams (stdout, stderr, the arguments) as one tally.</summary>
    public static RedactionTally Combine(params RedactionTally?[] tallies)
    {
        var total = new RedactionTally();
        foreach (var t in tallies)
        {
            if (t is not null) total.AddAll(t);
        }
        return total;
    }
}
