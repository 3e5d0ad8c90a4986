using System.Runtime.Versioning;
using System.Security.Cryptography;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;
using static ContextForge.SessionLogging.Tests.Capture.RunnerTestContext;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>Large output through the pipe runner; alone, so process-wide allocation can be measured.</summary>
[Collection(ProcessWideCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class LargeOutputTests : IDisposable
{
    private readonly RunnerTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [LinuxFact]
    public async Task Fifty_megabytes_are_hashed_exactly_and_spilled_with_bounded_memory()
    {
        string path = Path.Combine(_ctx.Directory, "big.bin");
        string expectedHash;
        const int size = 50_000_000;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        using (var file = File.Create(path))
        {
            var rng = new Random(7);
            byte[] chunk = new byte[1 << 20];
            for (int written = 0; written < size; written += chunk.Length)
            {
                rng.NextBytes(chunk);
                int n = Math.Min(chunk.Length, size - written);
                file.Write(chunk, 0, n);
                sha.AppendData(chunk, 0, n);
            }
            expectedHash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var outcome = await new PipeCommandRunner { StdinFd = _ctx.DevNull, StdoutDisplayFd = _ctx.DevNull, StderrDisplayFd = _ctx.DevNull }
            .RunAsync(Spec("cat", path), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(size, _ctx.Primary.Length);
        Assert.Equal(expectedHash, _ctx.Primary.Complete());
        Assert.NotNull(_ctx.Primary.SpillPath);
        // The spill is the blob-to-be: a zstd frame whose decompressed bytes hash to the recorded hash.
        using (var spilled = BlobStore.OpenPath(_ctx.Primary.SpillPath!))
            Assert.Equal(expectedHash, Convert.ToHexStringLower(SHA256.HashData(spilled)));
        Assert.Equal(CapturedOutput.InlineLimitBytes, _ctx.Primary.Head.Length);
        // The stream went through fixed buffers: far less allocated than its size (nothing else runs in this collection).
        Assert.True(allocated < size / 4, $"allocated {allocated:N0} bytes while capturing {size:N0}");
    }
}
