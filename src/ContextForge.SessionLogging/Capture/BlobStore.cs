using System.Buffers;
using System.Numerics;
using System.Collections.Concurrent;
using ContextForge.SessionLogging.Sessions;
using ZstdSharp;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// The session's content-addressed store of outputs too large (or not UTF-8 enough) to inline: the one place that
/// knows how a blob is written and read. New blobs are zstd frames at <c>blobs/&lt;sha256&gt;.zst</c>, compressed
/// while the output streams in (bounded memory: a fixed window, never the whole output); the name and the journal's
/// hash are over the ORIGINAL bytes. Blobs written before compression was adopted, <c>blobs/&lt;sha256&gt;</c> (raw
/// bytes), stay readable. The journal's reference names the encoding by its suffix: <c>.zst</c> = zstd, none = raw.
/// The capture path writes a store-only frame (<see cref="CreateCaptureSpill"/>: raw blocks, no compression, so a
/// capture costs what writing its bytes costs), and <see cref="Recompact"/> re-encodes such blobs later (in the
/// background after <c>run</c> with <see cref="BackgroundRecompaction"/>'s settings, and at <c>reindex</c> and
/// <c>prune</c> at level 3): text with long-distance matching over a window as large as the blob, up to
/// 2^<see cref="MaxRecompactionWindowLog"/> = 8 MiB, which is also the most window memory a reader needs; -1 (no
/// entropy coding) for output whose first bytes barely compress (<see cref="ChooseLevel"/>). A zstd frame decodes the
/// same whatever its settings, so the blob's name, its journal reference and the hash never change. A shell's raw
/// stream file is recompacted the same way into a <see cref="SeekableStreamFile"/> (<see cref="RecompactStreams"/>).
/// </summary>
internal static class BlobStore
{
    /// <summary>The prefix of every blob reference in a journal line.</summary>
    public const string ReferencePrefix = "blobs/";

    /// <summary>The suffix of a zstd-compressed blob (file name and reference).</summary>
    public const string CompressedSuffix = ".zst";

    /// <summary>zstd level: 3 stores realistic terminal output at 5-15 % of raw (benchmarks/results/storage.md).</summary>
    public const int CompressionLevel = 3;

    /// <summary>
    /// zstd level for an output whose first bytes do not compress well (binary, base64, already compressed): -1
    /// skips entropy coding (~3x faster than level 3), where level 3 would save at most a quarter of the bytes at
    /// ~2.5 s of CPU per GiB (benchmarks/README.md, 1 GB pipe capture).
    /// </summary>
    public const int FastCompressionLevel = -1;

    /// <summary>The first bytes compress to more than this fraction of their size: use <see cref="FastCompressionLevel"/>.</summary>
    public const double PoorlyCompressibleRatio = 0.5;

