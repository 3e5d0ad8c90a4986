using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Tests.Support;
using ZstdSharp;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A blob is read at most to the length its journal line records: a blob that decodes to more (a zstd
/// decompression bomb put in its place) is stopped one byte past the recorded length, reported by validate as
/// <c>capture_length_mismatch</c> and by <c>show --output</c> as a notice with exit 65; nothing is ever sized by
/// what the file claims.
/// </summary>
public sealed class BlobLengthLimitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A zstd frame of <paramref name="bytes"/> zero bytes, written in 1 MiB steps (a few KB on disk).</summary>
    private static void WriteZeroBomb(string path, long bytes)
    {
        using var file = File.Create(path);
        using var zstd = new CompressionStream(file, 1);
        byte[] zeros = new byte[1 << 20];
        for (long written = 0; written < bytes; written += zeros.Length) zstd.Write(zeros);
    }

    private async Task<(string Data, string SessionId, string OperationId, string BlobPath)> RecordBlobAsync()
    {
        string data = _dir.Combine("data");
        var run = await CfSessionProcess.RunAsync(data, ["run", "--no-pty", "--", "seq", "1", "20000"]);
        Assert.Equal(0, run.ExitCode);
        string id = JournalFiles.SessionIds(data).Single();
        var capture = JournalFiles.Single(data, "TerminalCapture");
        string blob = BlobStore.ResolvePath(Path.Combine(data, "sessions", id), capture.GetString("output_blob")!)!;
        Assert.Equal(108_894, capture.GetInt64("output_length"));
        return (data, id, capture.GetString("operation_id")!, blob);
    }

    [Fact]
    public void Reading_a_blob_stops_one_byte_past_its_recorded_length()
    {
        string path = _dir.Combine("bomb.zst");
        WriteZeroBomb(path, 64L << 20);
        Assert.True(new FileInfo(path).Length < 64 * 1024);

        using var limited = BlobStore.OpenPath(path, recordedLength: 1000);
        byte[] buffer = new byte[4096];
        Assert.Equal(1000, limited.ReadAtLeast(buffer, 1000));
        var ex = Assert.Throws<BlobLengthExceededException>(() => limited.Read(buffer));
        Assert.Equal("blob bomb.zst holds more than the recorded 1000 bytes; stopped reading at the recorded length", ex.Message);

        // A blob of exactly the recorded length reads to its end.
        using var exact = BlobStore.OpenPath(path, recordedLength: 64L << 20);
        Assert.Equal(64L << 20, CountBytes(exact));
    }

    private static long CountBytes(Stream s)
    {
        byte[] buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = s.Read(buffer)) > 0) total += n;
        return total;
    }

    [Fact]
    public async Task A_decompression_bomb_in_place_of_a_blob_is_a_length_mismatch_for_validate_and_show()
    {
        var (data, id, operation, blob) = await RecordBlobAsync();
        WriteZeroBomb(blob, 256L << 20); // 256 MiB of zeros where 108,894 bytes were recorded

        var validate = await InProcessCli.RunAsync(data, null, "validate", id, "--json");
        Assert.Equal(65, validate.ExitCode);
        var finding = Assert.Single(JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray());
        Assert.Equal("capture_length_mismatch", finding!["kind"]!.GetValue<string>());
        Assert.Equal($"{operation} output: blob {Path.GetFileName(blob)} holds more than the recorded 108894 bytes; stopped reading at the recorded length", finding["message"]!.GetValue<string>());

        var raw = new MemoryStream();
        var output = new Spectre.Console.Testing.TestConsole();
        var error = new Spectre.Console.Testing.TestConsole();
        var context = new ContextForge.SessionLogging.Cli.CliContext(output, error, new Dictionary<string, string?> { ["CFSESSION_HOME"] = data }) { OpenRawOutput = () => new NonClosingStream(raw) };
        int code = await ContextForge.SessionLogging.Cli.CliApplication.RunAsync(["show", id, "--output", operation, "--raw"], context);
        Assert.Equal(65, code);
        Assert.Contains($"cfsession: the stored output of {operation} cannot be read to the end: blob {Path.GetFileName(blob)} holds more than the recorded 108894 bytes", error.Output, StringComparison.Ordinal);
        Assert.True(raw.Length <= 108_894, $"show wrote {raw.Length} bytes");
    }
}
