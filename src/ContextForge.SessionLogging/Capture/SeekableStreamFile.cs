using System.Buffers;
using System.Buffers.Binary;
using ZstdSharp;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// A shell's recompacted stream file (<c>streams/&lt;id&gt;.zst</c>): the stream in independent zstd frames of at most
/// <see cref="FrameBytes"/> each, followed by a seek table, in zstd's seekable format (contrib/seekable_format: a
/// skippable frame, magic 0x184D2A5E, holding one entry per frame, compressed and decompressed size, then a 9-byte
/// footer: the number of frames, a descriptor byte of 0 (no checksums), the magic 0x8F92EAB1). Any zstd decoder reads
/// the whole file as the stream (frames concatenate, a skippable frame is skipped); a command's range is read by
/// decoding from the frame it starts in, so reading one command costs at most one frame of decoding before it.
/// </summary>
internal static class SeekableStreamFile
{
    /// <summary>
    /// The stream's bytes per frame: 8 MiB, the window a reader of any blob already needs. Each frame is compressed on
    /// its own, so a frame has less history than one frame over the whole stream: on the text, level 16 stores
    /// 8 MiB frames at 0.147x raw, 4 MiB frames at 0.153x, 1 MiB frames at 0.162x (benchmarks/results/recompaction.md).
    /// A range is decoded from the start of the frame it begins in: at most 8 MiB decoded before it.
    /// </summary>
    public const int FrameBytes = 1 << BlobStore.MaxRecompactionWindowLog;

    private const uint SkippableMagic = 0x184D2A5E;
    private const uint SeekableMagic = 0x8F92EAB1;
    private const int FooterBytes = 9;
    private const int EntryBytes = 8;
    private const int SkippableHeaderBytes = 8;

    /// <summary>
    /// Writes <paramref name="source"/> (read to its end) to <paramref name="destination"/> as frames of
    /// <see cref="FrameBytes"/> compressed with <paramref name="settings"/> (window: the frame), then the seek table. Returns the stream's length.
    /// </summary>
    public static long Write(Stream source, Stream destination, BlobStore.RecompactionSettings settings)
    {
        using var compressor = new Compressor(settings.Level);
        settings.Apply(compressor.SetParameter);
        if (settings.Level > 0) compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_windowLog, BlobStore.MaxRecompactionWindowLog); // the whole frame
        byte[] input = ArrayPool<byte>.Shared.Rent(FrameBytes);
        byte[] output = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(FrameBytes));
        var entries = new List<(uint Compressed, uint Decompressed)>();
        long total = 0;
        try
        {
            int n;
            while ((n = source.ReadAtLeast(input.AsSpan(0, FrameBytes), FrameBytes, throwOnEndOfStream: false)) > 0)
            {
                int compressed = compressor.Wrap(input.AsSpan(0, n), output);
                destination.Write(output, 0, compressed);
                entries.Add(((uint)compressed, (uint)n));
                total += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
        byte[] table = new byte[SkippableHeaderBytes + (entries.Count * EntryBytes) + FooterBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(table, SkippableMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4), (uint)(table.Length - SkippableHeaderBytes));
        for (int i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(SkippableHeaderBytes + (i * EntryBytes)), entries[i].Compressed);
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(SkippableHeaderBytes + (i * EntryBytes) + 4), entries[i].Decompressed);
        }
        var footer = table.AsSpan(table.Length - FooterBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(footer, (uint)entries.Count);
        footer[4] = 0; // Seek_Table_Descriptor: no checksums
        BinaryPrimitives.WriteUInt32LittleEndian(footer[5..], SeekableMagic);
        destination.Write(table);
        return total;
    }

    /// <summary>
    /// Opens <paramref name="length"/> bytes of the stream from <paramref name="offset"/>: decoded from the frame the
    /// range starts in. A range past the stream's end gives what the stream has (the hash check then says the bytes
    /// differ). A file that is not a seekable stream fails with an <see cref="IOException"/> that says so.
    /// </summary>
    public static Stream OpenRange(string path, long offset, long length)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        try
        {
            var (frameStart, streamStart) = FindFrame(file, path, offset);
            file.Position = frameStart;
            Stream decoded = BlobStore.OpenFrames(file, path);
            try
            {
                Skip(decoded, offset - streamStart);
                return BlobStore.Range(decoded, length);
            }
            catch
            {
                decoded.Dispose();
                throw;
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // The file position of the frame holding stream byte `offset`, and where that frame starts in the stream (the last
    // frame's end when the offset is past it).
    private static (long FrameStart, long StreamStart) FindFrame(FileStream file, string path, long offset)
    {
        long fileLength = file.Length;
        Span<byte> footer = stackalloc byte[FooterBytes];
        if (fileLength < SkippableHeaderBytes + FooterBytes) throw NotSeekable(path, "too short");
        file.Position = fileLength - FooterBytes;
        file.ReadExactly(footer);
        if (BinaryPrimitives.ReadUInt32LittleEndian(footer[5..]) != SeekableMagic || footer[4] != 0) throw NotSeekable(path, "no seek table");
        long frames = BinaryPrimitives.ReadUInt32LittleEndian(footer);
        long tableBytes = SkippableHeaderBytes + (frames * EntryBytes) + FooterBytes;
        if (tableBytes > fileLength) throw NotSeekable(path, "its seek table is longer than the file");
        long tableStart = fileLength - tableBytes;
        byte[] table = new byte[tableBytes - FooterBytes];
        file.Position = tableStart;
        file.ReadExactly(table);
        if (BinaryPrimitives.ReadUInt32LittleEndian(table) != SkippableMagic || BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(4)) != tableBytes - SkippableHeaderBytes)
            throw NotSeekable(path, "its seek table's frame header is wrong");
        long compressedAt = 0, streamAt = 0;
        for (int i = 0; i < frames; i++)
        {
            uint compressed = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(SkippableHeaderBytes + (i * EntryBytes)));
            uint decompressed = BinaryPrimitives.ReadUInt32LittleEndian(table.AsSpan(SkippableHeaderBytes + (i * EntryBytes) + 4));
            if (offset < streamAt + decompressed) return (compressedAt, streamAt);
            compressedAt += compressed;
            streamAt += decompressed;
        }
        if (compressedAt != tableStart) throw NotSeekable(path, "its frames do not end where the seek table starts");
        return (compressedAt, streamAt);
    }

    private static IOException NotSeekable(string path, string why) =>
        new($"stream {Path.GetFileName(path)} is not a valid seekable zstd stream: {why}");

    private static void Skip(Stream stream, long count)
    {
        if (count <= 0) return;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                int n = stream.Read(scratch, 0, (int)Math.Min(scratch.Length, count));
                if (n == 0) return;
                count -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