    /// <summary>
    /// The level for an output starting with <paramref name="head"/>: <see cref="CompressionLevel"/> unless the head
    /// (a sample, up to 16 KiB) compresses worse than <see cref="PoorlyCompressibleRatio"/> at that level.
    /// </summary>
    public static int ChooseLevel(ReadOnlySpan<byte> head)
    {
        if (head.Length < 1024) return CompressionLevel;
        using var probe = new Compressor(CompressionLevel);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(Compressor.GetCompressBound(head.Length));
        try
        {
            int compressed = probe.Wrap(head, scratch);
            return compressed > head.Length * PoorlyCompressibleRatio ? FastCompressionLevel : CompressionLevel;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private const int HexLength = 64;

    /// <summary>
    /// Starts a spill: a temporary compressed file in <paramref name="blobDirectory"/> the output streams into, at the
    /// level <see cref="ChooseLevel"/> picks from <paramref name="head"/> (the output's first bytes).
    /// </summary>
    public static Spill CreateSpill(string blobDirectory, ReadOnlySpan<byte> head)
    {
        int level = ChooseLevel(head);
        FileSecurity.CreatePrivateDirectory(blobDirectory);
        string path = Path.Combine(blobDirectory, $".tmp-{Guid.NewGuid():N}{CompressedSuffix}");
        return new Spill(path, FileSecurity.CreateNewPrivateFile(path, bufferSize: 64 * 1024), level);
    }

    /// <summary>
    /// Starts the spill of a capture: a temporary file holding a store-only zstd frame (<see cref="StoreOnlyFrame"/>:
    /// the bytes in raw blocks, written on the caller's thread with no compression), so the capture path costs what
    /// writing the bytes costs. <see cref="Recompact"/> compresses it later.
    /// </summary>
    public static Spill CreateCaptureSpill(string blobDirectory)
    {
        FileSecurity.CreatePrivateDirectory(blobDirectory);
        string path = Path.Combine(blobDirectory, $".tmp-{Guid.NewGuid():N}{CompressedSuffix}");
        return new Spill(path, FileSecurity.CreateNewPrivateFile(path, bufferSize: 0));
    }

    /// <summary>What <see cref="Recompact"/> did in one blob directory.</summary>
    /// <param name="Examined">Blob files looked at.</param>
    /// <param name="Recompacted">Store-only blobs re-encoded.</param>
    /// <param name="BytesBefore">The size on disk of the re-encoded blobs before.</param>
    /// <param name="BytesAfter">Their size after.</param>
    /// <param name="Errors">One line per blob that could not be re-encoded (it stays as it was, readable).</param>
    internal sealed record RecompactionResult(int Examined, int Recompacted, long BytesBefore, long BytesAfter, IReadOnlyList<string> Errors)
    {
        /// <summary>Nothing examined.</summary>
        public static RecompactionResult None { get; } = new(0, 0, 0, 0, []);

        /// <summary>The sum of two results (several sessions).</summary>
        public RecompactionResult Add(RecompactionResult other) =>
            new(Examined + other.Examined, Recompacted + other.Recompacted, BytesBefore + other.BytesBefore, BytesAfter + other.BytesAfter, [.. Errors, .. other.Errors]);
    }

    /// <summary>
    /// zstd settings of a recompaction: a level, and advanced parameters that override the level's defaults (null:
    /// the level's own). Frames at any setting decode the same (standard zstd); only the compressor's CPU and the
    /// ratio differ.
    /// </summary>
    internal sealed record RecompactionSettings(int Level, ZstdSharp.Unsafe.ZSTD_strategy? Strategy = null, int? SearchLog = null, int? TargetLength = null,
        int? ChainLog = null, int? HashLog = null, int? MinMatch = null)
    {
        /// <summary>What <c>reindex</c> and <c>prune</c> use, which a user waits for: <see cref="CompressionLevel"/>.</summary>
        public static RecompactionSettings Interactive { get; } = new(CompressionLevel);

        /// <summary>
        /// Sets the level, then the advanced parameters, through <paramref name="set"/> (a compressor's
        /// <c>SetParameter</c>, before its first write).
        /// </summary>
        public void Apply(Action<ZstdSharp.Unsafe.ZSTD_cParameter, int> set)
        {
            set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_compressionLevel, Level);
            if (Strategy is { } strategy) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_strategy, (int)strategy);
            if (SearchLog is { } searchLog) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_searchLog, searchLog);
            if (TargetLength is { } targetLength) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_targetLength, targetLength);
            if (ChainLog is { } chainLog) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_chainLog, chainLog);
            if (HashLog is { } hashLog) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_hashLog, hashLog);
            if (MinMatch is { } minMatch) set(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_minMatch, minMatch);
        }

        /// <summary>As the benchmark names it: <c>LEVEL[:strategy=S,search=N,target=N,chain=N,hash=N,minmatch=N]</c>.</summary>
        public override string ToString()
        {
            var parts = new List<string>();
            if (Strategy is { } strategy) parts.Add("strategy=" + strategy.ToString()["ZSTD_".Length..]);
            if (SearchLog is { } searchLog) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"search={searchLog}"));
            if (TargetLength is { } targetLength) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"target={targetLength}"));
            if (ChainLog is { } chainLog) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"chain={chainLog}"));
            if (HashLog is { } hashLog) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"hash={hashLog}"));
            if (MinMatch is { } minMatch) parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"minmatch={minMatch}"));
            string level = Level.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return parts.Count == 0 ? level : level + ":" + string.Join(',', parts);
        }
    }

    /// <summary>
    /// The settings the background recompaction (<c>cfsession __recompact</c>, nice 19, after <c>run</c> or <c>shell</c>
    /// returned; nobody waits for it) gives text, by the blob's (or shell stream's) size. Measured on the kind
    /// of text (<c>ls -lR /usr</c> and Python sources, 39 MB, one zstd frame with the 8 MiB window; NativeAOT;
    /// benchmarks/results/recompaction.md): level 19 stored it at 0.134x raw for ~0.55 CPU s per MB (a 1 GB capture:
    /// ~9 minutes of background CPU); level 16 (zstd's btopt) at 0.140x for ~0.24, level 14 at 0.150x for ~0.10,
    /// level 12 at 0.152x for ~0.05. Tuning the advanced parameters of levels 15-17 (searchLog, targetLength,
    /// chainLog, hashLog, minMatch) moved along the same curve without beating it. So: <see cref="Small"/> (level 16)
    /// up to <see cref="LargeBytes"/>, where the ratio costs seconds, and <see cref="Large"/> (level 14) above, where
    /// level 16's CPU would run into minutes (1 GB: ~1.7 minutes instead of ~4, or ~9 at level 19), still at 0.15x.
    /// The window never grows (at most 2^<see cref="MaxRecompactionWindowLog"/>), so readers need no more memory.
    /// </summary>
    internal static class BackgroundRecompaction
    {
        /// <summary>The largest blob or stream compressed with <see cref="Small"/>: 64 MiB (~16 CPU s at level 16).</summary>
        public const long LargeBytes = 64L << 20;

        /// <summary>Level 16 (btopt): 0.140x raw on the text (0.147x in a shell stream's 8 MiB frames), ~2.3x less CPU than level 19.</summary>
        public static RecompactionSettings Small { get; } = new(16);

        /// <summary>Level 14 (btlazy2): 0.150x raw on the text, ~0.4x level 16's CPU.</summary>
        public static RecompactionSettings Large { get; } = new(14);

        /// <summary>The settings for a blob or stream of <paramref name="size"/> bytes.</summary>
        public static RecompactionSettings For(long size) => size <= LargeBytes ? Small : Large;
    }

    /// <summary>
    /// The largest zstd window recompaction uses: 2^23 = 8 MiB, so reading a recompacted blob needs at most 8 MiB of
    /// window memory (before: 128 MiB per open blob, too much for a search or an MCP server reading many at once).
    /// Level 3 alone uses 2 MiB; the wider window lets long-distance matching find output repeated up to 8 MiB apart.
    /// </summary>
    public const int MaxRecompactionWindowLog = 23;

    private static RecompactionSettings InteractiveSettings(long size) => RecompactionSettings.Interactive;

    /// <summary>The prefix of a recompaction's temporary file; one left by a killed recompaction is removed by the next.</summary>
    internal const string RecompactionTempPrefix = ".tmp-recompact-";

    /// <summary>The lock file (in the blob directory) one recompaction at a time holds.</summary>
    internal const string RecompactionLockName = ".recompact.lock";

    /// <summary>How long <see cref="Recompact"/> waits for another process's recompaction of the same directory.</summary>
    public static readonly TimeSpan DefaultRecompactionLockWait = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The spill of a recompaction: at the level <see cref="ChooseLevel"/> picks and, for text, with zstd's long-distance
    /// matching over a window as large as the blob (at least 1 MiB, at most 2^<see cref="MaxRecompactionWindowLog"/>),
    /// so output that repeats itself further apart than level 3's 2 MiB window (a build run twice, a log) is stored
    /// once. Off the capture path, so the extra work costs nobody's command; a reader needs at most the window's memory.
    /// </summary>
    private static Spill CreateRecompactionSpill(string blobDirectory, ReadOnlySpan<byte> head, long size, RecompactionSettings text)
    {
        bool fast = ChooseLevel(head) == FastCompressionLevel;
        string path = Path.Combine(blobDirectory, $"{RecompactionTempPrefix}{Guid.NewGuid():N}{CompressedSuffix}");
        var spill = new Spill(path, FileSecurity.CreateNewPrivateFile(path, bufferSize: 64 * 1024), fast ? FastCompressionLevel : text.Level);
        if (fast) return spill;
        spill.Use(text);
        int windowLog = Math.Clamp(64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, size - 1)), 20, MaxRecompactionWindowLog);
        spill.UseLongDistanceMatching(windowLog);
        return spill;
    }

    /// <summary>
    /// Recompacts the blobs (<see cref="Recompact"/>) and the finished shell streams (<see cref="RecompactStreams"/>)
    /// of every session in <paramref name="data"/>, at <see cref="RecompactionSettings.Interactive"/> (a user waits).
    /// </summary>
    public static RecompactionResult RecompactAll(DataDirectory data)
    {
        var total = RecompactionResult.None;
        foreach (string id in data.EnumerateSessionIds())
            total = total.Add(Recompact(data.BlobDirectory(id))).Add(RecompactStreams(data.StreamDirectory(id)));
        return total;
    }

    /// <summary>
    /// Re-encodes every store-only blob (<see cref="StoreOnlyFrame.IsStoreOnly(string)"/>) of
    /// <paramref name="blobDirectory"/> as a compressed zstd frame at the level <see cref="ChooseLevel"/> picks, through
    /// a temporary file made durable and renamed over the blob: the blob's name, reference and original bytes stay
    /// the same, a reader that has the old file open reads it to its end, and an interrupted (killed) recompaction
    /// leaves the blob as it was plus a <c>.tmp-recompact-*</c> file, which the next recompaction removes. One process
    /// at a time recompacts a directory (a lock file, <see cref="RecompactionLockName"/>); another waits up to
    /// <paramref name="lockWait"/> (default <see cref="DefaultRecompactionLockWait"/>), then gives up with one error
    /// line. Other blobs are left alone. Never throws for one blob: its error is listed. Text (what
    /// <see cref="ChooseLevel"/> does not find poorly compressible) is compressed with the settings
    /// <paramref name="textSettings"/> gives for the blob's size (<see cref="RecompactionSettings.Interactive"/> by
    /// default; the background recompaction passes <see cref="BackgroundRecompaction.For"/>).
    /// </summary>
    public static RecompactionResult Recompact(string blobDirectory, TimeSpan? lockWait = null, Func<long, RecompactionSettings>? textSettings = null)
    {
        if (!Directory.Exists(blobDirectory)) return RecompactionResult.None;
        using var held = TryLock(blobDirectory, lockWait ?? DefaultRecompactionLockWait, out string? lockError);
        if (held is null) return new RecompactionResult(0, 0, 0, 0, [$"{blobDirectory}: not recompacted ({lockError})"]);
        RemoveLeftovers(blobDirectory);
        int examined = 0, recompacted = 0;
        long before = 0, after = 0;
        var errors = new List<string>();
        foreach (string path in Directory.EnumerateFiles(blobDirectory, "*" + CompressedSuffix))
        {
            if (Path.GetFileName(path).StartsWith(".tmp-", StringComparison.Ordinal)) continue;
            examined++;
            Spill? tmp = null;
            try
            {
                if (!StoreOnlyFrame.IsStoreOnly(path)) continue;
                long size = new FileInfo(path).Length;
                using (var source = OpenPath(path))
                {
                    byte[] buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
                    try
                    {
                        int headLength = source.ReadAtLeast(buffer.AsSpan(0, 16 * 1024), 16 * 1024, throwOnEndOfStream: false);
                        tmp = CreateRecompactionSpill(blobDirectory, buffer.AsSpan(0, headLength), size, (textSettings ?? InteractiveSettings)(size));
                        tmp.Write(buffer.AsSpan(0, headLength));
                        int n;
                        while ((n = source.Read(buffer, 0, buffer.Length)) > 0) tmp.Write(buffer.AsSpan(0, n));
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }
                }
                tmp.Finish();
                File.Move(tmp.Path, path, overwrite: true);
                recompacted++;
                before += size;
                after += new FileInfo(path).Length;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"{path}: not recompacted ({ex.Message})");
                if (tmp is not null)
                {
                    try { File.Delete(tmp.Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
            }
            finally
            {
                tmp?.Dispose();
            }
        }
        return new RecompactionResult(examined, recompacted, before, after, errors);
    }

    /// <summary>
    /// Re-encodes every finished raw shell stream of <paramref name="streamDirectory"/> (<c>streams/&lt;id&gt;</c>, what
    /// <c>cfsession shell</c> writes as the shell's output arrives) as a <see cref="SeekableStreamFile"/>,
    /// <c>streams/&lt;id&gt;.zst</c>, with the settings <paramref name="textSettings"/> gives for its size
    /// (<see cref="RecompactionSettings.Interactive"/> by default): written to a temporary file, made durable, renamed
    /// into place, and only then the raw file removed, so every command's range (<c>output_offset</c>,
    /// <c>output_length</c>) reads the same bytes before, during and after (<see cref="OpenStreamRange"/> reads either).
    /// A stream still being written is left alone: its writer (the shell's capture) holds the file open with a shared
    /// lock, and the exclusive lock this takes first fails while it does (a stream whose shell was killed is final and
    /// is recompacted). Same locking, leftovers and error handling as <see cref="Recompact"/>.
    /// </summary>
    public static RecompactionResult RecompactStreams(string streamDirectory, TimeSpan? lockWait = null, Func<long, RecompactionSettings>? textSettings = null)
    {
        if (!Directory.Exists(streamDirectory)) return RecompactionResult.None;
        using var held = TryLock(streamDirectory, lockWait ?? DefaultRecompactionLockWait, out string? lockError);
        if (held is null) return new RecompactionResult(0, 0, 0, 0, [$"{streamDirectory}: not recompacted ({lockError})"]);
        RemoveLeftovers(streamDirectory);
        int examined = 0, recompacted = 0;
        long before = 0, after = 0;
        var errors = new List<string>();
        foreach (string path in Directory.EnumerateFiles(streamDirectory))
        {
            string name = Path.GetFileName(path);
            if (name.Length != 36 || !Guid.TryParseExact(name, "D", out _) || name.Any(char.IsAsciiLetterUpper)) continue; // raw streams only
            examined++;
            if (!IsFinished(path)) continue;
            string tmp = Path.Combine(streamDirectory, $"{RecompactionTempPrefix}{Guid.NewGuid():N}{CompressedSuffix}");
            try
            {
                long size;
                using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
                {
                    size = source.Length;
                    byte[] head = new byte[(int)Math.Min(size, 16 * 1024)];
                    source.ReadExactly(head);
                    source.Position = 0;
                    var settings = ChooseLevel(head) == FastCompressionLevel ? new RecompactionSettings(FastCompressionLevel) : (textSettings ?? InteractiveSettings)(size);
                    using var file = FileSecurity.CreateNewPrivateFile(tmp, bufferSize: 64 * 1024);
                    SeekableStreamFile.Write(source, file, settings);
                    file.Flush(flushToDisk: true);
                }
                string compressed = CompressedStreamPath(path);
                File.Move(tmp, compressed, overwrite: true);
                File.Delete(path);
                recompacted++;
                before += size;
                after += new FileInfo(compressed).Length;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ZstdException)
            {
                errors.Add($"{path}: not recompacted ({ex.Message})");
                try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        return new RecompactionResult(examined, recompacted, before, after, errors);
    }

    // Whether no process writes the stream file any more: its writer holds it open with a shared lock (FileStream's
    // advisory lock on Unix), so an exclusive one is refused while it does. Taken and released at once: readers (which
    // take a shared lock too) are never kept out by the recompaction.
    private static bool IsFinished(string streamPath)
    {
        try
        {
            using (new FileStream(streamPath, FileMode.Open, FileAccess.Read, FileShare.None, 1)) { }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // The directory's recompaction lock (an exclusive advisory lock on the lock file, released when the process ends,
    // however it ends), or null with the reason once waiting is over.
    private static FileStream? TryLock(string blobDirectory, TimeSpan wait, out string? error)
    {
        string path = Path.Combine(blobDirectory, RecompactionLockName);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            try
            {
                error = null;
                return FileSecurity.OpenPrivateLockFile(path);
            }
            catch (IOException ex) when (DateTime.UtcNow < deadline && File.Exists(path))
            {
                _ = ex; // held by another recompaction: wait for it
                Thread.Sleep(100);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = File.Exists(path) ? "another cfsession is recompacting it" : ex.Message;
                return null;
            }
        }
    }

    // The temporary files of recompactions that were killed (this process holds the lock, so no live one writes).
    private static void RemoveLeftovers(string blobDirectory)
    {
        foreach (string path in Directory.EnumerateFiles(blobDirectory, RecompactionTempPrefix + "*"))
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Stores a finished output whose SHA-256 is <paramref name="hex"/> and returns its journal reference
    /// (<c>blobs/&lt;hex&gt;.zst</c>). The spill file, when there is one, becomes the blob by a rename; an output
    /// wholly in memory is compressed to a temporary file first. An existing blob with the same hash is reused.
    /// Throws <see cref="IOException"/> with the reason when the bytes cannot be stored.
    /// </summary>
    public static string Store(CapturedOutput output, string blobDirectory, string hex)
    {
        FileSecurity.CreatePrivateDirectory(blobDirectory);
        string name = hex + CompressedSuffix;
        string blobPath = Path.Combine(blobDirectory, name);
        if (File.Exists(blobPath))
        {
            // Same bytes already stored (content addressed): nothing to write.
        }
        else if (output.SpillPath is { } spill && output.SpillError is null)
        {
            File.Move(spill, blobPath, overwrite: false);
        }
        else if (output.IsWhollyInHead)
        {
            using var tmp = CreateSpill(blobDirectory, output.Head);
            try
            {
                tmp.Write(output.Head);
                tmp.Finish();
                File.Move(tmp.Path, blobPath, overwrite: false);
            }
            catch
            {
                try { File.Delete(tmp.Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                throw;
            }
        }
        else
        {
            throw new IOException(output.SpillError ?? "the spill file is missing");
        }
        return ReferencePrefix + name;
    }

    /// <summary>
    /// The file a journal reference names, or null when it is not a blob reference. Only
    /// <c>blobs/&lt;64 lowercase hex&gt;</c> and <c>blobs/&lt;64 lowercase hex&gt;.zst</c> become paths: a journal
    /// line never names an arbitrary file.
    /// </summary>
    public static string? ResolvePath(string sessionDirectory, string reference)
    {
        if (!reference.StartsWith(ReferencePrefix, StringComparison.Ordinal)) return null;
        string name = reference[ReferencePrefix.Length..];
        string hex = name.EndsWith(CompressedSuffix, StringComparison.Ordinal) ? name[..^CompressedSuffix.Length] : name;
        if (hex.Length != HexLength || !hex.All(char.IsAsciiHexDigitLower)) return null;
        return Path.Combine(sessionDirectory, "blobs", name);
    }

    /// <summary>The prefix of a stream reference: <c>streams/&lt;operation id&gt;</c>, the raw stream of a shell.</summary>
    public const string StreamPrefix = "streams/";

    /// <summary>
    /// The raw stream file of operation <paramref name="operationId"/> (<c>cfsession shell</c>): the shell's whole pty
    /// stream as stored (redacted), uncompressed and written as it arrives, so a command's output is a byte range of it
    /// (<c>output_stream</c>, <c>output_offset</c>, <c>output_length</c>) readable as soon as the command ended.
    /// </summary>
    public static string StreamPath(string sessionDirectory, string operationId) => Path.Combine(sessionDirectory, "streams", operationId);

    /// <summary>The journal reference of the stream of <paramref name="operationId"/>.</summary>
    public static string StreamReference(string operationId) => StreamPrefix + operationId;

    /// <summary>
    /// The file a stream reference names (<c>streams/</c> and a lowercase GUID); null for anything else (a tampered
    /// journal naming <c>../../etc/passwd</c>, an absolute path, separators, NUL).
    /// </summary>
    public static string? ResolveStreamPath(string sessionDirectory, string reference)
    {
        if (!reference.StartsWith(StreamPrefix, StringComparison.Ordinal)) return null;
        string id = reference[StreamPrefix.Length..];
        if (id.Length != 36 || !Guid.TryParseExact(id, "D", out _) || id.Any(char.IsAsciiLetterUpper)) return null;
        return StreamPath(sessionDirectory, id);
    }

    /// <summary>
    /// Opens <paramref name="length"/> bytes of a stream file from <paramref name="offset"/> (a command's range). A file
    /// shorter than the range gives what it has (the hash check then says the bytes differ).
    /// </summary>
    public static Stream OpenStreamRange(string streamPath, long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        FileStream file;
        try
        {
            file = new FileStream(streamPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        }
        catch (FileNotFoundException) when (File.Exists(CompressedStreamPath(streamPath)))
        {
            // Recompacted (the raw file is removed once its compressed copy is in place).
            return SeekableStreamFile.OpenRange(CompressedStreamPath(streamPath), offset, length);
        }
        try
        {
            file.Seek(offset, SeekOrigin.Begin);
            return new RangeStream(file, length);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The recompacted form of the stream file <paramref name="streamPath"/>: <c>streams/&lt;id&gt;.zst</c>, a
    /// <see cref="SeekableStreamFile"/>. <see cref="OpenStreamRange"/> reads whichever of the two exists.
    /// </summary>
    public static string CompressedStreamPath(string streamPath) => streamPath + CompressedSuffix;

    /// <summary>True when the stream <paramref name="streamPath"/> is stored, raw or recompacted.</summary>
    public static bool StreamExists(string streamPath) => File.Exists(streamPath) || File.Exists(CompressedStreamPath(streamPath));

    /// <summary>True when the blob file is zstd-compressed (its name ends in <c>.zst</c>).</summary>
    public static bool IsCompressed(string blobPath) => blobPath.EndsWith(CompressedSuffix, StringComparison.Ordinal);

    /// <summary>Opens a blob by its journal reference and returns its ORIGINAL bytes as a stream (decompressed while read).</summary>
    /// <exception cref="ArgumentException">The reference is not a blob reference.</exception>
    public static Stream OpenRead(string sessionDirectory, string reference) =>
        OpenPath(ResolvePath(sessionDirectory, reference) ?? throw new ArgumentException($"not a blob reference: {reference}", nameof(reference)));

    /// <summary>
    /// Opens a resolved blob file and returns its original bytes as a stream. A compressed blob that is not a
    /// valid zstd frame (corrupt, truncated) fails the read with an <see cref="IOException"/> that says so.
    /// </summary>
    public static Stream OpenPath(string blobPath)
    {
        var file = new FileStream(blobPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, IsCompressed(blobPath) ? 1 : 64 * 1024);
        if (!IsCompressed(blobPath)) return file;
        try
        {
            return new DecodingStream(new DecompressionStream(file, bufferSize: 64 * 1024, checkEndOfStream: true, leaveOpen: false), blobPath);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The zstd frames of <paramref name="file"/> from where it stands, decoded (a bad frame fails the read with an <see cref="IOException"/>).</summary>
    internal static Stream OpenFrames(Stream file, string path) =>
        new DecodingStream(new DecompressionStream(file, bufferSize: 64 * 1024, checkEndOfStream: true, leaveOpen: false), path);

    /// <summary>At most <paramref name="length"/> bytes of <paramref name="inner"/> from where it stands (disposed with it).</summary>
    internal static Stream Range(Stream inner, long length) => new RangeStream(inner, length);

    /// <summary>
    /// Opens a resolved blob file like <see cref="OpenPath(string)"/>, but never gives more than
    /// <paramref name="recordedLength"/> bytes (the journal's <c>output_length</c>): a blob that decodes to more (a
    /// decompression bomb, a swapped file) fails the read with a <see cref="BlobLengthExceededException"/> as soon
    /// as the first extra byte is decoded, so reading costs at most the recorded length, never what the file claims.
    /// </summary>
    public static Stream OpenPath(string blobPath, long recordedLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(recordedLength);
        return new LengthLimitedStream(OpenPath(blobPath), recordedLength, blobPath);
    }

    /// <summary>
    /// A blob being written: bytes in, a zstd frame out to a temporary file. A store-only spill
    /// (<see cref="CreateCaptureSpill"/>) writes raw blocks on the caller's thread (<see cref="StoreOnlyFrame"/>).
    /// Otherwise compression runs off the producer's
    /// thread once the output passes one chunk (256 KiB): the producer (the capture pump, which also hashes and
    /// forwards the output) copies into pooled chunks and a compressor thread drains at most
    /// <see cref="QueuedChunks"/> of them, so memory stays bounded (~2 MiB plus zstd's window) and a large capture
    /// costs the slower of the two threads, not their sum. A write error on the compressor thread surfaces as an
    /// <see cref="IOException"/> from the next <see cref="Write"/> or from <see cref="Finish"/>.
    /// </summary>
    internal sealed class Spill : IDisposable
    {
        private const int ChunkBytes = 256 * 1024;
        private const int QueuedChunks = 6;

        private readonly FileStream _file;
        private CompressionStream? _compressor;
        private byte[]? _chunk;
        private int _chunkLength;
        private BlockingCollection<(byte[] Chunk, int Length)>? _queue;
        private Thread? _worker;
        private volatile Exception? _workerError;
        private bool _finished;
        private readonly StoreOnlyFrame? _stored;

        internal Spill(string path, FileStream file, int level)
        {
            Path = path;
            _file = file;
            Level = level;
            _compressor = new CompressionStream(file, level, bufferSize: 64 * 1024, leaveOpen: true);
        }

        // A store-only spill: raw blocks, written past the page cache behind the caller where the file system allows
        // it (DirectFileWriter), through it on the caller's thread otherwise.
        internal Spill(string path, FileStream file)
        {
            Path = path;
            _file = file;
            _stored = new StoreOnlyFrame(file, DirectFileWriter.TryStart(file.SafeFileHandle, offset: 0));
        }

        /// <summary>Applies <paramref name="settings"/> (its level is this spill's); before the first write.</summary>
        internal void Use(RecompactionSettings settings)
        {
            var compressor = _compressor ?? throw new InvalidOperationException("A store-only spill does not compress.");
            settings.Apply(compressor.SetParameter);
        }

        /// <summary>Turns on zstd's long-distance matching with a window of 2^<paramref name="windowLog"/>; before the first write.</summary>
        internal void UseLongDistanceMatching(int windowLog)
        {
            var compressor = _compressor ?? throw new InvalidOperationException("A store-only spill does not compress.");
            compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_windowLog, windowLog);
            compressor.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_enableLongDistanceMatching, 1);
        }

        /// <summary>The zstd level this blob is compressed at (0 for a store-only frame, see <see cref="IsStoreOnly"/>).</summary>
        public int Level { get; }

        /// <summary>True when the blob is a store-only frame (raw blocks), to be recompacted later.</summary>
        public bool IsStoreOnly => _stored is not null;

        /// <summary>Bytes of a store-only spill that went to the disk past the page cache (<see cref="DirectFileWriter"/>).</summary>
        internal long DirectBytes => _stored?.DirectBytes ?? 0;

        /// <summary>The temporary file.</summary>
        public string Path { get; }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (_finished) throw new InvalidOperationException("The spill is finished.");
            if (_stored is not null)
            {
                _stored.Write(bytes);
                return;
            }
            if (_workerError is { } error) throw new IOException(error.Message, error);
            while (!bytes.IsEmpty)
            {
                _chunk ??= ArrayPool<byte>.Shared.Rent(ChunkBytes);
                int n = Math.Min(bytes.Length, ChunkBytes - _chunkLength);
                bytes[..n].CopyTo(_chunk.AsSpan(_chunkLength));
                _chunkLength += n;
                bytes = bytes[n..];
                if (_chunkLength == ChunkBytes) Hand(_chunk, _chunkLength);
            }
        }

        // A full chunk goes to the compressor thread (started with the first one).
        private void Hand(byte[] chunk, int length)
        {
            _chunk = null;
            _chunkLength = 0;
            if (_queue is null)
            {
                _queue = new BlockingCollection<(byte[], int)>(QueuedChunks);
                _worker = new Thread(Compress) { IsBackground = true, Name = "cfsession blob compressor" };
                _worker.Start();
            }
            _queue.Add((chunk, length));
        }

        private void Compress()
        {
            foreach (var (chunk, length) in _queue!.GetConsumingEnumerable())
            {
                try
                {
                    if (_workerError is null) _compressor!.Write(chunk, 0, length);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ZstdException)
                {
                    _workerError = ex;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                }
            }
        }

        /// <summary>Ends the zstd frame and makes the file durable (fsync) before it is renamed into place.</summary>
        public void Finish()
        {
            if (_finished) return;
            _finished = true;
            if (_stored is not null)
            {
                _stored.Finish();
                _file.Flush(flushToDisk: true);
                return;
            }
            StopWorker();
            if (_workerError is { } error) throw new IOException(error.Message, error);
            if (_chunk is not null)
            {
                _compressor!.Write(_chunk, 0, _chunkLength); // a short tail (or a small blob) compresses on this thread
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
            }
            _compressor!.Dispose();
            _compressor = null;
            _file.Flush(flushToDisk: true);
        }

        private void StopWorker()
        {
            if (_queue is null) return;
            _queue.CompleteAdding();
            _worker!.Join();
            _queue.Dispose();
            _queue = null;
        }

        public void Dispose()
        {
            _finished = true;
            _stored?.Dispose();
            StopWorker();
            if (_chunk is not null) ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
            try { _compressor?.Dispose(); } catch (Exception ex) when (ex is IOException or ZstdException) { }
            _compressor = null;
            _file.Dispose();
        }
    }

    /// <summary>
    /// A zstd frame of raw (uncompressed) blocks, written as the bytes come: any zstd decoder reads it. Layout (RFC
    /// 8878): the magic number, a frame header descriptor of 0 (no content size, no checksum, no dictionary), the
    /// window descriptor <see cref="WindowDescriptor"/>, then blocks of at most 128 KiB, each a 3-byte header (last
    /// block flag, type 0 = raw, size) and the bytes: every full block as soon as it is full, then the last block, with
    /// what is left (empty when the stream ends on a block boundary, as zstd's own encoder ends such a frame). Written
    /// through a <see cref="DirectFileWriter"/>, a full block goes straight from the caller's bytes to the writer's
    /// buffer. The window descriptor is the mark of a store-only blob: 128 KiB
    /// plus one eighth (mantissa 1), which zstd's encoder never writes (its windows are powers of two), so
    /// <see cref="IsStoreOnly(string)"/> tells from the first 6 bytes which blobs <see cref="Recompact"/> re-encodes.
    /// </summary>
    internal sealed class StoreOnlyFrame : IDisposable
    {
        /// <summary>The largest block (zstd's Block_Maximum_Size).</summary>
        public const int BlockBytes = 128 * 1024;

        /// <summary>Window_Descriptor: exponent 7 (2^17 = 128 KiB), mantissa 1 (+ 16 KiB): the store-only mark.</summary>
        public const byte WindowDescriptor = (7 << 3) | 1;

        private static ReadOnlySpan<byte> Header => [0x28, 0xB5, 0x2F, 0xFD, 0x00, WindowDescriptor];

        private const int BlockHeaderBytes = 3;

        // The header of a full block that is not the last (SetBlockHeader(BlockBytes, last: false)).
        private static ReadOnlySpan<byte> FullBlockHeader => [(BlockBytes << 3) & 0xFF, ((BlockBytes << 3) >> 8) & 0xFF, (BlockBytes << 3) >> 16];

        /// <summary>
        /// Every this many bytes written, the disk write-back of them is started (Linux): the fsync that makes the blob
        /// durable at its end then waits for the last few MiB, not for the whole capture (81 ms for 222 MB before).
        /// </summary>
        internal const long WriteBackBytes = 8L << 20;

        private readonly Stream _file;
        private readonly DirectFileWriter? _direct;
        private long _written; // bytes of the frame written to the file
        private long _writeBackFrom; // where the next write-back starts
        private byte[]? _block = ArrayPool<byte>.Shared.Rent(BlockHeaderBytes + BlockBytes); // header, then the bytes
        private int _length; // bytes in the pending block

        /// <summary>
        /// A frame written to <paramref name="file"/>, through <paramref name="direct"/> (past the page cache) when
        /// given: the same bytes either way.
        /// </summary>
        public StoreOnlyFrame(Stream file, DirectFileWriter? direct = null)
        {
            _file = file;
            _direct = direct;
        }

        /// <summary>Bytes of the frame that went to the disk by direct writes (<see cref="DirectFileWriter.DirectBytes"/>).</summary>
        internal long DirectBytes => _direct?.DirectBytes ?? 0;

        /// <summary>Whether the file at <paramref name="path"/> starts as a store-only frame does.</summary>
        public static bool IsStoreOnly(string path)
        {
            Span<byte> first = stackalloc byte[6];
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            return file.ReadAtLeast(first, first.Length, throwOnEndOfStream: false) == first.Length && first.SequenceEqual(Header);
        }

        public void Write(ReadOnlySpan<byte> bytes)
        {
            var block = _block ?? throw new ObjectDisposedException(nameof(StoreOnlyFrame));
            while (!bytes.IsEmpty)
            {
                if (_length == 0 && _direct is not null && bytes.Length >= BlockBytes)
                {
                    // A whole block goes from the caller's bytes to the direct writer's buffer: one copy, as a write
                    // through the page cache makes.
                    Emit(FullBlockHeader);
                    Emit(bytes[..BlockBytes]);
                    bytes = bytes[BlockBytes..];
                    continue;
                }
                int n = Math.Min(bytes.Length, BlockBytes - _length);
                bytes[..n].CopyTo(block.AsSpan(BlockHeaderBytes + _length));
                _length += n;
                bytes = bytes[n..];
                if (_length == BlockBytes) WriteBlock(last: false);
            }
        }

        /// <summary>Writes the last block (possibly empty) and ends the frame (with a direct writer, waits for its writes).</summary>
        public void Finish()
        {
            if (_block is null) throw new ObjectDisposedException(nameof(StoreOnlyFrame));
            WriteBlock(last: true);
            _direct?.Finish();
            Dispose();
        }

        private void WriteBlock(bool last)
        {
            var block = _block!;
            SetBlockHeader(block, _length, last);
            Emit(block.AsSpan(0, BlockHeaderBytes + _length));
            _length = 0;
        }

        // Block_Size, Block_Type 0 (raw), Last_Block.
        private static void SetBlockHeader(Span<byte> header, int length, bool last)
        {
            int value = (length << 3) | (last ? 1 : 0);
            header[0] = (byte)value;
            header[1] = (byte)(value >> 8);
            header[2] = (byte)(value >> 16);
        }

        // The frame's next bytes (its header first).
        private void Emit(ReadOnlySpan<byte> bytes)
        {
            if (_written == 0) Put(Header);
            Put(bytes);
            if (_direct is null && _written - _writeBackFrom >= WriteBackBytes && _file is FileStream { SafeFileHandle: var handle })
            {
                if (Unix.LibC.StartWriteBack(handle, _writeBackFrom, _written - _writeBackFrom)) WriteBackRequests++;
                _writeBackFrom = _written;
            }
        }

        private void Put(ReadOnlySpan<byte> bytes)
        {
            if (_direct is not null) _direct.Write(bytes);
            else _file.Write(bytes);
            _written += bytes.Length;
        }

        /// <summary>How many write-backs were started (each of at least <see cref="WriteBackBytes"/>).</summary>
        internal int WriteBackRequests { get; private set; }

        public void Dispose()
        {
            _direct?.Dispose();
            if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
            _block = null;
        }
    }

    /// <summary>A forward-only, read-only view of another stream (disposed with it): subclasses implement Read(Span).</summary>
    private abstract class ReadOnlyWrapperStream(Stream inner) : Stream
    {
        protected Stream Inner { get; } = inner;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public abstract override int Read(Span<byte> buffer);

        protected override void Dispose(bool disposing)
        {
            if (disposing) Inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Gives at most the recorded length of the inner stream; one byte more fails the read.</summary>
    private sealed class LengthLimitedStream(Stream inner, long limit, string blobPath) : ReadOnlyWrapperStream(inner)
    {
        private long _position;
        private readonly byte[] _probe = new byte[1];

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            long left = limit - _position;
            if (left == 0)
            {
                // At the recorded length: the blob must end here.
                if (buffer.Length > 0 && Inner.Read(_probe) > 0)
                    throw new BlobLengthExceededException(blobPath, limit);
                return 0;
            }
            int read = Inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            _position += read;
            return read;
        }
    }

    /// <summary>At most <paramref name="length"/> bytes of the inner stream from where it stands.</summary>
    private sealed class RangeStream(Stream inner, long length) : ReadOnlyWrapperStream(inner)
    {
        private long _position;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            long left = length - _position;
            if (left <= 0 || buffer.IsEmpty) return 0;
            int read = Inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            _position += read;
            return read;
        }
    }

    /// <summary>Read-only view of a decompression stream that reports a bad frame as an <see cref="IOException"/>.</summary>
    private sealed class DecodingStream(Stream inner, string blobPath) : ReadOnlyWrapperStream(inner)
    {
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Inner.Read(buffer);
            }
            catch (ZstdException ex)
            {
                throw new IOException($"blob {Path.GetFileName(blobPath)} is not a valid zstd frame: {ex.Message}", ex);
            }
            catch (EndOfStreamException ex)
            {
                throw new IOException($"blob {Path.GetFileName(blobPath)} is truncated", ex);
            }
        }

    }
}

/// <summary>A blob decodes to more bytes than the journal recorded for it; reading stopped at the recorded length.</summary>
internal sealed class BlobLengthExceededException(string blobPath, long recordedLength)
    : IOException($"blob {Path.GetFileName(blobPath)} holds more than the recorded {recordedLength} bytes; stopped reading at the recorded length")
{
    /// <summary>The recorded length the blob exceeds.</summary>
    public long RecordedLength { get; } = recordedLength;
}
