using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>An output too large to inline goes to blobs/&lt;sha256&gt;.zst; the blob directory is private (0700) like every other data directory.</summary>
[Collection("Console")]
public sealed class BlobStorePermissionsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_large_output_is_stored_as_a_private_blob_in_a_private_directory()
    {
        if (OperatingSystem.IsWindows()) return;
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests" });
        using var session = manager.Start();
        var scope = session.CaptureOn("big", new TestConsole());
        for (int i = 0; i < 100; i++) System.Console.Out.WriteLine(new string('x', 300)); // 30,100 bytes: over the 16 KiB inline limit
        scope.Dispose();
        var record = scope.Result!;

        string blobs = manager.Data.BlobDirectory(session.Id);
        string blob = Path.Combine(blobs, record.IntegrityHash["sha256:".Length..] + ".zst");
        Assert.True(File.Exists(blob));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(blobs));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(blob));
    }
}
