using System.Globalization;
using System.Text;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Tests.Support;
using Xunit.Abstractions;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>The pattern set, line redaction of captured bytes and redaction.json, on generated samples.</summary>
public sealed class SecretRedactorTests(ITestOutputHelper output)
{
    private static readonly SecretRedactor Redactor = SecretRedactor.BuiltIn;

    [Fact]
    public void Every_built_in_pattern_has_a_generated_sample()
    {
        var covered = new SecretSamples(1).OneOfEach().Select(p => p.Pattern).Append("private_key").ToHashSet();
        Assert.Equal(BuiltInRules.All.Select(r => r.Id).Distinct().Order(), covered.Order());
    }

    [Fact]
    public void Each_generated_secret_is_replaced_by_its_pattern_name_and_the_rest_of_the_line_is_kept()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            foreach (var p in new SecretSamples(seed).OneOfEach())
            {
                var tally = new RedactionTally();
                string redacted = Redactor.Redact(p.Line, tally);
                Assert.Equal(p.Line.Replace(p.Secret, $"[REDACTED:{p.Pattern}]", StringComparison.Ordinal), redacted);
                Assert.Equal(1, tally.Count);
                Assert.Equal(1, tally.ByPattern[p.Pattern]);
            }
        }
    }

    [Fact]
    public void Private_key_block_is_redacted_whole_in_a_field()
    {
        var (block, body) = new SecretSamples(7).PrivateKeyBlock();
        string redacted = Redactor.Redact("key follows\n" + block + "done\n", null);
        Assert.Equal("key follows\n-----BEGIN RSA PRIVATE KEY-----[REDACTED:private_key]-----END RSA PRIVATE KEY-----\ndone\n", redacted);
        Assert.DoesNotContain(body[0], redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_corpus_has_full_recall_and_no_false_positives()
    {
        int positives = 0, found = 0, negatives = 0, falsePositives = 0;
        var missed = new List<string>();
        var wrong = new List<string>();
        for (int seed = 0; seed < 200; seed++)
        {
            var samples = new SecretSamples(1000 + seed);
            foreach (var p in samples.OneOfEach())
            {
                positives++;
                string r = Redactor.Redact(p.Line, null);
                if (!r.Contains(p.Secret, StringComparison.Ordinal) && r.Contains($"[REDACTED:{p.Pattern}]", StringComparison.Ordinal)) found++;
                else missed.Add(p.Line);
            }
            var (block, body) = samples.PrivateKeyBlock();
            positives++;
            string rb = Redactor.Redact(block, null);
            if (body.All(b => !rb.Contains(b, StringComparison.Ordinal))) found++;
            foreach (string n in samples.Negatives())
            {
                negatives++;
                if (Redactor.Redact(n, null) != n) { falsePositives++; wrong.Add(n); }
            }
        }
        double recall = (double)found / positives;
        double precision = (double)found / (found + falsePositives);
        output.WriteLine($"redaction corpus: {positives} positives, {negatives} negatives, recall {recall:P2}, precision {precision:P2}, false positives {falsePositives}");
        Assert.True(missed.Count == 0, "missed: " + string.Join(" | ", missed.Take(5)));
        Assert.True(wrong.Count == 0, "false positives: " + string.Join(" | ", wrong.Distinct().Take(5)));
    }

    [Fact]
    public void The_needle_prefilter_changes_no_result_on_the_generated_corpus_and_skips_lines_without_a_needle()
    {
        var unfiltered = SecretRedactor.BuiltInWithoutPrefilter();
        int lines = 0, skipped = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var samples = new SecretSamples(5000 + seed);
            var all = samples.OneOfEach().Select(p => p.Line).Concat(samples.Negatives()).Append(samples.PrivateKeyBlock().Block);
            foreach (string line in all)
            {
                lines++;
                if (!Redactor.MayContainSecret(line)) skipped++;
                var (a, b) = (new RedactionTally(), new RedactionTally());
                Assert.Equal(unfiltered.Redact(line, a), Redactor.Redact(line, b));
                Assert.Equal(a.ByPattern, b.ByPattern);
            }
        }
        output.WriteLine($"prefilter: {skipped} of {lines} corpus lines skip the regexes");
        Assert.False(Redactor.MayContainSecret("   12345 compiling src/app/main.c -> build/main.o [ok] 0.42s"));
        Assert.True(Redactor.MayContainSecret("export GITHUB_TOKEN=x")); // case-insensitive: TOKEN
        Assert.True(unfiltered.MayContainSecret("anything at all")); // no prefilter: every line is examined
    }

    [Fact]
    public void Line_redaction_with_the_prefilter_stores_the_same_bytes_as_without_it_for_any_split_of_the_writes()
    {
        // Clean runs (passed on whole), secrets, a private key block, lines over a 256-byte bound, invalid UTF-8.
        var samples = new SecretSamples(77);
        var text = new StringBuilder();
        var random = new Random(77);
        foreach (var p in samples.OneOfEach())
        {
            for (int i = random.Next(0, 40); i > 0; i--) text.Append(CultureInfo.InvariantCulture, $"[{i:D6}] compiling file_{i}.c ok\n");
            text.Append(p.Line).Append('\n');
            if (random.Next(3) == 0) text.Append(new string('x', 300)).Append(p.Line).Append('\n'); // secret past the bound
        }
        text.Append(samples.PrivateKeyBlock().Block).Append(string.Join('\n', samples.Negatives())).Append("\nlast line, no newline");
        byte[] input = [.. Encoding.Latin1.GetBytes(text.ToString()), 0xFF, (byte)'\n', 0xC3];
        foreach (int chunk in new[] { 1, 7, 100, 4096, input.Length })
        {
            var (expected, expectedTally) = RedactInChunks(input, chunk, SecretRedactor.BuiltInWithoutPrefilter(), maxLineBytes: 256);
            var (stored, tally) = RedactInChunks(input, chunk, Redactor, maxLineBytes: 256);
            Assert.Equal(expected, stored);
            Assert.Equal(expectedTally.ByPattern, tally.ByPattern);
            Assert.Equal(expectedTally.UnredactedLongLines, tally.UnredactedLongLines);
            Assert.True(tally.Count > 10);
        }
    }

    [Fact]
    public void Byte_scan_finds_the_same_first_match_as_the_char_scan_of_each_line_at_every_alignment()
    {
        // The capture path's probe reads candidates from one vector pass over bytes and checks each within its line; the
        // char scan (two SearchValues searches) of each line alone is the reference: the line the redaction then
        // rewrites. Secrets, look-alikes, upper-cased lines (needles ignore case), long token runs that cross 64-byte
        // windows, and every shift of the text against the windows.
        var samples = new SecretSamples(91);
        var random = new Random(91);
        var text = new StringBuilder();
        foreach (var p in samples.OneOfEach())
        {
            text.Append(p.Line).Append('\n').Append(p.Line.ToUpperInvariant()).Append('\n');
            text.Append(samples.Chars("abcdefABCDEF0123456789_-", random.Next(10, 200))).Append(' ').Append("x = 1\n");
        }
        foreach (string n in samples.Negatives()) text.Append(n).Append('\n');
        foreach (string needle in BuiltInRules.WordNeedles) text.Append(needle).Append(needle.ToUpperInvariant()).Append(" q~ ").Append('\n');
        string body = text.ToString();
        int compared = 0, hits = 0;
        for (int shift = 0; shift < 70; shift++)
        {
            string block = new string('.', shift) + body;
            char[] chars = block.ToCharArray();
            byte[] bytes = Encoding.Latin1.GetBytes(block);
            char[] scratch = new char[chars.Length];
            for (int from = 0; from < chars.Length;)
            {
                int expected = FirstMatchLineByLine(chars.AsSpan(from));
                int actual = Redactor.IndexOfFirstMatch(bytes.AsSpan(from), scratch.AsSpan(from));
                Assert.True(expected == actual, $"shift {shift}, from {from}: char scan {expected}, byte scan {actual}");
                compared++;
                if (expected < 0) break;
                hits++;
                int lineEnd = block.IndexOf('\n', from + expected);
                from = lineEnd < 0 ? chars.Length : lineEnd + 1;
            }
        }
        Assert.True(hits > 70 * 50, $"{hits} hits in {compared} probes");
    }

    [Fact]
    public void Byte_scan_finds_a_secret_named_by_a_look_back_keyword_at_every_distance_from_it_and_every_alignment()
    {
        // The byte scan checks a run after an assignment only where a look-back needle's fingerprint starts in the 64
        // bytes before it, possibly in the window before; and a run's keywords and offset keywords by a table of their
        // first three bytes. Every look-back keyword, then 0-40 name characters, then the value; a Mailchimp key (-us at
        // 32) and a New Relic licence key (NRAL at 36); each shifted against the windows and cut at every end.
        var random = new Random(17);
        string Hex(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => "0123456789abcdef"[random.Next(16)]));
        var text = new StringBuilder();
        foreach (string keyword in BuiltInRules.LookBackNeedles.Concat(["dd_api_key", "co_api_key", "DATADOG"]))
            for (int k = 0; k <= 40; k += 3)
                text.Append("  ").Append(keyword).Append(new string('X', k)).Append(k % 2 == 0 ? "=" : "\": \"").Append(Hex(40)).Append('\n');
        text.Append("mailchimp ").Append(Hex(32)).Append("-us12\n").Append(Hex(36)).Append("NRAL\n");
        string body = text.ToString();
        int hits = 0, far = 0;
        for (int shift = 0; shift < 70; shift++)
        {
            string block = new string(' ', shift) + body;
            byte[] bytes = Encoding.Latin1.GetBytes(block);
            char[] scratch = new char[block.Length];
            for (int from = 0; from < block.Length;)
            {
                int expected = FirstMatchLineByLine(block.AsSpan(from));
                int actual = Redactor.IndexOfFirstMatch(bytes.AsSpan(from), scratch.AsSpan(from));
                Assert.True(expected == actual, $"shift {shift}, from {from}: char scan {expected}, byte scan {actual}");
                if (expected < 0) break;
                hits++;
                int lineEnd = block.IndexOf('\n', from + expected);
                if (block.IndexOf('=', from + expected) is int equals and >= 0 && equals < lineEnd && block.LastIndexOf(' ', equals) < equals - 30) far++;
                from = lineEnd < 0 ? block.Length : lineEnd + 1;
            }
        }
        Assert.True(hits > 70 * 40, $"{hits} hits");
        Assert.True(far > 70, $"{far} hits with the keyword 30 or more bytes before the assignment");
    }

    // The first match of the char scan of each line alone (the line the redaction then rewrites), or -1.
    private static int FirstMatchLineByLine(ReadOnlySpan<char> text)
    {
        for (int lineStart = 0; lineStart < text.Length;)
        {
            int newline = text[lineStart..].IndexOf('\n');
            int lineEnd = newline < 0 ? text.Length : lineStart + newline + 1;
            int hit = Redactor.IndexOfFirstMatch(text[lineStart..lineEnd], capturedBytes: true);
            if (hit >= 0) return lineStart + hit;
            lineStart = lineEnd;
        }
        return -1;
    }

    [Theory]
    // What random binary output can hold (benchmarks/RedactionScan fuzz: secret_assignment, url_password): the shape
    // of an assignment or a URL password whose value holds control bytes or bytes that are not UTF-8.
    [InlineData(new byte[] { 0x8F, 0x01, (byte)'p', (byte)'W', (byte)'d', (byte)':', 0xD3, (byte)'k', (byte)'9', 0x02, (byte)'Q', (byte)'z', 0xE7, (byte)'L', (byte)'7', 0x0A })]
    [InlineData(new byte[] { 0xFE, (byte)'t', (byte)'o', (byte)'k', (byte)'e', (byte)'n', (byte)'=', (byte)'a', 0x9A, (byte)'B', (byte)'3', 0xFF, (byte)'x', (byte)'Y', (byte)'8', (byte)'q', 0x0A })]
    [InlineData(new byte[] { (byte)'a', (byte)'b', (byte)':', (byte)'/', (byte)'/', 0x91, 0xB7, (byte)':', 0x8A, 0x03, 0xFE, (byte)'@', (byte)'h', 0x0A })]
    public void Binary_output_shaped_like_an_assignment_or_url_password_is_kept_byte_for_byte(byte[] bytes)
    {
        var (stored, tally) = RedactInChunks(bytes, bytes.Length);
        Assert.Equal(bytes, stored);
        Assert.Equal(0, tally.Count);
        // The same characters as text (a journal field) do take the rule's shape: only captured bytes are judged as bytes.
        Assert.NotEqual(Encoding.Latin1.GetString(bytes), Redactor.Redact(Encoding.Latin1.GetString(bytes), null));
    }

    [Fact]
    public void An_app_password_shape_inside_a_base64_blob_is_kept_and_one_on_its_own_is_redacted()
    {
        // Found by benchmarks/RedactionScan fuzz in random base64 lines: "ATBB" and 28 token characters between '/' and '+'.
        string token = "ATBB" + new SecretSamples(12).Chars("ABCabc0123", 32);
        string blob = "Oxp5P+YCq2iaY/vl7ZAU2uat4u9z87k5apqOGUd/" + token + "+wnVk0u3b8yKyjuwOgW";
        Assert.Equal(blob, Redactor.Redact(blob, null));
        Assert.Equal("app password [REDACTED:bitbucket_app_password]", Redactor.Redact("app password " + token, null));
    }

    [Fact]
    public void A_utf8_password_in_captured_output_is_still_redacted()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("export DB_PASSWORD=Pässwört9Xq€z\nmysql://app:Grüße7Kx@db/prod\n");
        var (stored, tally) = RedactInChunks(bytes, 5);
        Assert.Equal("export DB_PASSWORD=[REDACTED:secret_assignment]\nmysql://app:[REDACTED:url_password]@db/prod\n", Encoding.UTF8.GetString(stored));
        Assert.Equal(2, tally.Count);
    }

    [Fact]
    public void Line_redaction_keeps_invalid_utf8_outside_matches_byte_for_byte()
    {
        string token = "ghp_" + new SecretSamples(3).Chars("ABCDEFabcdef0123456789", 36);
        byte[] input = [0xFF, 0xC3, (byte)' ', .. Encoding.ASCII.GetBytes(token), 0x80, (byte)'\n', 0xFE, 0x00, (byte)'x'];
        var (stored, tally) = RedactInChunks(input, 1);
        byte[] expected = [0xFF, 0xC3, (byte)' ', .. "[REDACTED:github_token]"u8.ToArray(), 0x80, (byte)'\n', 0xFE, 0x00, (byte)'x'];
        Assert.Equal(expected, stored);
        Assert.Equal(1, tally.Count);
    }

    [Fact]
    public void Secret_split_across_writes_is_still_redacted()
    {
        var p = new SecretSamples(4).OneOfEach().First(s => s.Pattern == "npm_token");
        byte[] input = Encoding.ASCII.GetBytes("before\n" + p.Line + "\nafter");
        foreach (int chunk in new[] { 1, 3, 7, 64 })
        {
            var (stored, _) = RedactInChunks(input, chunk);
            Assert.Equal("before\n" + p.Line.Replace(p.Secret, "[REDACTED:npm_token]", StringComparison.Ordinal) + "\nafter", Encoding.ASCII.GetString(stored));
        }
    }

    [Fact]
    public void Private_key_block_in_output_keeps_every_line_and_line_ending()
    {
        var (block, body) = new SecretSamples(5).PrivateKeyBlock(3);
        string crlf = block.Replace("\n", "\r\n", StringComparison.Ordinal);
        var (stored, tally) = RedactInChunks(Encoding.ASCII.GetBytes("$ cat key\r\n" + crlf + "$ \r\n"), 5);
        Assert.Equal("$ cat key\r\n-----BEGIN RSA PRIVATE KEY-----[REDACTED:private_key]\r\n[REDACTED:private_key]\r\n[REDACTED:private_key]\r\n[REDACTED:private_key]\r\n-----END RSA PRIVATE KEY-----\r\n$ \r\n",
            Encoding.ASCII.GetString(stored));
        Assert.Equal(1, tally.ByPattern["private_key"]);
        Assert.DoesNotContain(body[1], Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
    }

    [Fact]
    public void Line_longer_than_the_bound_is_redacted_up_to_the_bound_passed_through_beyond_it_and_flagged()
    {
        var samples = new SecretSamples(6);
        string early = "ghp_" + samples.Chars("ABCabc012", 36), late = "npm_" + samples.Chars("ABCabc012", 36);
        string line = early + new string('x', 100) + late + "\nnext " + late + "\n";
        var redactor = Redactor.CreateLineRedactor(maxLineBytes: 64);
        var sink = new MemoryStream();
        redactor.Write(Encoding.ASCII.GetBytes(line), b => sink.Write(b));
        redactor.Flush(b => sink.Write(b));
        string stored = Encoding.ASCII.GetString(sink.ToArray());
        Assert.StartsWith("[REDACTED:github_token]", stored, StringComparison.Ordinal);
        Assert.Contains(late + "\nnext [REDACTED:npm_token]\n", stored, StringComparison.Ordinal);
        Assert.Equal(1, redactor.Tally.UnredactedLongLines);
    }

    [Fact]
    public void Redaction_json_adds_patterns_with_a_secret_group()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("redaction.json"), """
            {
              "patterns": [
                { "name": "ticket_token", "regex": "TKT-(?<secret>[0-9a-f]{32})" }
              ]
            }
            """);
        var redactor = SecretRedactor.Load(dir.Path, out string? error);
        Assert.Null(error);
        string token = new SecretSamples(8).Chars("0123456789abcdef", 32);
        Assert.Equal("use TKT-[REDACTED:ticket_token] now", redactor.Redact($"use TKT-{token} now", null));
        Assert.Contains("ticket_token", redactor.PatternNames);
    }

    [Theory]
    [InlineData("{\n  \"patterns\": [\n    { \"name\": \"a\", \"regex\": \"x\" },\n    { \"name\": \"b\" \"regex\": \"y\" }\n  ]\n}\n", 4, "not valid JSON")]
    [InlineData("{\n  \"patterns\": [\n    { \"name\": \"a\", \"regex\": \"x\" },\n    { \"name\": \"b\", \"regex\": \"(unclosed\" }\n  ]\n}\n", 4, "pattern 2 (b): invalid regex")]
    [InlineData("{\n  \"patterns\": [\n    { \"name\": \"a b\", \"regex\": \"x\" }\n  ]\n}\n", 3, "pattern 1 name 'a b'")]
    public void Malformed_redaction_json_is_one_line_naming_file_and_line_and_the_built_in_set_stays(string json, int line, string what)
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("redaction.json");
        File.WriteAllText(path, json);
        var redactor = SecretRedactor.Load(dir.Path, out string? error);
        Assert.NotNull(error);
        Assert.StartsWith($"{path}:{line}: ", error, StringComparison.Ordinal);
        Assert.Contains(what, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Same(SecretRedactor.BuiltIn, redactor);
    }

    [Fact]
    public void Redaction_json_with_invalid_utf8_is_one_line_error_not_a_crash()
    {
        // Regression: found by MutationFuzzTests (an invalid byte inside a JSON string threw out of Load).
        using var dir = new TempDirectory();
        string path = dir.Combine("redaction.json");
        File.WriteAllBytes(path, [.. "{\n  \"patterns\": [ { \"name\": \"a\xF2\", \"regex\": \"x\" } ]\n}\n"u8.ToArray()[..24], 0xF2, .. "\", \"regex\": \"x\" } ]\n}\n"u8.ToArray()]);
        var redactor = SecretRedactor.Load(dir.Path, out string? error);
        Assert.Equal($"{path}:2: not valid UTF-8 (byte 25); using the built-in redaction patterns only", error);
        Assert.Same(SecretRedactor.BuiltIn, redactor);
    }

    private static (byte[] Stored, RedactionTally Tally) RedactInChunks(byte[] input, int chunk, SecretRedactor? with = null, int maxLineBytes = LineRedactor.DefaultMaxLineBytes)
    {
        var redactor = (with ?? Redactor).CreateLineRedactor(maxLineBytes);
        var sink = new MemoryStream();
        for (int i = 0; i < input.Length; i += chunk)
            redactor.Write(input.AsSpan(i, Math.Min(chunk, input.Length - i)), b => sink.Write(b));
        redactor.Flush(b => sink.Write(b));
        return (sink.ToArray(), redactor.Tally);
    }
}
