namespace ContextForge.SessionLogging.Tests.Packaging;

/// <summary>
/// What scripts/release.sh and scripts/install.sh say and return for what they cannot do, before building anything
/// (fast: part of the main suite).
/// </summary>
public sealed class ScriptArgumentTests
{
    private static ToolRun Bash(string script, params string[] args) => RepositoryScripts.Bash(script, args, TimeSpan.FromMinutes(1));

    private static string OneLine(ToolRun run)
    {
        string[] lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(lines);
    }

    [Theory]
    [InlineData("osx-arm64", "NativeAOT for macOS compiles only on macOS")]
    [InlineData("osx-x64", "NativeAOT for macOS compiles only on macOS")]
    [InlineData("win-x64", "NativeAOT for Windows compiles only on Windows")]
    [InlineData("linux-arm64", "NativeAOT for linux-arm64 compiles on an arm64 Linux machine, or with an arm64 cross sysroot")]
    public void release_sh_refuses_a_RID_it_cannot_build_here_in_one_line_with_exit_69(string rid, string why)
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64) return;

        var run = Bash("release.sh", "linux-x64", rid);

        Assert.Equal(69, run.ExitCode);
        Assert.Contains($"release: cannot build {rid} on this linux-x64 machine: {why}", OneLine(run), StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void release_sh_rejects_an_unknown_RID_with_exit_64()
    {
        var run = Bash("release.sh", "beos-x86");

        Assert.Equal(64, run.ExitCode);
        Assert.StartsWith("release: unknown RID 'beos-x86'", OneLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public void install_sh_rejects_an_unknown_argument_with_exit_64_and_a_missing_archive_with_66()
    {
        var unknown = Bash("install.sh", "--frobnicate");
        var missing = Bash("install.sh", "--archive", "/nonexistent/cfsession.tar.gz");

        Assert.Equal(64, unknown.ExitCode);
        Assert.Equal("install: unknown argument '--frobnicate' (see scripts/install.sh --help)", OneLine(unknown));
        Assert.Equal(66, missing.ExitCode);
        Assert.Equal("install: no archive at /nonexistent/cfsession.tar.gz", OneLine(missing));
    }

    [Fact]
    public void install_sh_uninstall_with_nothing_installed_says_so_and_succeeds()
    {
        string prefix = Path.Combine(Path.GetTempPath(), "cfsession-tests", Guid.NewGuid().ToString("N"));

        var run = Bash("install.sh", "--uninstall", "--prefix", prefix);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal($"uninstall: nothing installed under {prefix}\n", run.Stdout);
    }

    [Fact]
    public void install_sh_refuses_an_archive_that_does_not_match_its_SHA256SUMS_line()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cfsession-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string archive = Path.Combine(dir, "cfsession-9.9.9-linux-x64.tar.gz");
            File.WriteAllText(archive, "not what was released");
            File.WriteAllText(Path.Combine(dir, "SHA256SUMS"), new string('0', 64) + "  cfsession-9.9.9-linux-x64.tar.gz\n");

            var run = Bash("install.sh", "--archive", archive, "--prefix", Path.Combine(dir, "prefix"));

            Assert.Equal(65, run.ExitCode);
            Assert.Equal($"install: {archive} does not match its SHA256SUMS entry", OneLine(run));
            Assert.False(Directory.Exists(Path.Combine(dir, "prefix")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
