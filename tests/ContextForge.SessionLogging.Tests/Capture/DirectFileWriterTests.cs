using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Tests.Support;
using ZstdSharp;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A capture's spill goes to the disk past the page cache (O_DIRECT) from aligned buffers on a write-behind thread:
/// the file holds exactly the bytes written, at every buffer and alignment boundary, and a file system or offset that
/// refuses direct writes loses nothing.
/// </summary>
public sealed class DirectFileWriterTests : IDisposable
{
    private const int Buffer = DirectFileWriter.BufferBytes;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    // Writes bytes in pieces of random sizes (up to two buffers), as a capture's store stage does.
    private static void WriteInPieces(DirectFileWriter writer, byte[] bytes, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < bytes.Length;)
        {
            int n = Math.Min(bytes.Length - i, 1 + random.Next(2 * Buffer));
            writer.Write(bytes.AsSpan(i, n));
            i += n;
        }
    }

    [LinuxTheory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(DirectFileWriter.Alignment - 1)]
    [InlineData(DirectFileWriter.Alignment + 1)]
    [InlineData(Buffer - 1)]
    [InlineData(Buffer)]
    [InlineData(Buffer + 1)]
    [InlineData(3 * Buffer + DirectFileWriter.Alignment)]
    [InlineData(5 * Buffer + 12_345)]
    public void A_direct_writer_leaves_exactly_its_bytes_and_writes_every_whole_page_past_the_page_cache(int length)
    {
        byte[] bytes = RandomBytes(length, length);
        string path = Path.Combine(_dir.Path, "direct.bin");
        long direct;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var writer = DirectFileWriter.TryStart(file.SafeFileHandle, offset: 0);
            Assert.NotNull(writer); // ext4 and tmpfs (Linux 6.6+) both take O_DIRECT
            WriteInPieces(writer, bytes, seed: length);
            writer.Finish();
            file.Flush(flushToDisk: true);
            direct = writer.DirectBytes;
            Assert.False(writer.FellBack);
        }

        Assert.Equal(bytes, File.ReadAllBytes(path));
        // Smaller than a buffer: all through the page cache; otherwise all but the last partial page went direct.
        Assert.Equal(length < Buffer ? 0 : length & ~(DirectFileWriter.Alignment - 1), direct);
    }

    [LinuxFact]
    public void A_direct_writer_at_an_offset_the_disk_refuses_goes_on_through_the_page_cache_and_loses_nothing()
    {
        byte[] bytes = RandomBytes((3 * Buffer) + 5, 7);
        string path = Path.Combine(_dir.Path, "unaligned.bin");
        DirectFileWriter writer;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            file.Write([0x42]);
            writer = DirectFileWriter.TryStart(file.SafeFileHandle, offset: 1)!;
            Assert.NotNull(writer);
            WriteInPieces(writer, bytes, seed: 7);
            writer.Finish();
        }

        // Offset 1 is not aligned: the first direct write was refused (EINVAL) and every byte went through the cache.
        Assert.True(writer.FellBack);
        Assert.Equal(0, writer.DirectBytes);
        Assert.Equal([0x42, .. bytes], File.ReadAllBytes(path));
    }

    [LinuxTheory]
    [InlineData(0, 5000)]
    [InlineData(BlobStore.StoreOnlyFrame.BlockBytes, 5000)]
    [InlineData(BlobStore.StoreOnlyFrame.BlockBytes, BlobStore.StoreOnlyFrame.BlockBytes)]
    [InlineData(Buffer, 1 << 20)]
    [InlineData((3 * Buffer) + 77, 1 << 20)]
    [InlineData((3 * Buffer) + 77, 4096 + 3)]
    public void A_store_only_frame_written_past_the_page_cache_is_byte_for_byte_the_frame_written_through_it(int length, int piece)
    {
        byte[] bytes = RandomBytes(length, length + piece);
        using var buffered = new MemoryStream();
        var reference = new BlobStore.StoreOnlyFrame(buffered);
        for (int i = 0; i < length; i += piece) reference.Write(bytes.AsSpan(i, Math.Min(piece, length - i)));
        reference.Finish();

        string path = Path.Combine(_dir.Path, "frame.zst");
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            var frame = new BlobStore.StoreOnlyFrame(file, DirectFileWriter.TryStart(file.SafeFileHandle, offset: 0));
            for (int i = 0; i < length; i += piece) frame.Write(bytes.AsSpan(i, Math.Min(piece, length - i)));
            frame.Finish();
        }

        byte[] written = File.ReadAllBytes(path);
        Assert.Equal(buffered.ToArray(), written);
        using var decoded = new DecompressionStream(new MemoryStream(written), checkEndOfStream: true);
        using var copy = new MemoryStream();
        decoded.CopyTo(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [LinuxFact]
    public void A_pipelined_capture_spills_past_the_page_cache_and_its_blob_reads_back_exactly()
    {
        byte[] bytes = RandomBytes((4 * Buffer) + 999, 11);
        string blobs = Path.Combine(_dir.Path, "blobs");
        using var output = new CapturedOutput("stdout", blobs);
        output.StartPipeline(pipeReader: true);
        for (int i = 0; i < bytes.Length;)
        {
            var room = output.GetReadBuffer();
            int n = Math.Min(room.Length, Math.Min(bytes.Length - i, 100_000));
            bytes.AsSpan(i, n).CopyTo(room);
            output.CommitRead(n);
            i += n;
        }
        output.FinishPipeline();
        string hex = output.Complete();
        string reference = BlobStore.Store(output, blobs, hex);

        Assert.Null(output.SpillError);
        Assert.True(output.SpillDirectBytes > 3 * Buffer, $"{output.SpillDirectBytes} bytes went direct");
        using var stored = BlobStore.OpenRead(_dir.Path, reference);
        using var copy = new MemoryStream();
        stored.CopyTo(copy);
        Assert.Equal(bytes, copy.ToArray());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), hex);
    }
}
