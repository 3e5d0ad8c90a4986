using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>One secret pattern: its name (used in <c>[REDACTED:name]</c>) and its regular expression.</summary>
/// <param name="Name">A short snake_case name.</param>
/// <param name="Pattern">The expression; when it has a group named <c>secret</c>, only that group is replaced.</param>
/// <param name="MinEntropyBitsPerChar">When above 0, a match whose secret part has less Shannon entropy is kept.</param>
/// <param name="Generic">Matched in a second pass, after the specific patterns, so a known token keeps its own name.</param>
internal sealed record SecretPattern(string Name, string Pattern, double MinEntropyBitsPerChar = 0, bool Generic = false);

/// <summary>How many secrets a redactor replaced, by pattern name.</summary>
internal sealed class RedactionTally
{
    private readonly SortedDictionary<string, int> _byPattern = new(StringComparer.Ordinal);

    /// <summary>Replacements made.</summary>
    public int Count { get; private set; }

    /// <summary>Lines longer than the line bound whose tail was stored without redaction.</summary>
    public int UnredactedLongLines { get; set; }

    /// <summary>Replacements per pattern name.</summary>
    public IReadOnlyDictionary<string, int> ByPattern => _byPattern;

    public void Add(string pattern)
    {
        Count++;
        _byPattern[pattern] = _byPattern.GetValueOrDefault(pattern) + 1;
    }
}

/// <summary>
/// Replaces secrets with <c>[REDACTED:&lt;pattern&gt;]</c> before anything is written: journal fields, captured
/// output (line by line, see <see cref="LineRedactor"/>), blobs, samples, and so the index and provider events.
/// The built-in set (<see cref="BuiltInPatterns"/>) is documented in docs/reliability.md; users add patterns in
/// <c>&lt;data root&gt;/redaction.json</c> (<see cref="Load"/>). Text is never dropped: only the secret part of a match
/// is replaced, and bytes are handled as Latin-1 (one char per byte) so bytes outside matches stay exactly as they were.
/// </summary>
internal sealed class SecretRedactor
{
    /// <summary>The file in the data root with extra patterns.</summary>
    public const string ConfigFileName = "redaction.json";

    /// <summary>The largest redaction.json read (a resource limit on user-controlled input, shared with milestones.json).</summary>
    public const int MaxConfigBytes = InputLimits.MaxConfigFileBytes;

    private const string SecretNames = @"(?i:(?:[A-Za-z0-9]+[_.-])*(?:secret|token|password|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth)(?:[_.-][A-Za-z0-9]+)*)";

