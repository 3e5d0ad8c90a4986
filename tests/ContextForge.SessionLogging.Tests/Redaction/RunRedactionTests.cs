using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary><c>cfsession run</c> as a real process: secrets are shown live but never written anywhere.</summary>
public sealed class RunRedactionTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SecretSamples _samples = new(TestSeed.Next(output));

    public void Dispose() => _dir.Dispose();

    private string Token(string prefix) => prefix + _samples.Chars("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789", 36);

    [Fact]
    public async Task Secrets_in_output_arguments_and_stderr_are_shown_live_but_stored_redacted_with_counts()
    {
        string gh = Token("ghp_"), npm = Token("npm_"), password = _samples.Chars("ABCDEFabcdef0123456789", 20);
        var run = await CfSessionProcess.RunAsync(_dir.Path,
            ["run", "--", "sh", "-c", "echo \"pushing with $3\"; echo \"$4\" >&2", "sh", "--password", password, gh, "npm token " + npm]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"pushing with {gh}\n", run.StdoutText); // the user's own terminal sees it unredacted
        // The child's stderr, then one line saying what the record left out (each secret once per stream or argument).
        Assert.Equal($"npm token {npm}\ncfsession: redacted 5 secrets (github_token ×2, npm_token ×2, password_argument)\n", run.Stderr);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal("pushing with [REDACTED:github_token]\n", e.GetString(JournalFields.Output));
        Assert.Equal("npm token [REDACTED:npm_token]\n", e.GetString(JournalFields.Stderr));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData("pushing with [REDACTED:github_token]\n"u8)), e.GetString(JournalFields.IntegrityHash));
        Assert.Equal("pushing with [REDACTED:github_token]\n".Length, e.GetInt64(JournalFields.OutputLength));
        var args = e.Fields[JournalFields.Arguments]!.AsArray().Select(a => a!.GetValue<string>()).ToList();
        Assert.Equal(["-c", "echo \"pushing with $3\"; echo \"$4\" >&2", "sh", "--password", "[REDACTED:password_argument]", "[REDACTED:github_token]", "npm token [REDACTED:npm_token]"], args);
        Assert.DoesNotContain(password, e.GetString(JournalFields.OperationName)!, StringComparison.Ordinal);
        Assert.DoesNotContain(gh, e.GetString(JournalFields.OutputSample)!, StringComparison.Ordinal);
        var redactions = e.Fields["redactions"]!.AsObject();
        // github and npm tokens: in the output (or stderr), in the arguments and in the command line; the password once, as an argument.
        Assert.Equal(7, redactions["count"]!.GetValue<int>());
        Assert.Equal(3, redactions["patterns"]!["github_token"]!.GetValue<int>());
        Assert.Equal(3, redactions["patterns"]!["npm_token"]!.GetValue<int>());
        Assert.Equal(1, redactions["patterns"]!["password_argument"]!.GetValue<int>());

        // Nothing in the data directory (journal, index, its -wal) holds any of the secrets.
        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate"]);
        Assert.Equal(0, validate.ExitCode);
        var search = await CfSessionProcess.RunAsync(_dir.Path, ["search", "pushing"]);
        Assert.Contains("[REDACTED:github_token]", search.StdoutText, StringComparison.Ordinal);
        // inspect names what was redacted per rule: the record's counts (output, stderr, arguments, command line).
        var inspect = await InProcessCli.RunAsync(_dir.Path, null, "inspect");
        Assert.Contains("redacted  github_token ×3, npm_token ×3, password_argument", inspect.Stdout, StringComparison.Ordinal);
        AssertNotStoredAnywhere(gh, npm, password);
    }

    [Fact]
    public async Task Secret_in_output_stored_as_a_blob_is_redacted_in_the_blob_and_its_hash()
    {
        string gh = Token("ghp_");
        var run = await CfSessionProcess.RunAsync(_dir.Path,
            ["run", "--", "sh", "-c", "i=0; while [ $i -lt 400 ]; do echo \"line $i of a long build log padding padding padding\"; i=$((i+1)); done; echo \"token=$1\"", "sh", gh]);

        Assert.Equal(0, run.ExitCode);
        Assert.EndsWith($"token={gh}\n", run.StdoutText, StringComparison.Ordinal);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        using var blobStream = BlobStore.OpenRead(Path.Combine(_dir.Path, "sessions", e.SessionId), e.GetString(JournalFields.OutputBlob)!);
        var copy = new MemoryStream();
        blobStream.CopyTo(copy);
        byte[] stored = copy.ToArray();
        Assert.EndsWith("token=[REDACTED:github_token]\n", Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
        Assert.Equal(run.Stdout.Length - gh.Length + "[REDACTED:github_token]".Length, stored.Length);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(stored)), e.GetString(JournalFields.IntegrityHash));
        AssertNotStoredAnywhere(gh);
    }

    [Fact]
    public async Task No_redact_records_output_and_arguments_as_they_are()
    {
        string gh = Token("ghp_");
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-redact", "--", "echo", gh]);

        Assert.Equal(0, run.ExitCode);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(gh + "\n", e.GetString(JournalFields.Output));
        Assert.Equal($"echo {gh}", e.GetString(JournalFields.OperationName));
        Assert.Null(e.Fields["redactions"]);
    }

    [Fact]
    public async Task Run_with_rules_redacts_with_that_gitleaks_file_and_a_missing_file_is_a_usage_error()
    {
        string rules = Path.Combine(_dir.Path, "team-rules.toml");
        Directory.CreateDirectory(_dir.Path);
        File.WriteAllText(rules, """
            [[rules]]
            id = "acme-ticket-token"
            regex = 'ACME-[0-9a-f]{24}'
            keywords = ["acme-"]
            """);
        string token = "ACME-" + _samples.Chars("0123456789abcdef", 24);

        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--rules", rules, "--", "sh", "-c", $"echo ticket {token}"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"ticket {token}\n", run.StdoutText);
        Assert.Equal("ticket [REDACTED:acme-ticket-token]\n", JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture).GetString(JournalFields.Output));
        Assert.Equal("cfsession: redacted 2 secrets (acme-ticket-token ×2)\n", run.Stderr);

        string nope = Path.Combine(_dir.Path, "nope.toml");
        var missing = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--rules", nope, "--", "true"]);
        Assert.Equal(64, missing.ExitCode);
        Assert.Equal($"cfsession: --rules: no such file {nope}\n", missing.Stderr);
        Assert.Single(JournalFiles.SessionIds(_dir.Path));
    }

    [Fact]
    public async Task Malformed_redaction_json_is_reported_in_one_line_and_the_built_in_set_still_redacts()
    {
        Directory.CreateDirectory(_dir.Path);
        File.WriteAllText(Path.Combine(_dir.Path, "redaction.json"), "{\n  \"patterns\": [\n    { \"name\": \"x\", \"regex\": \"(\" }\n  ]\n}\n");
        string gh = Token("ghp_");
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "echo", gh]);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(gh + "\n", run.StdoutText);
        string[] notices = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, notices.Length);
        Assert.StartsWith($"cfsession: {Path.Combine(_dir.Path, "redaction.json")}:3: pattern 1 (x): invalid regex", notices[0], StringComparison.Ordinal);
        Assert.Equal("cfsession: redacted 2 secrets (github_token ×2)", notices[1]);
        Assert.Equal("[REDACTED:github_token]\n", JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture).GetString(JournalFields.Output));
    }

    private void AssertNotStoredAnywhere(params string[] secrets)
    {
        foreach (string file in Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories))
        {
            byte[] bytes = File.ReadAllBytes(file);
            if (BlobStore.IsCompressed(file))
            {
                using var decoded = BlobStore.OpenPath(file); // a compressed blob is checked on its original bytes
                var copy = new MemoryStream();
                decoded.CopyTo(copy);
                bytes = copy.ToArray();
            }
            string content = Encoding.Latin1.GetString(bytes);
            foreach (string secret in secrets) Assert.False(content.Contains(secret, StringComparison.Ordinal), $"{file} holds a secret");
        }
    }
}
