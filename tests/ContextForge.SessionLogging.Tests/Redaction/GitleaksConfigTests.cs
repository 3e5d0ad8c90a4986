using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>redaction.toml and --rules FILE: rules in gitleaks' v8 format, read with Tomlyn.</summary>
public sealed class GitleaksConfigTests : IDisposable
{
    private const string Specials = "[]'\"=\n(?{";
    private readonly TempDirectory _dir = new();
    private readonly SecretSamples _samples = new(12);

    public void Dispose() => _dir.Dispose();

    private SecretRedactor LoadToml(string toml, out IReadOnlyList<string> notices)
    {
        File.WriteAllText(_dir.Combine("redaction.toml"), toml);
        return SecretRedactor.Load(_dir.Path, rulesFile: null, out notices);
    }

    [Fact]
    public void Toml_rule_redacts_with_its_id_using_keywords_entropy_and_secret_group()
    {
        var redactor = LoadToml("""
            title = "team rules"

            [[rules]]
            id = "internal-ticket-token"
            description = "Ticket service token"
            regex = '''(?i)ticket[_-]?token\s*=\s*(TKT[0-9a-f]{24})'''
            secretGroup = 1
            entropy = 2.5
            keywords = ["ticket"]
            """, out var notices);
        Assert.Empty(notices);
        string token = "TKT" + _samples.Chars("0123456789abcdef", 24);
        Assert.Equal("TICKET_TOKEN=[REDACTED:internal-ticket-token] ok", redactor.Redact($"TICKET_TOKEN={token} ok", null));
        Assert.Equal("ticket_token=TKT000000000000000000000000", redactor.Redact("ticket_token=TKT000000000000000000000000", null)); // entropy 0: kept
        Assert.Contains("internal-ticket-token", redactor.PatternNames);
    }

    [Fact]
    public void Go_named_groups_and_posix_classes_translate_to_dotnet()
    {
        Assert.Equal("(?<tok>[A-Za-z0-9]{8})", GitleaksConfig.TranslateRe2("(?P<tok>[[:alnum:]]{8})"));
        Assert.Equal(@"x[0-9A-Fa-f\s]\[:alnum:]", GitleaksConfig.TranslateRe2(@"x[[:xdigit:][:space:]]\[:alnum:]"));
    }

    [Fact]
    public void Global_and_rule_allowlists_keep_findings_by_regex_and_stopword()
    {
        var redactor = LoadToml("""
            [allowlist]
            description = "placeholders"
            regexes = ['''EXAMPLE''']

            [[rules]]
            id = "acme-key"
            regex = '''acme_[a-z0-9]{12}'''
            keywords = ["acme_"]
            [rules.allowlist]
            stopwords = ["testtest"]
            """, out var notices);
        Assert.Empty(notices);
        Assert.Equal("k [REDACTED:acme-key]", redactor.Redact("k acme_a1b2c3d4e5f6", null));
        Assert.Equal("k acme_testtest1234", redactor.Redact("k acme_testtest1234", null));
        // The global allowlist applies to built-in rules too (target: the secret).
        string gh = "ghp_" + _samples.Chars("ABCDEFabcdef0123456789", 36);
        Assert.Equal("t [REDACTED:github_token]", redactor.Redact("t " + gh, null));
        string placeholder = "AKIAEXAMPLE" + _samples.Chars("ABCDEF0123456789", 9);
        Assert.Equal("id " + placeholder, redactor.Redact("id " + placeholder, null));
    }

    [Theory]
    [InlineData("github-pat")]
    [InlineData("github_token")]
    public void Disabled_rules_turn_off_a_built_in_rule_by_our_id_or_the_gitleaks_id(string id)
    {
        var redactor = LoadToml($"[extend]\ndisabledRules = [\"{id}\"]\n", out var notices);
        Assert.Empty(notices);
        string gh = "ghp_" + _samples.Chars("ABCDEFabcdef0123456789", 36);
        Assert.Equal("push " + gh, redactor.Redact("push " + gh, null));
        string npm = "npm_" + _samples.Chars("ABCDEFabcdef0123456789", 36);
        Assert.Equal("x [REDACTED:npm_token]", redactor.Redact("x " + npm, null));
        Assert.DoesNotContain("github_token", redactor.PatternNames);
    }

