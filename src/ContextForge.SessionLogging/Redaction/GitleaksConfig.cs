using System.Text;
using System.Text.RegularExpressions;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>
/// Rules in gitleaks' v8 TOML format (<c>redaction.toml</c> in the data root, or a <c>--rules FILE</c>), read with
/// Tomlyn's syntax tree so every problem names its line. Understood: <c>[[rules]]</c> with <c>id</c>,
/// <c>description</c>, <c>regex</c>, <c>keywords</c>, <c>entropy</c>, <c>secretGroup</c> and their
/// <c>[rules.allowlist]</c> / <c>[[rules.allowlists]]</c>; the global <c>[allowlist]</c> / <c>[[allowlists]]</c>
/// (<c>regexes</c>, <c>stopwords</c>, <c>regexTarget</c>); <c>[extend] disabledRules</c>, which also takes the ids of
/// built-in rules (ours or the gitleaks ids they cover). A rule with a built-in rule's id replaces it. Paths, commits
/// and <c>useDefault</c> have no meaning for terminal output and are ignored (the built-in rules are always on
/// unless disabled). A bad rule is skipped with one notice line; the others are used.
/// </summary>
internal sealed class GitleaksConfig
{
    /// <summary>The file in the data root read when no <c>--rules FILE</c> is given.</summary>
    public const string DefaultFileName = "redaction.toml";

    /// <summary>The most rules one file may define (gitleaks' own default set has about 220).</summary>
    public const int MaxRules = 1024;

    /// <summary>The longest regex accepted.</summary>
    public const int MaxRegexLength = 4096;

    private readonly List<SecretRule> _rules = [];
    private readonly List<string> _disabled = [];
    private readonly List<RuleAllowlist> _allowlists = [];

    /// <summary>The user rules, in file order.</summary>
    public IReadOnlyList<SecretRule> Rules => _rules;

    /// <summary>Built-in rule ids to turn off (from <c>disabledRules</c> and from user rules of the same id).</summary>
    public IReadOnlyList<string> DisabledRules => _disabled;

    /// <summary>The global allowlists (<c>[allowlist]</c>, <c>[[allowlists]]</c>).</summary>
    public IReadOnlyList<RuleAllowlist> Allowlists => _allowlists;

    /// <summary>True when the file changes nothing.</summary>
    public bool IsEmpty => _rules.Count == 0 && _disabled.Count == 0 && _allowlists.Count == 0;

