using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Tests.Redaction;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A stream stored once in a raw stream file (<c>cfsession shell</c>) with ranges measured in it: offsets and lengths
/// in the stored (redacted) stream, each range's hash over exactly its stored bytes, redaction inside a range.
/// </summary>
public sealed class StreamRangeTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Ranges_are_offsets_into_the_redacted_stream_file_with_the_hash_and_redactions_of_their_own_bytes(bool pipelined, bool pipeReader)
    {
        string token = "ghp_" + new SecretSamples(16).Chars("ABCDEFabcdef0123456789", 36);
        string path = _dir.Combine("streams", Guid.NewGuid().ToString("D"));
        var capture = new CapturedOutput("pty", _dir.Combine("blobs"), SecretRedactor.BuiltIn.CreateLineRedactor(LineRedactor.DefaultMaxLineBytes));
        capture.UseStreamFile(path);
        if (pipelined) capture.StartPipeline(pipeReader);
        var ranges = new List<CapturedRange>();

        capture.Write("in$ echo "u8); // a prompt whose line the range cuts: redaction starts afresh in the range
        capture.BeginRange();
        capture.Write(Encoding.ASCII.GetBytes($"key {token} end\r\nsecond line"));
        capture.EndRange(ranges.Add);
        capture.Write("in$ "u8);
        capture.EndRange(ranges.Add); // a command with no output: an empty range here
        capture.FinishPipeline();
        string hash = capture.Complete();
        capture.Dispose();

        byte[] stored = File.ReadAllBytes(path);
        string expectedRange = "key [REDACTED:github_token] end\r\nsecond line";
        Assert.Equal("in$ echo " + expectedRange + "in$ ", Encoding.ASCII.GetString(stored));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored)), hash);
        Assert.Equal(2, ranges.Count);
        Assert.Equal(9, ranges[0].Offset);
        Assert.Equal(expectedRange.Length, ranges[0].Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(expectedRange))), ranges[0].HashHex);
        Assert.Equal(expectedRange, Encoding.ASCII.GetString(ranges[0].Head));
        Assert.Equal(1, ranges[0].Redactions!.Count);
        Assert.Equal(stored.Length, ranges[1].Offset);
        Assert.Equal(0, ranges[1].Length);
        Assert.Equal(0, ranges[1].Redactions!.Count);
        Assert.Null(ranges[0].StoreError);

        // Read back through the journal's reader of ranges.
        using var range = BlobStore.OpenStreamRange(path, ranges[0].Offset, ranges[0].Length);
        using var copy = new MemoryStream();
        range.CopyTo(copy);
        Assert.Equal(expectedRange, Encoding.ASCII.GetString(copy.ToArray()));
    }

    [Fact]
    public void Stream_references_name_a_lowercase_guid_under_streams_and_nothing_else()
    {
        string id = Guid.NewGuid().ToString("D");
        Assert.Equal(Path.Combine("/s", "streams", id), BlobStore.ResolveStreamPath("/s", "streams/" + id));
        Assert.Null(BlobStore.ResolveStreamPath("/s", "streams/" + id.ToUpperInvariant()));
        Assert.Null(BlobStore.ResolveStreamPath("/s", "streams/../../etc/passwd"));
        Assert.Null(BlobStore.ResolveStreamPath("/s", "blobs/" + id));
        Assert.Null(BlobStore.ResolveStreamPath("/s", "streams/" + id + "/x"));
    }
}