    [Fact]
    public void Bad_rule_is_one_line_naming_file_line_and_rule_and_the_other_rules_still_redact()
    {
        string path = _dir.Combine("redaction.toml");
        var redactor = LoadToml("""
            [[rules]]
            id = "good-one"
            regex = '''good_[0-9]{6}'''

            [[rules]]
            id = "broken"
            regex = '''(unclosed'''

            [[rules]]
            description = "no id"
            regex = '''x'''
            """, out var notices);
        Assert.Equal(2, notices.Count);
        Assert.StartsWith($"{path}:7: rule 'broken': regex does not translate to .NET (", notices[0], StringComparison.Ordinal);
        Assert.EndsWith("; skipped", notices[0], StringComparison.Ordinal);
        Assert.Equal($"{path}:9: rule: needs an id of 1-64 letters, digits, '_', '-' or '.'; skipped", notices[1]);
        Assert.All(notices, n => Assert.DoesNotContain('\n', n));
        Assert.Equal("v [REDACTED:good-one]", redactor.Redact("v good_123456", null));
        string gh = "ghp_" + _samples.Chars("ABCDEFabcdef0123456789", 36);
        Assert.Equal("[REDACTED:github_token]", redactor.Redact(gh, null));
    }

    [Fact]
    public void Invalid_toml_is_one_line_with_its_line_and_the_built_in_rules_stay()
    {
        string path = _dir.Combine("redaction.toml");
        var redactor = LoadToml("[[rules]]\nid = \"a\"\nregex = '''x'''\n[[rules]\n", out var notices);
        var notice = Assert.Single(notices);
        Assert.StartsWith($"{path}:4: not valid TOML (", notice, StringComparison.Ordinal);
        Assert.EndsWith("; using the built-in redaction rules only", notice, StringComparison.Ordinal);
        Assert.Same(SecretRedactor.BuiltIn, redactor);
    }

    [Fact]
    public void Rules_file_parameter_is_read_instead_of_redaction_toml_and_redaction_json_still_applies()
    {
        File.WriteAllText(_dir.Combine("redaction.toml"), "[[rules]]\nid = \"from-data-root\"\nregex = '''root_[0-9]{4}'''\n");
        File.WriteAllText(_dir.Combine("redaction.json"), """{ "patterns": [ { "name": "json_rule", "regex": "JSN-[0-9]{4}" } ] }""");
        string rules = _dir.Combine("team.toml");
        File.WriteAllText(rules, "[[rules]]\nid = \"from-flag\"\nregex = '''flag_[0-9]{4}'''\n");
        var redactor = SecretRedactor.Load(_dir.Path, rules, out var notices);
        Assert.Empty(notices);
        Assert.Equal("[REDACTED:from-flag] root_1234 [REDACTED:json_rule]", redactor.Redact("flag_1234 root_1234 JSN-1234", null));
        SecretRedactor.Load(_dir.Path, _dir.Combine("missing.toml"), out var missing);
        Assert.Equal([$"{_dir.Combine("missing.toml")}: no such file; using the built-in redaction rules"], missing);
    }

    [Fact]
    public void Toml_rule_with_the_id_of_a_built_in_rule_replaces_it()
    {
        var redactor = LoadToml("[[rules]]\nid = \"npm-access-token\"\nregex = '''npm_[A-Za-z0-9]{36}'''\nkeywords = [\"npm_\"]\n", out var notices);
        Assert.Empty(notices);
        string npm = "npm_" + _samples.Chars("ABCDEFabcdef0123456789", 36);
        Assert.Equal("[REDACTED:npm-access-token]", redactor.Redact(npm, null));
    }

    [Fact]
    public void Mutated_toml_never_throws_and_every_notice_is_one_line_naming_the_file()
    {
        byte[] valid = System.Text.Encoding.UTF8.GetBytes("""
            [extend]
            disabledRules = ["jwt"]
            [allowlist]
            regexes = ['''EXAMPLE''']
            stopwords = ["placeholder"]
            [[rules]]
            id = "acme-key"
            regex = '''acme_(?P<s>[[:alnum:]]{12})'''
            secretGroup = 1
            entropy = 3.1
            keywords = ["acme_"]
            [[rules.allowlists]]
            regexTarget = "match"
            regexes = ['''test''']
            """);
        var random = new Random(1234);
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutated = [.. valid];
            for (int k = random.Next(1, 6); k > 0; k--)
            {
                int at = random.Next(mutated.Length);
                mutated[at] = random.Next(4) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)Specials[random.Next(Specials.Length)],
                    2 => 0,
                    _ => mutated[random.Next(mutated.Length)],
                };
            }
            var notices = new List<string>();
            var config = GitleaksConfig.Parse(mutated, "rules.toml", notices);
            Assert.All(notices, n => Assert.StartsWith("rules.toml:", n, StringComparison.Ordinal));
            Assert.All(notices, n => Assert.DoesNotContain('\n', n));
            foreach (var rule in config.Rules) _ = rule.Regex.IsMatch("acme_a1b2c3d4e5f6 " + rule.Id);
        }
    }
}