    /// <summary>The built-in patterns, in the order they are tried.</summary>
    public static readonly IReadOnlyList<SecretPattern> BuiltInPatterns =
    [
        new("private_key", @"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?<secret>[\s\S]*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\r?$)"),
        new("aws_access_key_id", @"(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])"),
        new("aws_secret_access_key", @"(?i:aws_?secret_?(?:access_?)?key)[""']?\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"),
        new("github_token", @"(?<![A-Za-z0-9_])(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])"),
        new("gitlab_token", @"(?<![A-Za-z0-9_])glpat-[A-Za-z0-9_-]{20,255}(?![A-Za-z0-9_-])"),
        new("npm_token", @"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])"),
        new("pypi_token", @"(?<![A-Za-z0-9_])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        new("nuget_api_key", @"(?<![A-Za-z0-9_])oy2[a-z0-9]{43}(?![A-Za-z0-9_])"),
        new("slack_token", @"(?<![A-Za-z0-9_])xox[abposr]-[A-Za-z0-9-]{10,250}"),
        new("slack_webhook", @"https://hooks\.slack\.com/services/(?<secret>T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+)"),
        new("google_api_key", @"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
        new("jwt", @"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}"),
        new("url_password", @"[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@""']{1,256}:(?<secret>[^\s@/""']{1,256})@"),
        new("password_argument", @"(?<![A-Za-z0-9_-])--?(?i:password|passwd|pass|pwd|token|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)(?:=|\s+)(?![""']?\[REDACTED:)(?<secret>(?!-)[^\s""']+|""[^""]*""|'[^']*')", Generic: true),
        new("secret_assignment", @"(?<![A-Za-z0-9])" + SecretNames + @"[""']?\s*[:=]\s*[""']?(?<secret>(?![$\[{<(])[^\s""'`,;]{8,512})", MinEntropyBitsPerChar: 3.0, Generic: true),
    ];

    private readonly Regex _specific;
    private readonly Regex _generic;
    private readonly Regex _privateKeyEnd = new(@"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", RegexOptions.CultureInvariant | RegexOptions.Compiled);
    private readonly SecretPattern[] _patterns;

    /// <summary>
    /// Strings (compared ignoring case) of which every match of a specific built-in pattern contains at least one:
    /// a PEM header, the fixed token prefixes, "secret" (aws_secret_access_key) and "://" (a password in a URL).
    /// </summary>
    internal static readonly string[] SpecificNeedles =
    [
        "-----BEGIN", "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA",
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "npm_", "pypi-", "oy2", "xox",
        "hooks.slack.com", "AIza", "eyJ", "secret", "://",
    ];

    /// <summary>
    /// The words every match of the two generic patterns contains one of (password/passwd/pass, pwd, token,
    /// secret, api_key/apikey/access_key/private_key (all contain "key"), credential(s), auth); a match also needs
    /// one of <c>- : =</c> (the option dash, or the assignment).
    /// </summary>
    internal static readonly string[] GenericNeedles = ["pass", "pwd", "token", "secret", "key", "credential", "auth"];

    private static readonly SearchValues<string> s_specificNeedles = SearchValues.Create(SpecificNeedles, StringComparison.OrdinalIgnoreCase);
    private static readonly SearchValues<string> s_genericNeedles = SearchValues.Create(GenericNeedles, StringComparison.OrdinalIgnoreCase);
    private static readonly SearchValues<char> s_genericPunctuation = SearchValues.Create("-:=");

    // A line with no needle cannot hold a built-in secret, so it skips the regexes: most terminal output (numbers,
    // paths, compiler and test lines) costs one or two vectorised scans. Only while the patterns are the built-in
    // set: a user pattern in redaction.json can match anything.
    private readonly bool _prefilter;

    private bool MaySpecific(ReadOnlySpan<char> text) => !_prefilter || text.ContainsAny(s_specificNeedles);

    private bool MayGeneric(ReadOnlySpan<char> text) => !_prefilter || (text.ContainsAny(s_genericPunctuation) && text.ContainsAny(s_genericNeedles));

    private SecretRedactor(IReadOnlyList<SecretPattern> patterns, bool usePrefilter = true)
    {
        _patterns = [.. patterns];
        _specific = Combine(generic: false);
        _generic = Combine(generic: true);
        bool builtInOnly = _patterns.Length == BuiltInPatterns.Count && _patterns.Zip(BuiltInPatterns).All(p => ReferenceEquals(p.First, p.Second));
        _prefilter = usePrefilter && builtInOnly;
    }

    /// <summary>The built-in set with every line run through the regexes (what the prefilter must never change).</summary>
    internal static SecretRedactor BuiltInWithoutPrefilter() => new(BuiltInPatterns, usePrefilter: false);

    /// <summary>False when <paramref name="text"/> cannot contain a secret any pattern in use matches.</summary>
    public bool MayContainSecret(ReadOnlySpan<char> text) => MaySpecific(text) || MayGeneric(text);

    // One alternation per pass: group p{i} is pattern i, s{i} its secret part.
    private Regex Combine(bool generic)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < _patterns.Length; i++)
        {
            if (_patterns[i].Generic != generic) continue;
            if (sb.Length > 0) sb.Append('|');
            string body = _patterns[i].Pattern.Replace("(?<secret>", $"(?<s{i}>", StringComparison.Ordinal);
            sb.Append(CultureInfo.InvariantCulture, $"(?<p{i}>{body})");
        }
        return new Regex(sb.Length == 0 ? "(?!)" : sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(2));
    }

    /// <summary>The built-in set only.</summary>
    public static SecretRedactor BuiltIn { get; } = new(BuiltInPatterns);

    /// <summary>The names of the patterns in use.</summary>
    public IEnumerable<string> PatternNames => _patterns.Select(p => p.Name);

