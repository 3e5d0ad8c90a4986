using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary><c>cfsession run</c> driven as a real process (pipe mode: stdout is not a terminal here).</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<CliRun> Run(params string[] args) => CfSessionProcess.RunAsync(_dir.Path, args);

    [Fact]
    public async Task Exit_code_of_the_command_is_the_exit_code_of_run_and_is_recorded()
    {
        var run = await Run("run", "--", "sh", "-c", "echo out; echo err >&2; exit 3");

        Assert.Equal(3, run.ExitCode);
        Assert.Equal("out\n", run.StdoutText);
        Assert.Equal("err\n", run.Stderr);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(3, e.GetInt64(JournalFields.ExitCode));
        Assert.Null(e.GetInt64(JournalFields.Signal));
        Assert.Equal("out\n", e.GetString(JournalFields.Output));
        Assert.Equal("err\n", e.GetString(JournalFields.Stderr));
        Assert.Equal("pipes", e.GetString(JournalFields.CaptureMode));
        Assert.Equal("sh -c 'echo out; echo err >&2; exit 3'", e.GetString(JournalFields.OperationName));
        Assert.Equal(_dir.Path, e.GetString(JournalFields.Cwd));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData("out\n"u8)), e.GetString(JournalFields.IntegrityHash));
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData("err\n"u8)), e.GetString(JournalFields.StderrHash));
        var provenance = e.Fields[JournalFields.Provenance]!.AsObject();
        Assert.Equal("cfsession", provenance["tool"]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, provenance["host"]!.GetValue<string>());
        Assert.True(provenance["pid"]!.GetValue<int>() > 0);
        Assert.False(string.IsNullOrEmpty(provenance["tool_version"]!.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(provenance["os"]!.GetValue<string>()));
        var start = DateTimeOffset.Parse(e.GetString(JournalFields.StartTime)!, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(e.GetString(JournalFields.EndTime)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(end >= start);
        Assert.InRange(e.GetDouble(JournalFields.DurationMs)!.Value, 0, 60_000);
    }

    [Fact]
    public async Task Signal_that_ends_the_command_is_recorded_and_reported_as_128_plus_signal()
    {
        var run = await Run("run", "--", "sh", "-c", "kill -TERM $$");

        Assert.Equal(143, run.ExitCode);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(15, e.GetInt64(JournalFields.Signal));
        Assert.Equal(143, e.GetInt64(JournalFields.ExitCode));
    }

    [Fact]
    public async Task Stdin_is_passed_through_to_the_command()
    {
        byte[] input = Encoding.UTF8.GetBytes("line one\nline two\n");
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "wc", "-l"], stdin: input);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("2", run.StdoutText.Trim());
        Assert.Equal("2", JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture).GetString(JournalFields.Output)!.Trim());
    }

    [Fact]
    public async Task Binary_and_invalid_utf8_output_is_kept_byte_for_byte_in_a_blob()
    {
        byte[] bytes = new byte[256 * 3];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i % 256);
        string file = _dir.Combine("binary.bin");
        await File.WriteAllBytesAsync(file, bytes);

        var run = await Run("run", "--", "cat", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(bytes, run.Stdout);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Null(e.GetString(JournalFields.Output));
        using (var blob = BlobStore.OpenRead(Path.Combine(_dir.Path, "sessions", e.SessionId), e.GetString(JournalFields.OutputBlob)!))
        using (var stored = new MemoryStream())
        {
            await blob.CopyToAsync(stored);
            Assert.Equal(bytes, stored.ToArray());
        }
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), e.GetString(JournalFields.IntegrityHash));
        Assert.Equal(bytes.Length, e.GetInt64(JournalFields.OutputLength));
    }

    [Fact]
    public async Task Large_output_is_streamed_to_a_blob_with_the_exact_length_and_hash()
    {
        string file = _dir.Combine("large.bin");
        byte[] chunk = RandomNumberGenerator.GetBytes(1 << 20);
        using (var fs = File.Create(file))
        {
            for (int i = 0; i < 64; i++) fs.Write(chunk);
        }
        string expectedHash;
        using (var fs = File.OpenRead(file)) expectedHash = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(fs));

        // --no-redact: random bytes can, rarely, take the shape of a token a rule redacts (seen once in CI: 1280 bytes
        // more, 20 per copy of the 1 MiB chunk repeated 64 times), and redaction changes the stored length by design.
        // This test is about streaming a large output to a blob exactly; redaction has its own tests.
        var run = await Run("run", "--no-redact", "--", "cat", file);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(64L << 20, run.Stdout.LongLength);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(64L << 20, e.GetInt64(JournalFields.OutputLength));
        Assert.Equal(expectedHash, e.GetString(JournalFields.IntegrityHash));
        string blob = Path.Combine(_dir.Path, "sessions", e.SessionId, e.GetString(JournalFields.OutputBlob)!);
        using (var fs = BlobStore.OpenRead(Path.Combine(_dir.Path, "sessions", e.SessionId), e.GetString(JournalFields.OutputBlob)!))
            Assert.Equal(expectedHash, "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(fs)));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(blob)!, ".tmp-*"));
    }

    [Fact]
    public async Task Command_that_does_not_exist_exits_127_naming_the_command_and_is_recorded()
    {
        var run = await Run("run", "--", "no-such-command-xyz", "arg");

        Assert.Equal(127, run.ExitCode);
        Assert.Equal("cfsession: no-such-command-xyz: command not found\n", run.Stderr);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(127, e.GetInt64(JournalFields.ExitCode));
        Assert.Equal("cfsession: no-such-command-xyz: command not found", e.GetString(JournalFields.Error));
    }

    [Fact]
    public async Task Run_without_a_session_creates_one_that_starts_and_ends_around_the_command()
    {
        var run = await Run("run", "--name", "one-off", "--", "true");

        Assert.Equal(0, run.ExitCode);
        string id = Assert.Single(JournalFiles.SessionIds(_dir.Path));
        var events = JournalFiles.ReadSession(_dir.Path, id);
        Assert.Empty(events.Problems);
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.OperationStarted, SessionEventNames.TerminalCapture, SessionEventNames.SessionEnd], events.Events.Select(x => x.Name));
        Assert.Equal("one-off", events.Events[0].GetString(JournalFields.SessionName));
        Assert.Equal(1, events.Events[3].GetInt64(JournalFields.OperationCount));
    }

    [Fact]
    public async Task Nested_run_joins_the_session_and_its_segment_and_records_its_parent_operation()
    {
        string dll = CfSessionProcess.DllPath;
        var run = await Run("run", "--", "dotnet", dll, "run", "--", "echo", "inner");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("inner\n", run.StdoutText);
        string id = Assert.Single(JournalFiles.SessionIds(_dir.Path));
        var captures = JournalFiles.ReadSession(_dir.Path, id).Events.Where(x => x.Name == SessionEventNames.TerminalCapture).ToList();
        Assert.Equal(2, captures.Count);
        var inner = captures.Single(c => c.GetString(JournalFields.OperationName) == "echo inner");
        var outer = captures.Single(c => c != inner);
        Assert.Equal(outer.GetString(JournalFields.OperationId), inner.GetString(JournalFields.ParentOperationId));
        Assert.Null(outer.GetString(JournalFields.ParentOperationId));
        // The outer run holds the segment's lock only while it appends, so the nested run joins its segment.
        Assert.Equal(outer.Segment, inner.Segment);
        Assert.Empty(JournalFiles.ReadSession(_dir.Path, id).Problems);
    }

    [Fact]
    public async Task Child_sees_the_session_id_parent_operation_and_traceparent_in_its_environment()
    {
        var run = await Run("run", "--", "sh", "-c", "echo $CFSESSION_ID $CFSESSION_PARENT_ID $TRACEPARENT");

        string[] parts = run.StdoutText.Trim().Split(' ');
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(e.SessionId, parts[0]);
        Assert.Equal(e.GetString(JournalFields.OperationId), parts[1]);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", parts[2]);
        Assert.Equal(e.SessionId.Replace("-", ""), parts[2][3..35]);
    }

    [Fact]
    public async Task Unwritable_data_directory_still_runs_the_command_and_says_so_in_one_line()
    {
        string blocker = _dir.Combine("not-a-dir");
        await File.WriteAllTextAsync(blocker, "x");

        var run = await CfSessionProcess.RunAsync(blocker, ["run", "--", "echo", "shown"], workingDirectory: _dir.Path);

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("shown\n", run.StdoutText);
        Assert.StartsWith($"cfsession: cannot write to {blocker}: ", run.Stderr);
        Assert.EndsWith("; running unrecorded\n", run.Stderr);
        Assert.Single(run.Stderr.Trim('\n').Split('\n'));
    }

    [Fact]
    public async Task Require_journal_makes_an_unwritable_data_directory_fatal_with_exit_74()
    {
        string blocker = _dir.Combine("not-a-dir");
        await File.WriteAllTextAsync(blocker, "x");

        var run = await CfSessionProcess.RunAsync(blocker, ["run", "--require-journal", "--", "echo", "never"], workingDirectory: _dir.Path);

        Assert.Equal(74, run.ExitCode);
        Assert.Equal(string.Empty, run.StdoutText);
        Assert.EndsWith("; nothing was run (--require-journal)\n", run.Stderr);
    }

    [Fact]
    public async Task Run_with_an_unknown_CFSESSION_ID_fails_with_exit_66_and_runs_nothing()
    {
        var run = await CfSessionProcess.RunAsync(_dir.Path, ["run", "--", "echo", "never"],
            environment: new Dictionary<string, string?> { ["CFSESSION_ID"] = "00000000-0000-4000-8000-000000000000" });

        Assert.Equal(66, run.ExitCode);
        Assert.Equal(string.Empty, run.StdoutText);
        Assert.Equal("cfsession: no session '00000000-0000-4000-8000-000000000000' in this data directory\n", run.Stderr);
    }

    [Fact]
    public async Task Run_without_a_command_is_a_usage_error_with_exit_64()
    {
        var run = await Run("run");

        Assert.Equal(64, run.ExitCode);
        Assert.StartsWith("cfsession: ", run.Stderr);
        Assert.Single(run.Stderr.Trim('\n').Split('\n'));
    }
}
