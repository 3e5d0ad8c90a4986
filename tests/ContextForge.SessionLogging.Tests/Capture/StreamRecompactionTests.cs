using System.Buffers.Binary;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Tests.Support;
using ZstdSharp;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A shell's raw stream file (<c>streams/&lt;id&gt;</c>) is recompacted into <c>streams/&lt;id&gt;.zst</c>, standard
/// zstd frames with a seek table (zstd's seekable format): every range reads the same bytes as before, the whole file
/// decodes as one zstd stream, and a stream still being written is left alone.
/// </summary>
public sealed class StreamRecompactionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string StreamDirectory => _dir.Combine("streams");

    // Shell-like output: prompts, ls -l lines and numbers, compressible but not trivially so.
    private static byte[] ShellText(int bytes, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(bytes + 200);
        while (sb.Length < bytes)
        {
            sb.Append("\u001b[32mme@host\u001b[0m:~/work$ ls -l\r\n");
            for (int i = 0; i < 20; i++)
                sb.Append($"-rw-r--r-- 1 me me {random.Next(100, 999_999),7} Nov {random.Next(1, 30),2} 12:{random.Next(0, 60):D2} file{random.Next(0, 9000)}.{(random.Next(3) == 0 ? "cs" : "txt")}\r\n");
        }
        return Encoding.ASCII.GetBytes(sb.ToString(0, bytes));
    }

    private string WriteStream(byte[] bytes)
    {
        Directory.CreateDirectory(StreamDirectory);
        string path = Path.Combine(StreamDirectory, Guid.NewGuid().ToString("D"));
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] ReadRange(string streamPath, long offset, long length)
    {
        using var range = BlobStore.OpenStreamRange(streamPath, offset, length);
        using var copy = new MemoryStream();
        range.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void A_recompacted_stream_reads_every_range_as_the_raw_file_did_and_decodes_whole_as_standard_zstd()
    {
        int frame = SeekableStreamFile.FrameBytes;
        byte[] original = ShellText((3 * frame) + 12_345, seed: 7);
        string path = WriteStream(original);
        (long Offset, long Length)[] ranges =
        [
            (0, 100), (0, original.Length), (frame - 10, 20), (frame, 1), (frame - 1, 1), (2 * frame + 5, frame + 100),
            (original.Length - 1, 1), (original.Length - 50, 50), (12_000, 2 * frame), (original.Length, 0),
        ];
        byte[][] before = [.. ranges.Select(r => ReadRange(path, r.Offset, r.Length))];

        var result = BlobStore.RecompactStreams(StreamDirectory);

        Assert.Empty(result.Errors);
        Assert.Equal((1, 1, (long)original.Length), (result.Examined, result.Recompacted, result.BytesBefore));
        string compressed = BlobStore.CompressedStreamPath(path);
        Assert.False(File.Exists(path));
        Assert.Equal(new FileInfo(compressed).Length, result.BytesAfter);
        Assert.True(result.BytesAfter < original.Length / 4, $"{result.BytesAfter} bytes for {original.Length}");
        Assert.True(BlobStore.StreamExists(path));
        for (int i = 0; i < ranges.Length; i++)
        {
            var (offset, length) = ranges[i];
            Assert.Equal(original.AsSpan((int)offset, (int)length).ToArray(), before[i]);
            Assert.Equal(before[i], ReadRange(path, offset, length));
        }
        // A range past the end gives what the stream has (the hash check then reports it), as the raw file did.
        Assert.Equal(original[^10..], ReadRange(path, original.Length - 10, 100));

        // Any zstd decoder reads the whole file: four frames, then the seek table in a skippable frame.
        // A decoder allowed at most the 8 MiB window (what readers rely on) is enough.
        byte[] file = File.ReadAllBytes(compressed);
        using (var whole = new DecompressionStream(new MemoryStream(file)))
        using (var copy = new MemoryStream())
        {
            whole.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, BlobStore.MaxRecompactionWindowLog);
            whole.CopyTo(copy);
            Assert.Equal(original, copy.ToArray());
        }
        Assert.Equal(0x8F92EAB1u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 9)));
        Assert.Equal(0x184D2A5Eu, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 9 - (4 * 8) - 8)));

        Assert.Equal(0, BlobStore.RecompactStreams(StreamDirectory).Recompacted); // a compressed stream is left alone
        Assert.Equal([BlobStore.RecompactionLockName, Path.GetFileName(compressed)], Directory.GetFiles(StreamDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_stream_its_shell_still_writes_is_left_raw_and_recompacted_once_the_writer_closed_it()
    {
        byte[] first = ShellText(200_000, seed: 3);
        string path = WriteStream(first);
        // As CapturedOutput writes a shell's stream: appending, others may read and delete.
        var writer = new FileStream(path, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read | FileShare.Delete });
        byte[] more = ShellText(50_000, seed: 4);
        try
        {
            var busy = BlobStore.RecompactStreams(StreamDirectory);
            Assert.Equal((1, 0), (busy.Examined, busy.Recompacted));
            Assert.Empty(busy.Errors);
            Assert.True(File.Exists(path));
            Assert.False(File.Exists(BlobStore.CompressedStreamPath(path)));
            writer.Write(more);
        }
        finally
        {
            writer.Dispose();
        }

        Assert.Equal(1, BlobStore.RecompactStreams(StreamDirectory).Recompacted);
        Assert.False(File.Exists(path));
        Assert.Equal([.. first, .. more], ReadRange(path, 0, first.Length + more.Length));
    }

    [Fact]
    public void A_recompacted_stream_without_a_valid_seek_table_fails_the_read_with_one_line_naming_it()
    {
        string path = WriteStream(ShellText(100_000, seed: 5));
        Assert.Equal(1, BlobStore.RecompactStreams(StreamDirectory).Recompacted);
        string compressed = BlobStore.CompressedStreamPath(path);
        byte[] file = File.ReadAllBytes(compressed);
        File.WriteAllBytes(compressed, file[..^1]); // the footer's last byte lost

        var error = Assert.Throws<IOException>(() => ReadRange(path, 10, 10));

        Assert.Equal($"stream {Path.GetFileName(compressed)} is not a valid seekable zstd stream: no seek table", error.Message);
    }

    [Fact]
    public void Poorly_compressible_stream_output_is_recompacted_at_the_fast_level_and_reads_back_the_same()
    {
        byte[] random = new byte[SeekableStreamFile.FrameBytes + 777];
        new Random(11).NextBytes(random);
        string path = WriteStream(random);

        Assert.Equal(1, BlobStore.RecompactStreams(StreamDirectory, textSettings: BlobStore.BackgroundRecompaction.For).Recompacted);

        Assert.Equal(random, ReadRange(path, 0, random.Length));
        Assert.Equal(random.AsSpan(SeekableStreamFile.FrameBytes - 3, 10).ToArray(), ReadRange(path, SeekableStreamFile.FrameBytes - 3, 10));
    }
}
