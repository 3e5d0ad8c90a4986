using System.Text;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A full disk (a 256 KiB tmpfs) and a read-only data directory: the command still runs and its output is shown,
/// the loss is reported in one line (received = stored + dropped), --require-journal exits 74, and nothing recorded
/// before is damaged. Needs root and a mountable tmpfs; reported Skipped with the reason otherwise.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _mount;
    private readonly bool _mounted;

    public FullDiskTests()
    {
        _mount = _dir.Combine("mnt");
        Directory.CreateDirectory(_mount);
        // Mounted only where TmpfsFact lets the tests run; elsewhere they report Skipped with the reason.
        _mounted = OperatingSystem.IsLinux() && Environment.UserName == "root" && TmpfsFactAttribute.Mount(_mount, "256k") == 0;
    }

    public void Dispose()
    {
        if (_mounted) TmpfsFactAttribute.Unmount(_mount);
        _dir.Dispose();
    }

    private string Data => Path.Combine(_mount, "data");

    private Task<CliRun> Cf(params string[] args) => CfSessionProcess.RunAsync(Data, args, workingDirectory: _dir.Path);

    private Dictionary<string, byte[]> Snapshot() =>
        Directory.EnumerateFiles(Path.Combine(Data, "sessions"), "*", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllBytes);

    [TmpfsFact]
    public async Task Full_disk_shows_the_output_reports_the_loss_in_one_line_and_damages_nothing_recorded()
    {
        Assert.True(_mounted, "the tmpfs for this test could not be mounted although the probe could");
        var first = await Cf("run", "--", "echo", "recorded before the disk filled");
        Assert.Equal(0, first.ExitCode);
        var before = Snapshot();
        string filler = Path.Combine(_mount, "filler");
        using (var fs = new FileStream(filler, FileMode.CreateNew))
        {
            byte[] block = new byte[4096];
            try { while (true) { fs.Write(block); fs.Flush(); } } catch (IOException) { }
        }

        var full = await Cf("run", "--", "sh", "-c", "echo shown; head -c 300000 /dev/zero | tr '\\0' y; echo; exit 3");
        Assert.Equal(3, full.ExitCode); // the command's own exit code
        Assert.Equal(6 + 300000 + 1, full.Stdout.Length); // every byte shown
        string[] notices = full.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(notices, n => n.StartsWith("cfsession: journal: received ", StringComparison.Ordinal) && n.Contains(", stored 0, dropped ", StringComparison.Ordinal) && n.Contains("No space left on device", StringComparison.Ordinal));
        Assert.All(notices, n => Assert.StartsWith("cfsession: ", n, StringComparison.Ordinal));

        var required = await Cf("run", "--require-journal", "--", "sh", "-c", "echo still shown; exit 0");
        Assert.Equal(74, required.ExitCode);
        Assert.Equal("still shown\n", required.StdoutText);
        Assert.Contains("--require-journal", required.Stderr, StringComparison.Ordinal);

        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file)); // nothing recorded before is damaged
        File.Delete(filler);
        string firstSession = Path.GetFileName(Path.GetDirectoryName(before.Keys.First(f => f.EndsWith(".jsonl", StringComparison.Ordinal)))!);
        var validate = await Cf("validate", firstSession);
        Assert.Equal(0, validate.ExitCode);
    }

    [TmpfsFact]
    public async Task Output_too_large_for_the_disk_frees_its_temporary_file_and_records_exit_code_hash_and_output_not_stored()
    {
        Assert.True(_mounted, "the tmpfs for this test could not be mounted although the probe could");
        Assert.Equal(0, (await Cf("run", "--", "echo", "recorded before")).ExitCode);
        var before = Snapshot();

        // ~1.3 MB of base64 that zstd cannot shrink: its blob's temporary file fills the 256 KiB disk.
        var big = await Cf("run", "--no-pty", "--", "sh", "-c", "head -c 1000000 /dev/urandom | base64; exit 7");

        Assert.Equal(7, big.ExitCode);
        Assert.Contains("could not be stored", big.Stderr, StringComparison.Ordinal);
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.Empty(Directory.EnumerateFiles(Data, ".tmp-*", SearchOption.AllDirectories)); // the temporary file is gone
        string session = JournalFiles.SessionIds(Data).Single(id => !before.Keys.Any(k => k.Contains(id, StringComparison.Ordinal)));
        foreach (string segment in Directory.EnumerateFiles(Path.Combine(Data, "sessions", session), "*.jsonl"))
        {
            byte[] text = File.ReadAllBytes(segment);
            Assert.True(text.Length == 0 || text[^1] == (byte)'\n', $"{segment} ends in a torn line");
        }
        var capture = JournalFiles.ReadSession(Data, session).Events.Single(e => e.Name == ContextForge.SessionLogging.Events.SessionEventNames.TerminalCapture);
        Assert.Equal(7, capture.GetInt64("exit_code"));
        Assert.StartsWith("sha256:", capture.GetString("integrity_hash"), StringComparison.Ordinal);
        Assert.False(capture.Fields["output_stored"]!.GetValue<bool>());
        Assert.True(capture.GetInt64("output_length") > 1_000_000);

        var validate = await Cf("validate", session, "--json");
        Assert.DoesNotContain("torn", validate.StdoutText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("interrupted", validate.StdoutText, StringComparison.Ordinal);
    }

    [TmpfsFact]
    public async Task Read_only_data_directory_runs_unrecorded_with_one_line_and_require_journal_runs_nothing()
    {
        Assert.True(_mounted, "the tmpfs for this test could not be mounted although the probe could");
        Assert.Equal(0, (await Cf("run", "--", "echo", "recorded")).ExitCode);
        var before = Snapshot();
        Assert.Equal(0, TmpfsFactAttribute.Remount(_mount, "ro"));

        var run = await Cf("run", "--", "sh", "-c", "echo shown anyway; exit 5");
        Assert.Equal(5, run.ExitCode);
        Assert.Equal("shown anyway\n", run.StdoutText);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("running unrecorded", run.Stderr, StringComparison.Ordinal);

        var required = await Cf("run", "--require-journal", "--", "sh", "-c", "echo must not run");
        Assert.Equal(74, required.ExitCode);
        Assert.Empty(required.Stdout);
        foreach (var (file, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(file));
    }
}
