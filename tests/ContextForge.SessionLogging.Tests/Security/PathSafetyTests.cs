using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Index;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Security;

/// <summary>Session ids, blob references and indexed segment names can never lead outside the data directory; everything is private.</summary>
public sealed class PathSafetyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> HostileNames =>
    [
        "../../etc/passwd", "/etc/passwd", "..", ".", "", "a\0b", "CON", "NUL", "COM1", "LPT1.txt", "C:\\Windows\\win.ini", "\\\\server\\share",
        "00000000-0000-4000-8000-000000000000/../../x", "00000000-0000-4000-8000-00000000000A", " 00000000-0000-4000-8000-000000000000",
    ];

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_session_id_never_becomes_a_path(string id)
    {
        var data = new DataDirectory(_dir.Path);
        Assert.False(DataDirectory.IsValidSessionId(id));
        Assert.Throws<ArgumentException>(() => data.SessionDirectory(id));
        Assert.Throws<ArgumentException>(() => data.BlobDirectory(id));
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    [InlineData("blobs/../../../etc/passwd")]
    [InlineData("blobs/0000000000000000000000000000000000000000000000000000000000000000/../x")]
    [InlineData("blobs/000000000000000000000000000000000000000000000000000000000000000\0")]
    [InlineData("blobs/ABCDEF0000000000000000000000000000000000000000000000000000000000")]
    [InlineData("blobs\\0000000000000000000000000000000000000000000000000000000000000000")]
    public void A_hostile_blob_reference_is_refused_and_never_opened(string reference)
    {
        var fields = new JsonObject { [JournalFields.OutputBlob] = reference, [JournalFields.IntegrityHash] = "sha256:00", [JournalFields.OutputLength] = 1 };
        var stream = Assert.Single(StoredOutput.Of(fields, _dir.Path));
        Assert.Null(stream.BlobPath);
        Assert.NotNull(stream.RejectedBlobReference);
        Assert.False(stream.Exists);
        Assert.Empty(stream.ReadBytes());
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    [InlineData("00000000-0000-4000-8000-000000000000/../../../etc/passwd")]
    [InlineData("00000000-0000-4000-8000-000000000000/.hidden.jsonl")]
    [InlineData("00000000-0000-4000-8000-000000000000/a/b.jsonl")]
    [InlineData("../00000000-0000-4000-8000-000000000000/x.jsonl")]
    public void A_hostile_segment_name_in_the_index_is_refused(string relative)
    {
        Assert.Null(StoredOutput.IndexedSegmentPath(new DataDirectory(_dir.Path), relative));
    }

    [Fact]
    public async Task A_tampered_output_blob_naming_etc_passwd_is_refused_by_show_and_search_and_reported_by_validate()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "sh", "-c", "i=0; while [ $i -lt 500 ]; do echo \"tamper target line $i padding padding\"; i=$((i+1)); done"]);
        Assert.Equal(0, run.ExitCode);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        string segment = Directory.EnumerateFiles(Path.Combine(_dir.Path, "sessions", e.SessionId), "*.jsonl").Single();
        string original = e.GetString(JournalFields.OutputBlob)!;
        File.WriteAllText(segment, File.ReadAllText(segment).Replace($"\"{original}\"", "\"../../../../../../etc/passwd\"", StringComparison.Ordinal));

        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--json"]);
        Assert.Equal(65, validate.ExitCode);
        var findings = JsonNode.Parse(validate.Stdout)!["findings"]!.AsArray();
        var unsafeRef = findings.Single(f => f!["kind"]!.GetValue<string>() == "unsafe_blob_reference")!;
        Assert.Equal(e.SessionId + "/" + Path.GetFileName(segment), unsafeRef["file"]!.GetValue<string>());
        Assert.Equal(4, unsafeRef["line"]!.GetValue<long>()); // the run's Writer line, SessionStart, OperationStarted, TerminalCapture
        Assert.Contains("../../../../../../etc/passwd", unsafeRef["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var show = await CfSessionProcess.RunAsync(_dir.Path, ["show", e.SessionId[..8], "--output", e.GetString(JournalFields.OperationId)![..8], "--raw"]);
        Assert.Equal(0, show.ExitCode);
        Assert.Empty(show.Stdout);
        Assert.Contains("refused", show.Stderr, StringComparison.Ordinal);
        var search = await CfSessionProcess.RunAsync(_dir.Path, ["search", "root", "--json"]);
        Assert.Equal(0, search.ExitCode);
        Assert.DoesNotContain("root:x:0:0", search.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_directory_is_0700_and_every_file_0600_including_the_index_wal_and_shm_and_the_recompaction_lock()
    {
        if (OperatingSystem.IsWindows()) return;
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "sh", "-c", "i=0; while [ $i -lt 900 ]; do echo \"line $i of a blob-sized output\"; i=$((i+1)); done"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["achievement", "tests_passed", "all green", "--session", JournalFiles.SessionIds(_dir.Path).Single(), "-e", "count=3"])).ExitCode);
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["history"])).ExitCode);
        // reindex recompacts the store-only blob, as the background recompaction does: under its lock file.
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["reindex"])).ExitCode);
        using var index = HistoryIndex.Open(new DataDirectory(_dir.Path)); // open: its -wal and -shm exist now
        index.CatchUp(full: true);

        string root = Path.Combine(_dir.Path, "sessions");
        var files = Directory.EnumerateFiles(_dir.Path, "*", SearchOption.AllDirectories).ToList();
        Assert.True(files.Any(f => f.EndsWith("-wal", StringComparison.Ordinal)), string.Join(", ", files));
        Assert.True(files.Any(f => f.EndsWith("-shm", StringComparison.Ordinal)), string.Join(", ", files));
        Assert.Contains(files, f => f.Contains("/blobs/", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("/blobs/.recompact.lock", StringComparison.Ordinal));
        foreach (string f in files) Assert.True(File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{f} is {File.GetUnixFileMode(f)}");
        foreach (string d in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Append(root))
            Assert.True(File.GetUnixFileMode(d) == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), $"{d} is {File.GetUnixFileMode(d)}");
    }
}
