using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary><c>run --max-output</c>: everything is shown, the first N bytes are stored and hashed, the rest is counted and flagged.</summary>
public sealed class OutputCapTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Output_beyond_the_cap_is_shown_counted_and_flagged_truncated_and_what_is_stored_verifies()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--max-output", "20KB", "--", "sh", "-c", "seq 1 20000; echo err >&2"]);

        Assert.Equal(0, run.ExitCode);
        byte[] all = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, 20000).Select(i => i + "\n")));
        Assert.Equal(all, run.Stdout); // shown in full
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(20 * 1024, e.GetInt64(JournalFields.OutputLength));
        Assert.True(e.Fields[JournalFields.OutputTruncated]!.GetValue<bool>());
        Assert.Equal(all.Length, e.GetInt64(JournalFields.OutputReceivedLength));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(all.AsSpan(0, 20 * 1024))), e.GetString(JournalFields.IntegrityHash));
        using var blobStream = BlobStore.OpenRead(Path.Combine(_dir.Path, "sessions", e.SessionId), e.GetString(JournalFields.OutputBlob)!);
        var copy = new MemoryStream();
        blobStream.CopyTo(copy);
        byte[] blob = copy.ToArray();
        Assert.Equal(all.AsSpan(0, 20 * 1024).ToArray(), blob);
        Assert.Null(e.Fields[JournalFields.StderrTruncated]); // under the cap: kept exactly, no flag
        Assert.Equal("err\n", e.GetString(JournalFields.Stderr));
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["validate"])).ExitCode);
    }

    [Fact]
    public async Task A_malformed_max_output_is_a_usage_error()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--max-output", "lots", "--", "true"]);
        Assert.Equal(64, run.ExitCode);
        Assert.Contains("--max-output 'lots' is not a size", run.Stderr, StringComparison.Ordinal);
    }
}
