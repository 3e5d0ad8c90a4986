using System.Diagnostics;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Index;

/// <summary>
/// A full catch-up visits every segment. It used to keep each one open to the end (the line reader's handles), so a
/// history with more sessions than the process may open files lost the rest silently (and at 50,000 sessions the
/// 1M-operation benchmark died): it now holds one session's segments at a time.
/// </summary>
public sealed class ReindexDescriptorLimitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reindex_under_a_descriptor_limit_below_the_session_count_indexes_every_session()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int Sessions = 160;
        for (int i = 0; i < Sessions; i++)
        {
            var run = await InProcessCli.RunAsync(_dir.Path, null, "run", "--no-pty", "--", "true");
            Assert.Equal(0, run.ExitCode);
        }
        Assert.Equal(Sessions, Directory.GetDirectories(Path.Combine(_dir.Path, "sessions")).Count(d => Guid.TryParse(Path.GetFileName(d), out _)));

        // The real CLI in a child process allowed 128 descriptors: fewer than the segments it reads.
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("ulimit -n 128 && exec dotnet \"$0\" reindex");
        psi.ArgumentList.Add(CfSessionProcess.DllPath);
        psi.Environment["CFSESSION_HOME"] = _dir.Path;
        psi.Environment.Remove("CFSESSION_ID");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, await stderr);
        Assert.StartsWith($"reindexed {Sessions} sessions: {Sessions} segments, ", await stdout, StringComparison.Ordinal);
    }
}
