using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Packaging;

/// <summary>scripts/release.sh linux-x64, once for the class: the archive, its symbols archive and SHA256SUMS.</summary>
public sealed class ReleasedArchives
{
    private readonly Lazy<(string Archive, string Symbols, string Folder)> _built = new(Build);

    public string Archive => _built.Value.Archive;

    public string Symbols => _built.Value.Symbols;

    public string Folder => _built.Value.Folder;

    private static (string, string, string) Build()
    {
        var release = RepositoryScripts.Bash("release.sh", ["linux-x64"], TimeSpan.FromMinutes(40));
        Assert.True(release.ExitCode == 0, release.ToString());
        string folder = Path.Combine(RepositoryScripts.Root, "artifacts", "release");
        string archive = Regex.Match(release.Stdout, @"release: (\S+/cfsession-\S+-linux-x64\.tar\.gz) ").Groups[1].Value;
        Assert.True(archive.Length > 0, release.ToString());
        archive = Path.Combine(RepositoryScripts.Root, archive);
        return (archive, archive.Replace("-linux-x64.tar.gz", "-linux-x64-symbols.tar.gz", StringComparison.Ordinal), folder);
    }
}

/// <summary>
/// The NativeAOT release archive as a user gets it (issue 20): only what runs, symbols apart, checksums, and a binary
/// that works unpacked anywhere with nothing else installed. Slow; run by scripts/test.sh as its own step.
/// </summary>
[Collection("Packaging")]
public sealed class ReleaseArchiveTests(ReleasedArchives release) : IClassFixture<ReleasedArchives>, IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<string> Entries(string archive)
    {
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry) names.Add(entry.Name);
        return names;
    }

    [PackagingFact]
    public void The_archive_holds_only_the_binary_libe_sqlite3_and_the_notices_and_the_symbols_are_apart()
    {
        string top = Path.GetFileName(release.Archive)[..^".tar.gz".Length] + "/";

        Assert.Equal([top, top + "THIRD-PARTY-NOTICES.txt", top + "cfsession", top + "libe_sqlite3.so"], Entries(release.Archive));
        string symbolsTop = top.TrimEnd('/') + "-symbols/";
        Assert.Equal([symbolsTop, symbolsTop + "cfsession.dbg"], Entries(release.Symbols));
    }

    [PackagingFact]
    public void SHA256SUMS_names_each_archive_with_its_hash()
    {
        var sums = File.ReadAllLines(Path.Combine(release.Folder, "SHA256SUMS"))
            .Select(l => l.Split("  ", 2)).ToDictionary(p => p[1], p => p[0], StringComparer.Ordinal);

        foreach (string archive in new[] { release.Archive, release.Symbols })
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive)));
            Assert.Equal(hash, sums[Path.GetFileName(archive)]);
        }
    }

    [PackagingFact]
    public void The_unpacked_binary_runs_from_a_clean_path_with_nothing_beside_it()
    {
        string unpacked = _dir.Combine("unpacked");
        string home = _dir.Combine("home");
        Directory.CreateDirectory(unpacked);
        var untar = RepositoryScripts.Run("tar", ["-xzf", release.Archive, "-C", unpacked], _dir.Path, TimeSpan.FromMinutes(1));
        Assert.True(untar.ExitCode == 0, untar.ToString());
        string cfsession = Directory.GetFiles(unpacked, "cfsession", SearchOption.AllDirectories).Single();
        // No dotnet on PATH, no DOTNET_ROOT, nothing of the test's environment.
        var clean = new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin", ["HOME"] = _dir.Path, ["CFSESSION_HOME"] = home };

        var version = RepositoryScripts.Run(cfsession, ["--version"], _dir.Path, TimeSpan.FromMinutes(1), clean, clearEnvironment: true);
        var run = RepositoryScripts.Run(cfsession, ["run", "--", "echo", "ok"], _dir.Path, TimeSpan.FromMinutes(1), clean, clearEnvironment: true);
        var sessions = RepositoryScripts.Run(cfsession, ["sessions"], _dir.Path, TimeSpan.FromMinutes(1), clean, clearEnvironment: true);

        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Matches(@"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?\+[0-9a-f]{40}\n$", version.Stdout);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("ok\n", run.Stdout);
        string id = Assert.Single(JournalFiles.SessionIds(home));
        Assert.True(sessions.ExitCode == 0, sessions.ToString());
        Assert.StartsWith(id + "\t", sessions.Stdout, StringComparison.Ordinal); // the SQLite index (libe_sqlite3.so beside it)
    }

    [PackagingFact]
    public void install_sh_installs_the_archive_under_a_prefix_and_uninstall_removes_exactly_that()
    {
        string prefix = _dir.Combine("prefix");

        var install = RepositoryScripts.Bash("install.sh", ["--archive", release.Archive, "--prefix", prefix], TimeSpan.FromMinutes(2));
        Assert.True(install.ExitCode == 0, install.ToString());
        string command = Path.Combine(prefix, "bin", "cfsession");
        Assert.Equal(Path.Combine(prefix, "lib", "cfsession", "cfsession"), new FileInfo(command).LinkTarget);
        var version = RepositoryScripts.Run(command, ["--version"], _dir.Path, TimeSpan.FromMinutes(1));
        Assert.Equal(0, version.ExitCode);
        Assert.Contains(version.Stdout.Trim(), install.Stdout, StringComparison.Ordinal);

        var uninstall = RepositoryScripts.Bash("install.sh", ["--uninstall", "--prefix", prefix], TimeSpan.FromMinutes(1));
        Assert.True(uninstall.ExitCode == 0, uninstall.ToString());
        Assert.False(File.Exists(command) || new FileInfo(command).LinkTarget is not null);
        Assert.False(Directory.Exists(Path.Combine(prefix, "lib", "cfsession")));
        Assert.True(Directory.Exists(Path.Combine(prefix, "bin")), "uninstall removes only what it installed");
    }
}
