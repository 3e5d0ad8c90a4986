using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Tests.Support;
using ZstdSharp;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// Blobs are zstd frames named by the SHA-256 of the original bytes (blobs/&lt;hex&gt;.zst); readers get the original
/// bytes back; blobs written before compression (blobs/&lt;hex&gt;, raw) stay readable.
/// </summary>
public sealed class BlobStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private string SessionDirectory => _dir.Path;
    private string BlobDirectory => Path.Combine(_dir.Path, "blobs");

    public void Dispose() => _dir.Dispose();

    private static byte[] TerminalOutput(int lines)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++) sb.Append($"\u001b[32m  Passed App.Tests.Feature{i % 40}.Handles_case_{i} [{i % 300} ms]\u001b[0m\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private (string Reference, string Hex) Capture(byte[] bytes, int chunk)
    {
        using var output = new CapturedOutput("stdout", BlobDirectory);
        for (int i = 0; i < bytes.Length; i += chunk) output.Write(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
        string hex = output.Complete();
        return (BlobStore.Store(output, BlobDirectory, hex), hex);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using (stream)
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            return copy.ToArray();
        }
    }

    [Fact]
    public void A_spilled_output_is_a_store_only_zstd_frame_named_by_the_hash_of_the_original_bytes_that_recompaction_compresses_in_place()
    {
        byte[] original = TerminalOutput(20_000); // ~1.4 MB, written in 4 KiB reads like a pipe pump
        var (reference, hex) = Capture(original, 4096);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(original)), hex);
        Assert.Equal($"blobs/{hex}.zst", reference);
        string path = Path.Combine(SessionDirectory, reference);
        byte[] onDisk = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0x00, BlobStore.StoreOnlyFrame.WindowDescriptor }, onDisk[..6]); // magic, store-only mark
        Assert.True(BlobStore.StoreOnlyFrame.IsStoreOnly(path));
        using (var decompressor = new Decompressor()) Assert.Equal(original, decompressor.Unwrap(onDisk).ToArray());
        Assert.Equal(original, ReadAll(BlobStore.OpenRead(SessionDirectory, reference)));

        var result = BlobStore.Recompact(BlobDirectory);

        Assert.Equal((1, 1, (long)onDisk.Length), (result.Examined, result.Recompacted, result.BytesBefore));
        Assert.Empty(result.Errors);
        byte[] compacted = File.ReadAllBytes(path);
        Assert.Equal(compacted.Length, result.BytesAfter);
        Assert.False(BlobStore.StoreOnlyFrame.IsStoreOnly(path));
        Assert.True(compacted.Length < original.Length / 10, $"{compacted.Length} bytes on disk for {original.Length}");
        using (var decompressor = new Decompressor()) Assert.Equal(original, decompressor.Unwrap(compacted).ToArray());
        Assert.Equal(original, ReadAll(BlobStore.OpenRead(SessionDirectory, reference)));
        // No .tmp-* left behind; the recompaction lock file stays (an empty file, never a blob).
        Assert.Equal([BlobStore.RecompactionLockName, $"{hex}.zst"], Directory.GetFiles(BlobDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(0, BlobStore.Recompact(BlobDirectory).Recompacted); // a compressed blob is left alone
    }

    // The original bytes of a zstd file, read by a decoder allowed at most an 8 MiB window (what readers rely on).
    private static byte[] DecodeWithin8MiBWindow(string path)
    {
        using var decoder = new DecompressionStream(File.OpenRead(path));
        decoder.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, BlobStore.MaxRecompactionWindowLog);
        using var copy = new MemoryStream();
        decoder.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void The_background_recompaction_uses_level_16_up_to_64_MiB_and_level_14_above()
    {
        Assert.Equal(64L << 20, BlobStore.BackgroundRecompaction.LargeBytes);
        Assert.Equal(new BlobStore.RecompactionSettings(16), BlobStore.BackgroundRecompaction.For(0));
        Assert.Equal(new BlobStore.RecompactionSettings(16), BlobStore.BackgroundRecompaction.For(64L << 20));
        Assert.Equal(new BlobStore.RecompactionSettings(14), BlobStore.BackgroundRecompaction.For((64L << 20) + 1));
        Assert.Equal(new BlobStore.RecompactionSettings(14), BlobStore.BackgroundRecompaction.For(1L << 40));
        Assert.Equal("16", BlobStore.BackgroundRecompaction.Small.ToString());
        Assert.Equal("17:strategy=btopt,search=3,target=32,chain=20,hash=20,minmatch=4",
            new BlobStore.RecompactionSettings(17, ZstdSharp.Unsafe.ZSTD_strategy.ZSTD_btopt, 3, 32, 20, 20, 4).ToString());
    }

    [Fact]
    public void Advanced_parameters_change_the_frame_but_not_its_bytes()
    {
        byte[] original = TerminalOutput(40_000);
        var (reference, _) = Capture(original, 65_536);
        string path = Path.Combine(SessionDirectory, reference);
        string copyDirectory = Path.Combine(_dir.Path, "copy");
        Directory.CreateDirectory(copyDirectory);
        File.Copy(path, Path.Combine(copyDirectory, Path.GetFileName(path)));
        var fast = new BlobStore.RecompactionSettings(16, ZstdSharp.Unsafe.ZSTD_strategy.ZSTD_fast);

        Assert.Equal(1, BlobStore.Recompact(BlobDirectory, textSettings: _ => new BlobStore.RecompactionSettings(16)).Recompacted);
        Assert.Equal(1, BlobStore.Recompact(copyDirectory, textSettings: _ => fast).Recompacted);

        // The strategy given overrides the level's (btopt): a different, larger frame, the same bytes.
        string overridden = Path.Combine(copyDirectory, Path.GetFileName(path));
        Assert.True(new FileInfo(overridden).Length > new FileInfo(path).Length, $"{new FileInfo(overridden).Length} bytes with the fast strategy, {new FileInfo(path).Length} with btopt");
        Assert.Equal(original, DecodeWithin8MiBWindow(path));
        Assert.Equal(original, DecodeWithin8MiBWindow(overridden));
    }

    [Fact]
    public void The_background_settings_store_text_smaller_than_level_3_within_the_8_MiB_window_and_read_back_the_same_bytes()
    {
        var sb = new StringBuilder();
        var random = new Random(19);
        for (int i = 0; i < 12_000; i++)
            sb.Append($"-rw-r--r-- 1 root root {random.Next(100, 999_999),7} Nov {random.Next(1, 30),2} 12:{random.Next(0, 60):D2} lib{random.Next(0, 5000)}_{(char)('a' + random.Next(26))}.so.{random.Next(1, 9)}\n");
        byte[] original = Encoding.ASCII.GetBytes(sb.ToString());
        var (reference, _) = Capture(original, 65_536);
        string path = Path.Combine(SessionDirectory, reference);
        string copyDirectory = Path.Combine(_dir.Path, "copy");
        Directory.CreateDirectory(copyDirectory);
        File.Copy(path, Path.Combine(copyDirectory, Path.GetFileName(path)));

        Assert.Equal(1, BlobStore.Recompact(BlobDirectory).Recompacted);
        Assert.Equal(1, BlobStore.Recompact(copyDirectory, textSettings: BlobStore.BackgroundRecompaction.For).Recompacted);

        long level3 = new FileInfo(path).Length;
        string background = Path.Combine(copyDirectory, Path.GetFileName(path));
        Assert.True(new FileInfo(background).Length < level3 * 0.95, $"{new FileInfo(background).Length} bytes at the background settings, {level3} at 3");
        Assert.Equal(original, ReadAll(BlobStore.OpenPath(background, original.Length)));
        Assert.Equal(original, DecodeWithin8MiBWindow(background));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(BlobStore.StoreOnlyFrame.BlockBytes - 1)]
    [InlineData(BlobStore.StoreOnlyFrame.BlockBytes)]
    [InlineData(BlobStore.StoreOnlyFrame.BlockBytes + 1)]
    [InlineData(3 * BlobStore.StoreOnlyFrame.BlockBytes + 77)]
    public void A_store_only_frame_decodes_to_exactly_its_bytes_at_every_block_boundary(int length)
    {
        byte[] original = new byte[length];
        new Random(length).NextBytes(original);
        using var file = new MemoryStream();
        var frame = new BlobStore.StoreOnlyFrame(file);
        for (int i = 0; i < length; i += 5000) frame.Write(original.AsSpan(i, Math.Min(5000, length - i)));
        frame.Finish();

        byte[] encoded = file.ToArray();
        int blocks = length / BlobStore.StoreOnlyFrame.BlockBytes + 1; // the full ones, then the last (empty on a boundary)
        Assert.Equal(6 + 3 * blocks + length, encoded.Length); // header, one 3-byte header per block, the bytes
        using var decoded = new DecompressionStream(new MemoryStream(encoded), checkEndOfStream: true);
        Assert.Equal(original, ReadAll(decoded));
    }

    [Fact]
    public void A_store_only_frame_on_a_file_starts_the_disk_write_back_every_8_MiB_and_still_decodes_to_its_bytes()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = new byte[20 << 20];
        new Random(20).NextBytes(original);
        Directory.CreateDirectory(BlobDirectory);
        string path = Path.Combine(BlobDirectory, "frame.zst");
        int requests;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
        {
            var frame = new BlobStore.StoreOnlyFrame(file);
            for (int i = 0; i < original.Length; i += 65536) frame.Write(original.AsSpan(i, 65536));
            requests = frame.WriteBackRequests;
            frame.Finish();
            file.Flush(flushToDisk: true);
        }

        // 20 MiB: the write-back started after the first 8 MiB and after the next 8 MiB; the last 4 MiB wait for the fsync.
        Assert.Equal(2, requests);
        using var decoded = new DecompressionStream(File.OpenRead(path), checkEndOfStream: true);
        Assert.Equal(original, ReadAll(decoded));
    }

    [Fact]
    public void Recompaction_leaves_legacy_raw_blobs_and_temporary_files_alone()
    {
        byte[] original = TerminalOutput(500);
        string hex = Convert.ToHexStringLower(SHA256.HashData(original));
        Directory.CreateDirectory(BlobDirectory);
        File.WriteAllBytes(Path.Combine(BlobDirectory, hex), original);
        File.WriteAllBytes(Path.Combine(BlobDirectory, ".tmp-0123.zst"), [1, 2, 3]);

        var result = BlobStore.Recompact(BlobDirectory);

        Assert.Equal((0, 0), (result.Examined, result.Recompacted));
        Assert.Equal(original, File.ReadAllBytes(Path.Combine(BlobDirectory, hex)));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(BlobDirectory, ".tmp-0123.zst")));
    }

    [Fact]
    public void A_small_binary_output_held_in_memory_is_compressed_and_read_back_exactly()
    {
        byte[] binary = Enumerable.Range(0, 768).Select(i => (byte)i).ToArray(); // not UTF-8: never inline
        var (reference, hex) = Capture(binary, 100);

        Assert.Equal($"blobs/{hex}.zst", reference);
        Assert.Equal(binary, ReadAll(BlobStore.OpenRead(SessionDirectory, reference)));
    }

    [Fact]
    public void The_same_output_twice_is_stored_once()
    {
        byte[] original = TerminalOutput(1000);
        var first = Capture(original, 8192);
        var second = Capture(original, 3000);

        Assert.Equal(first, second);
        Assert.Single(Directory.GetFiles(BlobDirectory));
    }

    [Fact]
    public void A_legacy_raw_blob_reference_reads_its_bytes_for_show_validate_and_search()
    {
        byte[] original = TerminalOutput(500);
        string hex = Convert.ToHexStringLower(SHA256.HashData(original));
        Directory.CreateDirectory(BlobDirectory);
        File.WriteAllBytes(Path.Combine(BlobDirectory, hex), original);
        var fields = new JsonObject
        {
            [JournalFields.OutputBlob] = "blobs/" + hex,
            [JournalFields.IntegrityHash] = "sha256:" + hex,
            [JournalFields.OutputLength] = original.Length,
        };

        var stream = Assert.Single(StoredOutput.Of(fields, SessionDirectory));
        Assert.True(stream.Exists);
        Assert.Equal(original, stream.ReadBytes());
        Assert.Equal(original, ReadAll(stream.OpenRead()));
        Assert.Equal(original, ReadAll(BlobStore.OpenRead(SessionDirectory, "blobs/" + hex)));
        Assert.StartsWith("  Passed App.Tests.Feature0.Handles_case_0 [0 ms]\n", stream.ReadPlainPrefix(1024), StringComparison.Ordinal);
    }

    [Fact]
    public void A_compressed_blob_reads_its_original_bytes_through_the_output_stream()
    {
        byte[] original = TerminalOutput(3000);
        var (reference, hex) = Capture(original, 65536);
        var fields = new JsonObject
        {
            [JournalFields.OutputBlob] = reference,
            [JournalFields.IntegrityHash] = "sha256:" + hex,
            [JournalFields.OutputLength] = original.Length,
        };

        var stream = Assert.Single(StoredOutput.Of(fields, SessionDirectory));
        Assert.Equal(Path.Combine(SessionDirectory, "blobs", hex + ".zst"), stream.BlobPath);
        Assert.Equal(original, stream.ReadBytes());
        Assert.Equal(Encoding.UTF8.GetString(original, 0, 100).Replace("\u001b[32m", "").Replace("\u001b[0m", ""), stream.ReadPlainPrefix(100));
    }

    [Fact]
    public void A_corrupt_compressed_blob_fails_the_read_with_an_IOException_naming_the_blob()
    {
        var (reference, hex) = Capture(TerminalOutput(2000), 4096);
        File.WriteAllText(Path.Combine(SessionDirectory, reference), "not a zstd frame");

        var ex = Assert.Throws<IOException>(() => ReadAll(BlobStore.OpenRead(SessionDirectory, reference)));
        Assert.Contains($"blob {hex}.zst is not a valid zstd frame", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_is_compressed_at_level_3_and_output_that_barely_compresses_at_the_fast_level()
    {
        byte[] random = new byte[16 * 1024];
        new Random(3).NextBytes(random);
        byte[] base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(random));

        Assert.Equal(BlobStore.CompressionLevel, BlobStore.ChooseLevel(TerminalOutput(300).AsSpan(0, 16 * 1024)));
        Assert.Equal(BlobStore.FastCompressionLevel, BlobStore.ChooseLevel(random));
        Assert.Equal(BlobStore.FastCompressionLevel, BlobStore.ChooseLevel(base64.AsSpan(0, 16 * 1024)));
        Assert.Equal(BlobStore.CompressionLevel, BlobStore.ChooseLevel(random.AsSpan(0, 100))); // too short to judge
    }

    [Fact]
    public void A_random_output_stored_at_the_fast_level_reads_back_exactly()
    {
        byte[] random = new byte[3 * 1024 * 1024];
        new Random(9).NextBytes(random);
        var (reference, hex) = Capture(random, 65536);

        Assert.Equal($"blobs/{hex}.zst", reference);
        Assert.Equal(random, ReadAll(BlobStore.OpenRead(SessionDirectory, reference)));
    }

    [Theory]
    [InlineData("blobs/../journal.jsonl")]
    [InlineData("/etc/passwd")]
    [InlineData("blobs/ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("blobs/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789.gz")]
    [InlineData("blobs/abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678.zst")]
    public void Only_blob_references_resolve_to_paths(string reference)
    {
        Assert.Null(BlobStore.ResolvePath(SessionDirectory, reference));
        Assert.Throws<ArgumentException>(() => BlobStore.OpenRead(SessionDirectory, reference));
    }

    [Theory]
    [InlineData("blobs/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("blobs/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789.zst")]
    public void Raw_and_zstd_references_resolve_inside_the_session_blob_directory(string reference) =>
        Assert.Equal(Path.Combine(SessionDirectory, reference), BlobStore.ResolvePath(SessionDirectory, reference));
}
