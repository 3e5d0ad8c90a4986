using ContextForge.SessionLogging.Redaction;
using Xunit.Abstractions;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>The built-in rules against a labelled corpus generated from each token format, and their look-alikes.</summary>
public sealed class RuleCoverageTests(ITestOutputHelper output)
{
    private static readonly SecretRedactor Redactor = SecretRedactor.BuiltIn;

    [Fact]
    public void Every_built_in_rule_has_a_unique_id_a_description_keywords_and_a_generated_sample()
    {
        var rules = BuiltInRules.All;
        Assert.Equal(rules.Count, rules.Select(r => r.Id).Distinct().Count());
        Assert.All(rules, r => Assert.False(string.IsNullOrWhiteSpace(r.Description), r.Id));
        Assert.All(rules, r => Assert.NotEmpty(r.Keywords));
        Assert.All(rules, r => Assert.True(r.Anchored, r.Id));
        var sampled = new SecretSamples(1).OneOfEach().Select(p => p.Pattern).Append("private_key").ToHashSet();
        Assert.Equal([], rules.Select(r => r.Id).Where(id => !sampled.Contains(id)).ToList());
    }

    [Fact]
    public void Each_provider_sample_is_replaced_by_its_rule_id_and_nothing_else_on_the_line_changes()
    {
        for (int seed = 0; seed < 100; seed++)
        {
            foreach (var p in new SecretSamples(seed).Providers())
            {
                var tally = new RedactionTally();
                string redacted = Redactor.Redact(p.Line, tally);
                Assert.Equal(p.Line.Replace(p.Secret, $"[REDACTED:{p.Pattern}]", StringComparison.Ordinal), redacted);
                Assert.Equal(1, tally.Count);
            }
        }
    }

    [Fact]
    public void Labelled_corpus_of_50_kinds_has_recall_of_99_percent_and_keeps_99_percent_of_look_alikes()
    {
        int positives = 0, found = 0, lookAlikes = 0, kept = 0;
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        var missed = new List<string>();
        var changed = new List<string>();
        for (int seed = 0; seed < 300; seed++)
        {
            var samples = new SecretSamples(20_000 + seed);
            foreach (var p in samples.OneOfEach())
            {
                kinds.Add(p.KindName);
                positives++;
                string r = Redactor.Redact(p.Line, null);
                if (!r.Contains(p.Secret, StringComparison.Ordinal) && r.Contains($"[REDACTED:{p.Pattern}]", StringComparison.Ordinal)) found++;
                else missed.Add($"{p.KindName}: {p.Line}");
            }
            foreach (string n in samples.Negatives())
            {
                lookAlikes++;
                if (Redactor.Redact(n, null) == n) kept++;
                else changed.Add(n);
            }
        }
        double recall = (double)found / positives, keptShare = (double)kept / lookAlikes;
        output.WriteLine($"labelled corpus: {kinds.Count} kinds, {positives} positives, recall {recall:P2}; {lookAlikes} look-alikes, kept {keptShare:P2}");
        foreach (string m in missed.Take(5)) output.WriteLine("missed: " + m);
        foreach (string c in changed.Distinct().Take(5)) output.WriteLine("changed: " + c);
        Assert.True(kinds.Count >= 50, $"{kinds.Count} kinds");
        Assert.True(recall >= 0.99, $"recall {recall:P2}; first missed: {missed.FirstOrDefault()}");
        Assert.True(keptShare >= 0.99, $"kept {keptShare:P2}; first changed: {changed.FirstOrDefault()}");
    }

    [Fact]
    public void Near_misses_hashes_and_source_lines_that_name_tokens_are_kept_exactly()
    {
        foreach (string line in new SecretSamples(99).LookAlikes()) Assert.Equal(line, Redactor.Redact(line, null));
    }

    [Theory]
    [InlineData("AUTH_TOKEN = getAuthToken()")]
    [InlineData("const apiKey = process.env.OPENAI_API_KEY;")]
    [InlineData("mkdir -p build/output && ssh -p 2222 host")]
    [InlineData("docker run -p 8080:80 nginx")]
    [InlineData("https://user@github.com/o/r.git")]
    public void Generic_rules_keep_code_and_commands_that_merely_mention_secrets(string line) =>
        Assert.Equal(line, Redactor.Redact(line, null));

    [Fact]
    public void Summary_line_names_each_rule_with_its_count_most_frequent_first()
    {
        var tally = new RedactionTally();
        tally.Add("openai_api_key");
        tally.Add("github_token");
        tally.Add("github_token");
        Assert.Equal("cfsession: redacted 3 secrets (github_token ×2, openai_api_key)", RedactionSummary.Format(tally));
        var one = new RedactionTally();
        one.Add("jwt");
        Assert.Equal("cfsession: redacted 1 secret (jwt)", RedactionSummary.Format(one));
        Assert.Null(RedactionSummary.Format(new RedactionTally()));
    }

    [Fact]
    public void Tallies_of_several_streams_combine_into_one_per_rule_count()
    {
        var stdout = new RedactionTally();
        stdout.Add("npm_token");
        stdout.UnredactedLongLines = 1;
        var stderr = new RedactionTally();
        stderr.Add("npm_token");
        stderr.Add("jwt");
        var total = RedactionSummary.Combine(stdout, null, stderr);
        Assert.Equal(3, total.Count);
        Assert.Equal(new Dictionary<string, int> { ["jwt"] = 1, ["npm_token"] = 2 }, total.ByPattern);
        Assert.Equal(1, total.UnredactedLongLines);
    }
}
