using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Tests.Redaction;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// The capture's pipeline (the pump's thread fills pooled chunks; with redaction, a redaction stage and a store stage
/// on their own threads, or the redaction on the pump's thread as a pipe's reader runs it) stores exactly what the
/// capture stores without it: the same bytes, hash, length and redaction counts, whatever the sizes of the writes and
/// of the reads into the capture's chunks.
/// </summary>
public sealed class CapturePipelineTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Clean runs of lines, every secret kind, secrets past a 256-byte line bound, a private key block, look-alikes,
    // invalid UTF-8 and no final newline; repeated past several chunks so slices, copies and pool reuse all happen.
    private static byte[] MixedOutput()
    {
        var samples = new SecretSamples(123);
        var random = new Random(123);
        var text = new StringBuilder();
        // Rounds until the output spans several of the pipeline's chunks (about 250 KB per round).
        for (int round = 0; round < 4 * CapturedOutput.PipeChunkBytes / (128 * 1024); round++)
        {
            foreach (var p in samples.OneOfEach())
            {
                for (int i = random.Next(0, 200); i > 0; i--) text.Append(CultureInfo.InvariantCulture, $"[{i:D6}] compiling file_{i}.c ok\n");
                text.Append(p.Line).Append('\n');
                if (random.Next(3) == 0) text.Append(new string('x', 300)).Append(p.Line).Append('\n');
            }
            text.Append(samples.PrivateKeyBlock().Block).Append(string.Join('\n', samples.Negatives())).Append('\n');
        }
        text.Append("last line, no newline");
        return [.. Encoding.Latin1.GetBytes(text.ToString()), 0xFF, (byte)'\n', 0xC3];
    }

    private (byte[] Stored, string Hash, long Length, RedactionTally Tally) Capture(byte[] input, int chunk, string mode, bool pipeReader = false)
    {
        string blobs = _dir.Combine(Guid.NewGuid().ToString("N"));
        using var capture = new CapturedOutput("stdout", blobs, SecretRedactor.BuiltIn.CreateLineRedactor(256));
        if (mode != "direct") capture.StartPipeline(pipeReader);
        var random = new Random(chunk);
        for (int i = 0; i < input.Length;)
        {
            int n = Math.Min(chunk, input.Length - i);
            if (mode == "reads")
            {
                // As the pump does: read into the capture's chunk (at most its room), then commit what was read.
                var room = capture.GetReadBuffer();
                n = Math.Min(n, room.Length);
                input.AsSpan(i, n).CopyTo(room);
                capture.CommitRead(n);
            }
            else capture.Write(input.AsSpan(i, n));
            i += n;
            if (random.Next(50) == 0) capture.AfterStored(() => { }); // markers between chunks keep their place
        }
        capture.FinishPipeline();
        string hash = capture.Complete();
        Assert.Null(capture.SpillError);
        byte[] stored;
        using (var blob = BlobStore.OpenPath(capture.SpillPath!))
        using (var copy = new MemoryStream())
        {
            blob.CopyTo(copy);
            stored = copy.ToArray();
        }
        return (stored, hash, capture.Length, capture.Redactions!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_redacted_capture_through_the_pipeline_stores_the_same_bytes_hash_and_counts_for_any_split(bool pipeReader)
    {
        byte[] input = MixedOutput();
        Assert.True(input.Length > 3 * CapturedOutput.PipeChunkBytes, $"{input.Length} bytes");
        var (expected, expectedHash, expectedLength, expectedTally) = Capture(input, input.Length, "direct");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected)), expectedHash);
        Assert.True(expectedTally.Count > 100, $"{expectedTally.Count} redactions");
        foreach (int chunk in new[] { 1, 7, 4096, 65_536, CapturedOutput.PipelineChunkBytes + 1, CapturedOutput.PipeChunkBytes + 1, input.Length })
        {
            foreach (string mode in new[] { "writes", "reads" })
            {
                var (stored, hash, length, tally) = Capture(input, chunk, mode, pipeReader);
                Assert.True(expected.AsSpan().SequenceEqual(stored), $"{mode} of {chunk}: stored bytes differ");
                Assert.Equal(expectedHash, hash);
                Assert.Equal(expectedLength, length);
                Assert.Equal(expectedTally.ByPattern, tally.ByPattern);
                Assert.Equal(expectedTally.UnredactedLongLines, tally.UnredactedLongLines);
            }
        }
    }

    [Fact]
    public void Reads_into_the_capture_need_a_running_pipeline_and_count_only_what_was_committed()
    {
        using var capture = new CapturedOutput("stdout", null);
        Assert.Throws<InvalidOperationException>(() => capture.GetReadBuffer());
        capture.StartPipeline();
        var room = capture.GetReadBuffer();
        Assert.InRange(room.Length, 32 * 1024, CapturedOutput.PipelineChunkBytes);
        "hello"u8.CopyTo(room);
        capture.CommitRead(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => capture.CommitRead(CapturedOutput.PipelineChunkBytes));
        Assert.Equal(5, capture.ReceivedLength);
        capture.FinishPipeline();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("hello"u8)), capture.Complete());
        Assert.Equal("hello", capture.TryGetInlineText());
    }
}
