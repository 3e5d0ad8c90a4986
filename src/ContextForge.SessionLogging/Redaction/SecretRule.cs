using System.Numerics;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>
/// One redaction rule. A built-in rule is <see cref="Anchored"/>: its regex starts with <c>\G</c> and is tried only where
/// one of its <see cref="Keywords"/> occurs (minus <see cref="KeywordOffset"/>), so a line costs one vectorised needle
/// scan plus a few anchored attempts. A user rule (redaction.json, redaction.toml) is unanchored: its keywords, when it
/// has any, only decide whether the line is examined (gitleaks' semantics); without keywords every line is.
/// </summary>
internal sealed class SecretRule
{
    /// <summary>The name recorded in <c>[REDACTED:id]</c> and in the per-rule counts.</summary>
    public required string Id { get; init; }

    /// <summary>What the rule finds, one line (docs/redaction.md lists them).</summary>
    public string Description { get; init; } = "";

    /// <summary>Strings (compared ignoring case) of which every match contains one; empty: every line is examined.</summary>
    public IReadOnlyList<string> Keywords { get; init; } = [];

    /// <summary>The expression; a group named <c>secret</c>, or <see cref="SecretGroup"/>, limits what is replaced.</summary>
    public required Regex Regex { get; init; }

    /// <summary>The regex starts with <c>\G</c> and a match begins <see cref="KeywordOffset"/> characters before a keyword.</summary>
    public bool Anchored { get; init; }

    /// <summary>How far before the keyword an anchored match begins (a mailchimp key's 32 hex digits before "-us").</summary>
    public int KeywordOffset { get; init; }

    /// <summary>When above 0, a secret with less Shannon entropy per character, or of one character class, is kept.</summary>
    public double MinEntropy { get; init; }

    /// <summary>Matched after every specific rule, so a known token keeps its own name.</summary>
    public bool Generic { get; init; }

    /// <summary>A gitleaks group number for the secret (0: the whole match); -1: the group named <c>secret</c> if any.</summary>
    public int SecretGroup { get; init; } = -1;

    /// <summary>The gitleaks rule ids this rule covers; any of them disables it in <c>[extend] disabledRules</c>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Secrets this rule keeps (gitleaks <c>[rules.allowlist]</c>, <c>[[rules.allowlists]]</c>).</summary>
    public IReadOnlyList<RuleAllowlist> Allowlists { get; init; } = [];

    /// <summary>Optional: a test that saves the regex attempt where it cannot match (most keyword hits in source code).</summary>
    public RulePrecheck? Precheck { get; init; }

    /// <summary>An empty secret group is still a match (a PEM header alone marks the start of a key block).</summary>
    public bool AllowEmptySecret { get; init; }

    internal bool IsNamed(string id) =>
        Normalize(Id) == Normalize(id) || Aliases.Any(a => Normalize(a) == Normalize(id));

    private static string Normalize(string id) => id.Replace('-', '_').ToLowerInvariant();
}

/// <summary>A cheap test at a keyword, before the regex: false when no match can start there.</summary>
internal abstract class RulePrecheck
{
    /// <summary>Whether a match may start at the keyword at <paramref name="keywordAt"/> of <paramref name="text"/> (a line).</summary>
    public abstract bool At(ReadOnlySpan<char> text, int keywordAt);

    /// <summary>
    /// The same test on captured bytes read as Latin-1 (a block of lines, before any is widened to chars): true wherever
    /// <see cref="At(ReadOnlySpan{char}, int)"/> on the keyword's line is true, and possibly elsewhere (the bytes go on
    /// past the line's ends).
    /// </summary>
    public abstract bool At(ReadOnlySpan<byte> bytes, int keywordAt);
}

/// <summary>A precheck written once over chars or bytes (<see cref="IPrecheckTest"/>).</summary>
internal sealed class RulePrecheck<TTest> : RulePrecheck where TTest : IPrecheckTest
{
    public override bool At(ReadOnlySpan<char> text, int keywordAt) => TTest.At(text, keywordAt);

    public override bool At(ReadOnlySpan<byte> bytes, int keywordAt) => TTest.At(bytes, keywordAt);
}

/// <summary>The test of a <see cref="RulePrecheck{TTest}"/>, over chars or over bytes read as Latin-1 (byte b is char b).</summary>
internal interface IPrecheckTest
{
    static abstract bool At<T>(ReadOnlySpan<T> text, int keywordAt) where T : unmanaged, IBinaryInteger<T>;
}

/// <summary>gitleaks' allowlist: a finding is kept (not redacted) when a regex matches its secret or it holds a stopword.</summary>
internal sealed class RuleAllowlist
{
    /// <summary>Expressions tried on the secret (gitleaks' default <c>regexTarget = "secret"</c>) or on the whole match.</summary>
    public IReadOnlyList<Regex> Regexes { get; init; } = [];

    /// <summary>True: <see cref="Regexes"/> are tried on the whole match (<c>regexTarget = "match"</c> or <c>"line"</c>).</summary>
    public bool MatchTarget { get; init; }

    /// <summary>Words (compared ignoring case) that, found in the secret, keep it.</summary>
    public IReadOnlyList<string> StopWords { get; init; } = [];

    /// <summary>Whether a finding with this secret and match is allowed (kept as it is).</summary>
    public bool Allows(ReadOnlySpan<char> secret, ReadOnlySpan<char> match)
    {
        foreach (string word in StopWords)
        {
            if (secret.Contains(word, StringComparison.OrdinalIgnoreCase)) return true;
        }
        var target = MatchTarget ? match : secret;
        foreach (var regex in Regexes)
        {
            if (regex.IsMatch(target)) return true;
        }
        return false;
    }
}