    /// <summary>
    /// The built-in set plus the patterns of <c>&lt;dataRoot&gt;/redaction.json</c>:
    /// <c>{"patterns":[{"name":"internal_ticket_token","regex":"TKT-[0-9a-f]{32}"}]}</c>. A malformed file yields
    /// the built-in set and a one-line <paramref name="error"/> naming the file and line.
    /// </summary>
    public static SecretRedactor Load(string dataRoot, out string? error)
    {
        error = null;
        string path = Path.Combine(dataRoot, ConfigFileName);
        if (!File.Exists(path)) return BuiltIn;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxConfigBytes)
            {
                error = $"{path}: larger than {MaxConfigBytes} bytes; using the built-in redaction patterns only";
                return BuiltIn;
            }
            var extra = ParseConfig(File.ReadAllBytes(path), path);
            return extra.Count == 0 ? BuiltIn : new SecretRedactor([.. BuiltInPatterns, .. extra]);
        }
        catch (RedactionConfigException ex)
        {
            error = $"{ex.Message}; using the built-in redaction patterns only";
            return BuiltIn;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: cannot be read ({ex.Message}); using the built-in redaction patterns only";
            return BuiltIn;
        }
    }

    /// <summary>Parses redaction.json; throws <see cref="RedactionConfigException"/> naming file and line, one printable line.</summary>
    internal static List<SecretPattern> ParseConfig(byte[] json, string path)
    {
        try
        {
            return ParseConfigEntries(json, path);
        }
        catch (RedactionConfigException ex) when (Events.PrintableText.Escape(ex.Message) != ex.Message)
        {
            // A pattern name such as "a\nb" was quoted with its raw newline (covered by the redaction-config fuzz target).
            throw new RedactionConfigException(Events.PrintableText.Escape(ex.Message));
        }
        catch (InvalidOperationException ex)
        {
            // A \ud800 escape without its low surrogate in a property name: System.Text.Json throws
            // InvalidOperationException on reading it.
            throw new RedactionConfigException($"{path}:1: a string holds an invalid \\u escape ({Events.PrintableText.Escape(ex.Message)})");
        }
    }

    private static List<SecretPattern> ParseConfigEntries(byte[] json, string path)
    {
        var list = new List<SecretPattern>();
        // Found by MutationFuzzTests: invalid UTF-8 inside a string made GetString() throw InvalidOperationException.
        char[] scratch = new char[json.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(json, scratch, out int bytesRead, out _, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new RedactionConfigException($"{path}:{1 + json.AsSpan(0, bytesRead).Count((byte)'\n')}: not valid UTF-8 (byte {bytesRead + 1})");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new RedactionConfigException($"{path}:{(ex.LineNumber ?? 0) + 1}: not valid JSON ({FirstSentence(ex.Message)})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("patterns", out var patterns) || patterns.ValueKind != JsonValueKind.Array)
                throw new RedactionConfigException($"{path}:1: expected {{\"patterns\": [{{\"name\": ..., \"regex\": ...}}]}}");
            int index = 0;
            foreach (var p in patterns.EnumerateArray())
            {
                index++;
                int line = LineOfEntry(json, index);
                if (p.ValueKind != JsonValueKind.Object
                    || !p.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !p.TryGetProperty("regex", out var regex) || regex.ValueKind != JsonValueKind.String)
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} needs string fields \"name\" and \"regex\"");
                string n = name.GetString()!, r = regex.GetString()!;
                if (n.Length is 0 or > 64 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} name '{n}' must be 1-64 letters, digits, '_' or '-'");
                if (r.Length is 0 or > 4096) throw new RedactionConfigException($"{path}:{line}: pattern {index} ({n}): regex must be 1-4096 characters");
                try
                {
                    _ = new Regex(r, RegexOptions.CultureInvariant);
                }
                catch (ArgumentException ex)
                {
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} ({n}): invalid regex ({FirstSentence(ex.Message)})");
                }
                if (Regex.IsMatch(r, @"\(\?<(?!secret>)[A-Za-z]")) r = Regex.Replace(r, @"\(\?<(?![=!])(?!secret>)([A-Za-z][A-Za-z0-9_]*)>", "(?:");
                list.Add(new SecretPattern(n, r));
                if (list.Count > 256) throw new RedactionConfigException($"{path}:{line}: more than 256 patterns");
            }
        }
        return list;
    }

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return (dot > 0 ? message[..dot] : message).ReplaceLineEndings(" ");
    }

    // The 1-based line where the index-th '{' after "patterns" opens (good enough to point at an entry).
    private static int LineOfEntry(byte[] json, int index)
    {
        int line = 1, seen = 0, depth = 0;
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (b == '\n') line++;
            if (inString)
            {
                if (b == '\\') i++;
                else if (b == '"') inString = false;
                continue;
            }
            if (b == '"') inString = true;
            else if (b == '{')
            {
                depth++;
                if (depth == 2 && ++seen == index) return line;
            }
            else if (b == '}') depth--;
        }
        return line;
    }

    /// <summary>Replaces every secret in <paramref name="text"/>; counts them in <paramref name="tally"/>.</summary>
    public string Redact(string text, RedactionTally? tally)
    {
        if (string.IsNullOrEmpty(text)) return text;
        try
        {
            string specific = MaySpecific(text) ? _specific.Replace(text, m => Replace(m, tally)) : text;
            return MayGeneric(specific) ? _generic.Replace(specific, m => Replace(m, tally)) : specific;
        }
        catch (RegexMatchTimeoutException)
        {
            tally?.Add("timeout");
            return "[REDACTED:timeout]";
        }
    }

    private string Replace(Match m, RedactionTally? tally)
    {
        for (int i = 0; i < _patterns.Length; i++)
        {
            var whole = m.Groups["p" + i.ToString(CultureInfo.InvariantCulture)];
            if (!whole.Success || whole.Length == 0 && m.Length > 0) continue;
            var pattern = _patterns[i];
            var secret = m.Groups["s" + i.ToString(CultureInfo.InvariantCulture)];
            var target = secret.Success ? secret : whole;
            if (pattern.MinEntropyBitsPerChar > 0 && !LooksRandom(target.Value, pattern.MinEntropyBitsPerChar)) return m.Value;
            if (target.Length == 0 && pattern.Name != "private_key") return m.Value; // a key header alone still marks the block
            tally?.Add(pattern.Name);
            return string.Concat(m.Value[..(target.Index - m.Index)], "[REDACTED:" + pattern.Name + "]", m.Value[(target.Index - m.Index + target.Length)..]);
        }
        return m.Value;
    }

    /// <summary>Shannon entropy per character at least <paramref name="minBits"/>, and not a plain word or number.</summary>
    internal static bool LooksRandom(string value, double minBits)
    {
        if (value.StartsWith("[REDACTED:", StringComparison.Ordinal)) return false;
        if (value.All(char.IsAsciiDigit)) return false;
        // A generated secret mixes at least two of lower case, upper case and digits; words and names do not.
        int classes = (value.Any(char.IsAsciiLetterLower) ? 1 : 0) + (value.Any(char.IsAsciiLetterUpper) ? 1 : 0) + (value.Any(char.IsAsciiDigit) ? 1 : 0);
        if (classes < 2) return false;
        return Entropy(value) >= minBits;
    }

    internal static double Entropy(string value)
    {
        if (value.Length == 0) return 0;
        var counts = new Dictionary<char, int>();
        foreach (char c in value) counts[c] = counts.GetValueOrDefault(c) + 1;
        double h = 0;
        foreach (int n in counts.Values)
        {
            double p = (double)n / value.Length;
            h -= p * Math.Log2(p);
        }
        return h;
    }

    /// <summary>A line-by-line redactor for one output stream (keeps the private-key state across lines).</summary>
    public LineRedactor CreateLineRedactor(int maxLineBytes = LineRedactor.DefaultMaxLineBytes) => new(this, maxLineBytes);

    internal bool EndsPrivateKey(string line, out int endIndex)
    {
        var m = _privateKeyEnd.Match(line);
        endIndex = m.Success ? m.Index + m.Length : -1;
        return m.Success;
    }

    internal static bool StartsPrivateKeyWithoutEnd(string redactedLine) =>
        redactedLine.Contains("[REDACTED:private_key]", StringComparison.Ordinal)
        && !redactedLine.Contains("-----END", StringComparison.Ordinal)
        && redactedLine.Contains("-----BEGIN", StringComparison.Ordinal);
}

