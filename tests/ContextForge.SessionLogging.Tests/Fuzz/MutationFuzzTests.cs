using System.Text;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Fuzz;

/// <summary>
/// Random-mutation fuzzing (no coverage guidance) of the journal reader, the redaction.json parser and the CLI's
/// argument handling: a fixed number of seeded mutations in the suite, more with CFSESSION_FUZZ_ITERATIONS
/// (scripts/fuzz.sh). Each must end in a result or a documented error, never an unexpected exception or exit 70.
/// </summary>
[Collection("Console")]
public sealed class MutationFuzzTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("CFSESSION_FUZZ_ITERATIONS"), out int n) ? n : 300;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("CFSESSION_FUZZ_SEED"), out int s) ? s : 12345;

    public void Dispose() => _dir.Dispose();

    private static byte[] Mutate(Random r, byte[] input)
    {
        var bytes = new List<byte>(input);
        int edits = 1 + r.Next(8);
        for (int i = 0; i < edits; i++)
        {
            int op = r.Next(6);
            if (bytes.Count == 0) op = 2;
            switch (op)
            {
                case 0: // flip a bit
                    bytes[r.Next(bytes.Count)] ^= (byte)(1 << r.Next(8));
                    break;
                case 1: // delete a run
                {
                    int at = r.Next(bytes.Count);
                    bytes.RemoveRange(at, Math.Min(r.Next(1, 64), bytes.Count - at));
                    break;
                }
                case 2: // insert garbage
                {
                    byte[] junk = new byte[r.Next(1, 64)];
                    r.NextBytes(junk);
                    bytes.InsertRange(r.Next(bytes.Count + 1), junk);
                    break;
                }
                case 3: // duplicate a run
                {
                    int at = r.Next(bytes.Count);
                    var run = bytes.GetRange(at, Math.Min(r.Next(1, 200), bytes.Count - at));
                    bytes.InsertRange(r.Next(bytes.Count + 1), run);
                    break;
                }
                case 4: // insert something structural
                    bytes.InsertRange(r.Next(bytes.Count + 1), Encoding.UTF8.GetBytes(r.Next(4) switch { 0 => "\n", 1 => "{\"v\":1}", 2 => "\"\\u0000\"", _ => "99999999999999999999" }));
                    break;
                default: // truncate
                {
                    int keepCount = r.Next(bytes.Count + 1);
                    bytes.RemoveRange(keepCount, bytes.Count - keepCount);
                }
                    break;
            }
        }
        return [.. bytes];
    }

    [Fact]
    public void Journal_reader_never_throws_on_mutated_segments()
    {
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });
        string id, segment;
        using (var session = manager.Start("fuzz"))
        {
            id = session.Id;
            segment = session.SegmentPath;
            session.LogAchievement("tests_passed", "all green", new Dictionary<string, object?> { ["count"] = 3, ["ok"] = true });
            session.LogAchievement("built", "done", new Dictionary<string, object?> { ["artifact"] = "app.tar.gz" });
        }
        byte[] original = File.ReadAllBytes(segment);
        var r = new Random(Seed);
        for (int i = 0; i < Iterations; i++)
        {
            File.WriteAllBytes(segment, Mutate(r, original));
            var result = JournalReader.ReadSession(manager.Data.SessionDirectory(id)); // must not throw
            Assert.NotNull(result);
            foreach (var e in result.Events) Assert.False(string.IsNullOrEmpty(e.Name)); // events read are usable
        }
    }

    [Fact]
    public void Redaction_config_parser_fails_only_with_its_one_line_error()
    {
        byte[] valid = Encoding.UTF8.GetBytes("{\n  \"patterns\": [\n    { \"name\": \"ticket\", \"regex\": \"TKT-(?<secret>[0-9a-f]{32})\" },\n    { \"name\": \"other\", \"regex\": \"X[0-9]+\" }\n  ]\n}\n");
        var r = new Random(Seed);
        for (int i = 0; i < Iterations * 3; i++)
        {
            byte[] mutated = Mutate(r, valid);
            try
            {
                var patterns = SecretRedactor.ParseConfig(mutated, "redaction.json");
                Assert.All(patterns, p => Assert.False(string.IsNullOrEmpty(p.Name)));
            }
            catch (RedactionConfigException ex)
            {
                Assert.StartsWith("redaction.json:", ex.Message, StringComparison.Ordinal);
                Assert.DoesNotContain('\n', ex.Message);
            }
            File.WriteAllBytes(Path.Combine(_dir.Path, "redaction.json"), mutated);
            _ = SecretRedactor.Load(_dir.Path, out _); // never throws
        }
    }

    [Fact]
    public async Task Search_with_a_nul_in_a_word_is_not_an_internal_error()
    {
        // Regression: found by Cli_never_reports_an_internal_error_for_random_arguments (seed 4242).
        var result = await InProcessCli.RunAsync(_dir.Path, null, "search", "reindex", "\0", "x", "--failed");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(0, (await InProcessCli.RunAsync(_dir.Path, null, "search", "\0")).ExitCode is 0 or 64 ? 0 : 1);
    }

    [Fact]
    public async Task Cli_never_reports_an_internal_error_for_random_arguments()
    {
        string[] vocabulary = ["history", "search", "show", "sessions", "validate", "inspect", "prune", "reindex", "--json", "--limit", "-1", "0", "99999999999",
            "--since", "yesterday", "--until", "2026-13-45", "--failed", "--command", "--cwd", "../..", "/", "\0", "--context", "--max-matches",
            "--older-than", "90d", "--max-size", "-5MB", "--keep-last", "--dry-run", "--all", "--output", "--raw", "--plain", "--group-by", "x",
            "00000000-0000-4000-8000-000000000000", "..", "-", "--", "é", "\u001b]52;c;x\u0007", new string('a', 5000)];
        var r = new Random(Seed);
        for (int i = 0; i < Math.Max(60, Iterations / 5); i++)
        {
            string[] args = Enumerable.Range(0, r.Next(1, 6)).Select(_ => vocabulary[r.Next(vocabulary.Length)]).ToArray();
            if (args[0] is "prune" && !args.Contains("--dry-run")) args = [.. args, "--dry-run"];
            var result = await InProcessCli.RunAsync(_dir.Path, null, args);
            Assert.True(result.ExitCode != 70, $"cfsession {string.Join(' ', args.Select(a => a.Length > 40 ? a[..40] + "..." : a))} -> internal error: {result.Stderr}");
        }
    }
}
