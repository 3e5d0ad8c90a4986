using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// The blobs <c>run</c> stores uncompressed (store-only zstd frames) are compressed by a detached, lowest-priority
/// <c>cfsession __recompact</c> started after the run, without <c>reindex</c>: same name, same hash, same bytes; a
/// recompaction killed midway leaves the blob readable; one recompaction per directory at a time.
/// </summary>
public sealed class BackgroundRecompactionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly Dictionary<string, string?> RecompactOn = new() { ["CFSESSION_RECOMPACT"] = null };

    // seq's lines, as the test expects them: "line N of compressible output".
    private static byte[] SeqOutput(int lines) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(1, lines).Select(i => $"line {i} of compressible output\n")));

    private string[] Blobs() =>
        [.. Directory.EnumerateFiles(_dir.Combine("sessions"), "*.zst", SearchOption.AllDirectories).Where(p => !Path.GetFileName(p).StartsWith('.'))];

    private static byte[] ReadBlob(string path)
    {
        using var stream = BlobStore.OpenPath(path);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    // Until no process holds the directory's recompaction lock (twice, half a second apart: the child may start another pass).
    private static async Task WaitUntilUnlocked(string blobDirectory)
    {
        for (int free = 0, tries = 0; free < 2 && tries < 600; tries++)
        {
            try
            {
                using (new FileStream(Path.Combine(blobDirectory, BlobStore.RecompactionLockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) { }
                free++;
            }
            catch (IOException)
            {
                free = 0;
            }
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task After_a_run_of_compressible_output_its_blob_is_recompacted_in_the_background_and_reads_back_identical_under_the_same_hash()
    {
        byte[] expected = SeqOutput(60000);
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "seq", "-f", "line %g of compressible output", "1", "60000"], environment: RecompactOn);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(expected, run.Stdout); // the live output, unchanged
        string blob = Assert.Single(Blobs());
        string hex = Convert.ToHexStringLower(SHA256.HashData(expected));
        Assert.Equal(hex + ".zst", Path.GetFileName(blob));

        // No reindex, no prune: the detached recompactor does it (JIT start-up under a loaded CI machine: allow two minutes).
        var clock = Stopwatch.StartNew();
        while (BlobStore.StoreOnlyFrame.IsStoreOnly(blob) && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(200);
        Assert.False(BlobStore.StoreOnlyFrame.IsStoreOnly(blob), "the blob is still store-only two minutes after the run");
        await WaitUntilUnlocked(Path.GetDirectoryName(blob)!);

        Assert.Equal(expected, ReadBlob(blob));
        Assert.True(new FileInfo(blob).Length < expected.Length / 5, $"{new FileInfo(blob).Length} bytes on disk for {expected.Length}");
        string journal = string.Concat(Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetDirectoryName(blob))!, "*.jsonl").Select(File.ReadAllText));
        Assert.Contains($"\"sha256:{hex}\"", journal, StringComparison.Ordinal);
        Assert.Contains($"blobs/{hex}.zst", journal, StringComparison.Ordinal);
        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--all"]);
        Assert.Equal(0, validate.ExitCode);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(blob)!, ".tmp-*"));
    }

    [Fact]
    public async Task Run_with_CFSESSION_RECOMPACT_off_leaves_its_blob_store_only_until_reindex()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "seq", "-f", "line %g of compressible output", "1", "60000"]);
        Assert.Equal(0, run.ExitCode);
        string blob = Assert.Single(Blobs());
        await Task.Delay(3000);
        Assert.True(BlobStore.StoreOnlyFrame.IsStoreOnly(blob));
        var reindex = await CfSessionProcess.RunAsync(_dir.Path, ["reindex"]);
        Assert.Equal(0, reindex.ExitCode);
        Assert.Contains("recompacted 1 blob(s)", reindex.StdoutText, StringComparison.Ordinal);
        Assert.False(BlobStore.StoreOnlyFrame.IsStoreOnly(blob));
        Assert.Equal(SeqOutput(60000), ReadBlob(blob));
    }

    [Fact]
    public async Task A_recompaction_killed_midway_leaves_the_blob_readable_and_the_next_one_removes_its_temporary_file()
    {
        // 96 MB of compressible text: long enough to recompact that the kill lands midway.
        const int Lines = 3_000_000;
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "seq", "-f", "line %g of compressible output", "1", Lines.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromMinutes(3));
        Assert.Equal(0, run.ExitCode);
        string blob = Assert.Single(Blobs());
        string blobs = Path.GetDirectoryName(blob)!;
        string session = Path.GetFileName(Path.GetDirectoryName(blobs)!);
        string hex = Path.GetFileNameWithoutExtension(blob);

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { CfSessionProcess.DllPath, "__recompact", "--session", session }) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = _dir.Path;
        using var recompactor = Process.Start(psi)!;
        _ = recompactor.StandardOutput.ReadToEndAsync();
        _ = recompactor.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        string? temporary = null;
        while (temporary is null && !recompactor.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            temporary = Directory.EnumerateFiles(blobs, BlobStore.RecompactionTempPrefix + "*").FirstOrDefault(p => new FileInfo(p).Length > 0);
            if (temporary is null) await Task.Delay(20);
        }
        recompactor.Kill(); // SIGKILL, mid-write
        await recompactor.WaitForExitAsync();
        Assert.NotNull(temporary);
        Assert.True(File.Exists(temporary));
        Assert.True(BlobStore.StoreOnlyFrame.IsStoreOnly(blob)); // never half-replaced
        Assert.Equal(hex, Convert.ToHexStringLower(SHA256.HashData(ReadBlob(blob))));

        var result = BlobStore.Recompact(blobs);
        Assert.Equal(1, result.Recompacted);
        Assert.Empty(Directory.EnumerateFiles(blobs, ".tmp-*"));
        Assert.Equal(hex, Convert.ToHexStringLower(SHA256.HashData(ReadBlob(blob))));
    }

    [Fact]
    public void A_reader_that_opened_the_blob_before_recompaction_reads_the_original_bytes_to_the_end()
    {
        string blobs = _dir.Combine("blobs");
        byte[] bytes = SeqOutput(100_000);
        using (var output = new CapturedOutput("stdout", blobs))
        {
            output.Write(bytes);
            BlobStore.Store(output, blobs, output.Complete());
        }
        string blob = Assert.Single(Directory.EnumerateFiles(blobs, "*.zst"));
        using var reader = BlobStore.OpenPath(blob);
        byte[] first = new byte[bytes.Length / 2];
        reader.ReadExactly(first);
        Assert.Equal(1, BlobStore.Recompact(blobs).Recompacted);
        using var rest = new MemoryStream();
        reader.CopyTo(rest);
        Assert.Equal(bytes, first.Concat(rest.ToArray()).ToArray());
        Assert.Equal(bytes, ReadBlob(blob)); // and a new reader gets them from the compressed frame
    }

    [Fact]
    public void A_second_recompaction_of_a_directory_waits_for_the_first_and_gives_up_with_one_line()
    {
        string blobs = _dir.Combine("blobs");
        Directory.CreateDirectory(blobs);
        using (new FileStream(Path.Combine(blobs, BlobStore.RecompactionLockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var clock = Stopwatch.StartNew();
            var result = BlobStore.Recompact(blobs, TimeSpan.FromMilliseconds(500));
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(450));
            Assert.Equal($"{blobs}: not recompacted (another cfsession is recompacting it)", Assert.Single(result.Errors));
            Assert.Equal(0, result.Recompacted);
        }
        Assert.Empty(BlobStore.Recompact(blobs, TimeSpan.Zero).Errors); // free again
    }
}