/// <summary>redaction.json is malformed; the message names the file and line.</summary>
internal sealed class RedactionConfigException(string message) : Exception(message);

/// <summary>Redacts the string values of journal fields and records what was replaced as <c>redactions</c>.</summary>
internal static class FieldRedaction
{
    /// <summary>The field recording what redaction replaced: <c>{"count": n, "patterns": {"name": n}, "unredacted_long_lines": n}</c>.</summary>
    public const string RedactionsField = "redactions";

    // Output already redacted line by line as captured; redacting it again could change bytes the hash covers.
    private static readonly HashSet<string> s_alreadyRedacted = new(StringComparer.Ordinal)
    {
        Events.JournalFields.Output, Events.JournalFields.Stderr, Events.JournalFields.OutputSample, RedactionsField,
    };

    /// <summary>Redacts every string in <paramref name="fields"/> (nested too) except captured output, and records the counts.</summary>
    public static void Apply(System.Text.Json.Nodes.JsonObject fields, SecretRedactor redactor, params RedactionTally?[] streamTallies)
    {
        var tally = new RedactionTally();
        foreach (var key in fields.Select(kv => kv.Key).ToList())
        {
            if (s_alreadyRedacted.Contains(key)) continue;
            if (Redact(fields[key], redactor, tally) is { } replaced) fields[key] = replaced;
        }
        foreach (var t in streamTallies)
        {
            if (t is null) continue;
            foreach (var (name, n) in t.ByPattern) for (int i = 0; i < n; i++) tally.Add(name);
            tally.UnredactedLongLines += t.UnredactedLongLines;
        }
        if (tally.Count == 0 && tally.UnredactedLongLines == 0) return;
        var patterns = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, n) in tally.ByPattern) patterns[name] = n;
        var record = new System.Text.Json.Nodes.JsonObject { ["count"] = tally.Count, ["patterns"] = patterns };
        if (tally.UnredactedLongLines > 0) record["unredacted_long_lines"] = tally.UnredactedLongLines;
        fields[RedactionsField] = record;
    }

    // Returns a replacement for a string value that changed; containers are redacted in place (null returned).
    private static System.Text.Json.Nodes.JsonNode? Redact(System.Text.Json.Nodes.JsonNode? node, SecretRedactor redactor, RedactionTally tally)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonValue v when v.TryGetValue(out string? s):
                string r = redactor.Redact(s, tally);
                return ReferenceEquals(r, s) || r == s ? null : System.Text.Json.Nodes.JsonValue.Create(r);
            case System.Text.Json.Nodes.JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (Redact(o[key], redactor, tally) is { } replaced) o[key] = replaced;
                }
                return null;
            case System.Text.Json.Nodes.JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    if (Redact(a[i], redactor, tally) is { } replaced) a[i] = replaced;
                }
                return null;
            default:
                return null;
        }
    }

    private static readonly System.Text.RegularExpressions.Regex s_secretOption = new(
        @"^--?(?i:password|passwd|pass|pwd|token|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly HashSet<string> s_attachedDashP = new(StringComparer.Ordinal) { "mysql", "mysqldump", "mysqladmin", "mariadb", "mariadb-dump", "mysqlimport", "mysqlshow", "mysqlcheck" };

    /// <summary>
    /// The arguments of a recorded command with option values redacted: the argument after <c>--password</c>,
    /// <c>--token</c>, <c>-p</c>... (separate-argument form) and, for the MySQL/MariaDB clients, <c>-pVALUE</c>.
    /// (<c>--password=VALUE</c> and secrets inside arguments are caught by the patterns when the fields are redacted.)
    /// </summary>
    public static IReadOnlyList<string> Arguments(string program, IReadOnlyList<string> arguments, RedactionTally tally)
    {
        string name = Path.GetFileName(program);
        bool mysqlLike = s_attachedDashP.Contains(name);
        var result = new List<string>(arguments.Count);
        for (int i = 0; i < arguments.Count; i++)
        {
            string a = arguments[i];
            if (i > 0 && s_secretOption.IsMatch(arguments[i - 1]) && a.Length > 0 && !a.StartsWith('-'))
            {
                tally.Add("password_argument");
                result.Add("[REDACTED:password_argument]");
            }
            else if (mysqlLike && a.Length > 2 && a.StartsWith("-p", StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal))
            {
                tally.Add("password_argument");
                result.Add("-p[REDACTED:password_argument]");
            }
            else result.Add(a);
        }
        return result;
    }
}