    /// <summary>Reads <paramref name="path"/>; never throws: problems are appended to <paramref name="notices"/>, one line each.</summary>
    public static GitleaksConfig Load(string path, List<string> notices)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                notices.Add($"{path}: no such file; using the built-in redaction rules");
                return new GitleaksConfig();
            }
            if (info.Length > SecretRedactor.MaxConfigBytes)
            {
                notices.Add($"{path}: larger than {SecretRedactor.MaxConfigBytes} bytes; using the built-in redaction rules only");
                return new GitleaksConfig();
            }
            return Parse(File.ReadAllBytes(path), path, notices);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            notices.Add($"{path}: cannot be read ({Escape(ex.Message)}); using the built-in redaction rules only");
            return new GitleaksConfig();
        }
    }

    /// <summary>Parses the TOML text; each problem is one line <c>path:line: ...</c> in <paramref name="notices"/>.</summary>
    internal static GitleaksConfig Parse(byte[] bytes, string path, List<string> notices)
    {
        var config = new GitleaksConfig();
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            notices.Add($"{path}:1: not valid UTF-8; using the built-in redaction rules only");
            return config;
        }
        DocumentSyntax doc;
        try
        {
            doc = SyntaxParser.Parse(text, path, true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            notices.Add($"{path}:1: not valid TOML ({Escape(ex.Message)}); using the built-in redaction rules only");
            return config;
        }
        if (doc.HasErrors)
        {
            var first = doc.Diagnostics.First(d => d.Kind == DiagnosticMessageKind.Error);
            notices.Add($"{path}:{first.Span.Start.Line + 1}: not valid TOML ({Escape(first.Message)}); using the built-in redaction rules only");
            return config;
        }

        RuleDraft? current = null;
        var drafts = new List<RuleDraft>();
        foreach (var table in doc.Tables)
        {
            string name = KeyName(table.Name);
            int line = table.Span.Start.Line + 1;
            var items = table.Items.ToList();
            switch (name)
            {
                case "rules" when table is TableArraySyntax:
                    current = new RuleDraft(line, items);
                    drafts.Add(current);
                    break;
                case "rules.allowlist" or "rules.allowlists" when current is not null:
                    current.Allowlists.Add((line, items));
                    break;
                case "allowlist" or "allowlists":
                    if (ReadAllowlist(items, path, line, "the global allowlist", notices) is { } global) config._allowlists.Add(global);
                    break;
                case "extend":
                    foreach (var kv in items)
                    {
                        if (KeyName(kv.Key) == "disabledRules") config._disabled.AddRange(Strings(kv.Value));
                    }
                    break;
                default:
                    break; // title, paths and anything newer than this reader: not about terminal output
            }
        }
        foreach (var d in drafts)
        {
            if (config._rules.Count >= MaxRules)
            {
                notices.Add($"{path}:{d.Line}: more than {MaxRules} rules; the rest are skipped");
                break;
            }
            if (ReadRule(d, path, notices) is { } rule)
            {
                config._rules.Add(rule);
                config._disabled.Add(rule.Id); // a user rule with a built-in id replaces it
            }
        }
        return config;
    }

    private sealed class RuleDraft(int line, List<KeyValueSyntax> items)
    {
        public int Line { get; } = line;
        public List<KeyValueSyntax> Items { get; } = items;
        public List<(int Line, List<KeyValueSyntax> Items)> Allowlists { get; } = [];
    }

    private static SecretRule? ReadRule(RuleDraft d, string path, List<string> notices)
    {
        string? id = null, description = null, regex = null;
        int regexLine = d.Line;
        double entropy = 0;
        int secretGroup = -1;
        var keywords = new List<string>();
        foreach (var kv in d.Items)
        {
            switch (KeyName(kv.Key))
            {
                case "id": id = (kv.Value as StringValueSyntax)?.Value; break;
                case "description": description = (kv.Value as StringValueSyntax)?.Value; break;
                case "regex":
                    regex = (kv.Value as StringValueSyntax)?.Value;
                    regexLine = kv.Span.Start.Line + 1;
                    break;
                case "entropy":
                    entropy = kv.Value switch { FloatValueSyntax f => f.Value, IntegerValueSyntax i => i.Value, _ => 0 };
                    break;
                case "secretGroup":
                    if (kv.Value is IntegerValueSyntax g) secretGroup = (int)Math.Clamp(g.Value, 0, 99);
                    break;
                case "keywords": keywords.AddRange(Strings(kv.Value).Where(k => k.Length > 0)); break;
                default: break; // path, tags: not about terminal output
            }
        }
        string label = id is null ? "rule" : $"rule '{Escape(id)}'";
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            notices.Add($"{path}:{d.Line}: {label}: needs an id of 1-64 letters, digits, '_', '-' or '.'; skipped");
            return null;
        }
        if (string.IsNullOrEmpty(regex))
        {
            notices.Add($"{path}:{d.Line}: {label}: no regex (a path-only rule does not apply to output); skipped");
            return null;
        }
        if (regex.Length > MaxRegexLength)
        {
            notices.Add($"{path}:{regexLine}: {label}: regex longer than {MaxRegexLength} characters; skipped");
            return null;
        }
        Regex compiled;
        try
        {
            compiled = SecretRedactor.UserRegex(TranslateRe2(regex));
        }
        catch (ArgumentException ex)
        {
            notices.Add($"{path}:{regexLine}: {label}: regex does not translate to .NET ({Escape(SecretRedactor.FirstSentence(ex.Message))}); skipped");
            return null;
        }
        if (secretGroup > 0 && secretGroup >= compiled.GetGroupNumbers().Length)
        {
            notices.Add($"{path}:{regexLine}: {label}: secretGroup {secretGroup} is not a group of the regex; skipped");
            return null;
        }
        var allowlists = new List<RuleAllowlist>();
        foreach (var (line, items) in d.Allowlists)
        {
            if (ReadAllowlist(items, path, line, label, notices) is { } a) allowlists.Add(a);
        }
        return new SecretRule
        {
            Id = id, Description = description ?? "", Keywords = keywords, Regex = compiled, MinEntropy = entropy,
            SecretGroup = secretGroup is > 0 ? secretGroup : -1, Allowlists = allowlists,
        };
    }

    private static RuleAllowlist? ReadAllowlist(List<KeyValueSyntax> items, string path, int line, string owner, List<string> notices)
    {
        var regexes = new List<Regex>();
        var stopwords = new List<string>();
        bool matchTarget = false;
        foreach (var kv in items)
        {
            switch (KeyName(kv.Key))
            {
                case "regexes":
                    foreach (string r in Strings(kv.Value))
                    {
                        try
                        {
                            regexes.Add(SecretRedactor.UserRegex(TranslateRe2(r)));
                        }
                        catch (ArgumentException ex)
                        {
                            notices.Add($"{path}:{kv.Span.Start.Line + 1}: allowlist of {owner}: regex does not translate to .NET ({Escape(SecretRedactor.FirstSentence(ex.Message))}); that regex is skipped");
                        }
                    }
                    break;
                case "stopwords": stopwords.AddRange(Strings(kv.Value).Where(s => s.Length > 0)); break;
                case "regexTarget": matchTarget = (kv.Value as StringValueSyntax)?.Value is "match" or "line"; break;
                default: break;
            }
        }
        return regexes.Count == 0 && stopwords.Count == 0 ? null : new RuleAllowlist { Regexes = regexes, StopWords = stopwords, MatchTarget = matchTarget };
    }

    /// <summary>
    /// Go RE2 syntax to .NET: <c>(?P&lt;name&gt;</c> named groups and POSIX classes such as <c>[[:alnum:]]</c>; the rest
    /// (flags, classes, <c>\x60</c>, <c>\z</c>) reads the same.
    /// </summary>
    internal static string TranslateRe2(string re2)
    {
        var sb = new StringBuilder(re2.Length);
        for (int i = 0; i < re2.Length; i++)
        {
            if (re2[i] == '\\' && i + 1 < re2.Length)
            {
                sb.Append(re2, i, 2);
                i++;
                continue;
            }
            if (string.CompareOrdinal(re2, i, "(?P<", 0, 4) == 0)
            {
                sb.Append("(?<");
                i += 3;
                continue;
            }
            if (string.CompareOrdinal(re2, i, "[:", 0, 2) == 0)
            {
                int close = re2.IndexOf(":]", i + 2, StringComparison.Ordinal);
                if (close > 0 && Posix(re2[(i + 2)..close]) is { } cls)
                {
                    sb.Append(cls);
                    i = close + 1;
                    continue;
                }
            }
            sb.Append(re2[i]);
        }
        return sb.ToString();
    }

    private static string? Posix(string name) => name switch
    {
        "alnum" => "A-Za-z0-9",
        "alpha" => "A-Za-z",
        "digit" => "0-9",
        "xdigit" => "0-9A-Fa-f",
        "upper" => "A-Z",
        "lower" => "a-z",
        "space" => @"\s",
        "word" => @"\w",
        "punct" => @"!-/:-@\[-`{-~",
        "blank" => @" \t",
        _ => null,
    };

    private static IEnumerable<string> Strings(ValueSyntax? value) =>
        value is ArraySyntax array
            ? array.Items.Select(i => (i.Value as StringValueSyntax)?.Value).OfType<string>()
            : value is StringValueSyntax s && s.Value is { } one ? [one] : [];

    private static string KeyName(KeySyntax? key)
    {
        if (key is null) return "";
        var parts = new List<string> { Part(key.Key) };
        foreach (var dot in key.DotKeys) parts.Add(Part(dot.Key));
        return string.Join('.', parts);

        static string Part(BareKeyOrStringValueSyntax? k) => k switch
        {
            BareKeySyntax b => b.Key?.Text ?? "",
            StringValueSyntax s => s.Value ?? "",
            _ => "",
        };
    }

    private static string Escape(string s) => Events.PrintableText.Escape(s.ReplaceLineEndings(" "));
}
