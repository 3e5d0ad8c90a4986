using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Shell;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Shell;

/// <summary>
/// <c>cfsession shell</c> used as a person would: in a real terminal (a private tmux server), commands typed with
/// send-keys into bash, zsh and fish started by cfsession, the screen read back, then each recorded operation
/// compared with what the command printed, its exit code and its cwd.
/// </summary>
public sealed class ShellEndToEndTests : IDisposable
{
    private const string InnerPrompt = "in$";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Home => _dir.Combine("home");

    private string UserHome => _dir.Combine("user");

    private string Work => _dir.Combine("work");

    /// <summary>
    /// Starts tmux (an outer bash) and in it <c>cfsession shell -- SHELL</c> with a user home whose rc file sets the
    /// prompt (<paramref name="environment"/>: <c>NAME=value </c> assignments before it).
    /// </summary>
    private async Task<TmuxSession> StartShellAsync(string shell, string? dataDirectory = null, string environment = "")
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Work);
        Directory.CreateDirectory(Path.Combine(Work, "sub"));
        Directory.CreateDirectory(UserHome);
        await File.WriteAllTextAsync(Path.Combine(UserHome, ".bashrc"), $"PS1='{InnerPrompt} '\n");
        await File.WriteAllTextAsync(Path.Combine(UserHome, ".zshrc"), $"PS1='{InnerPrompt} '\n");
        Directory.CreateDirectory(Path.Combine(UserHome, ".config", "fish"));
        await File.WriteAllTextAsync(Path.Combine(UserHome, ".config", "fish", "config.fish"),
            $"set -g fish_greeting ''\nfunction fish_prompt; echo -n '{InnerPrompt} '; end\n");
        var tmux = await TmuxSession.StartAsync(Home, _dir.Path, columns: 100, rows: 30);
        try
        {
            string data = dataDirectory is null ? string.Empty : $"CFSESSION_HOME='{dataDirectory}' ";
            tmux.TypeLine($"cd '{Work}' && {data}{environment}HOME='{UserHome}' XDG_CONFIG_HOME='{UserHome}/.config' cfsession shell -- {shell}");
            await WaitForPromptAsync(tmux, 1);
            return tmux;
        }
        catch
        {
            tmux.Dispose();
            throw;
        }
    }

    private static int Prompts(string screen) =>
        TmuxSession.Normalize(screen).Split('\n').Count(l => l.StartsWith(InnerPrompt, StringComparison.Ordinal));

    private static Task WaitForPromptAsync(TmuxSession tmux, int count) =>
        tmux.WaitForScreenAsync(s => Prompts(s) >= count && TmuxSession.Normalize(s).TrimEnd('\n').Split('\n')[^1] == InnerPrompt,
            $"prompt number {count} of the recorded shell", timeout: TimeSpan.FromSeconds(30));

    /// <summary>Types a command line into the recorded shell and waits for its next prompt.</summary>
    private static async Task TypeCommandAsync(TmuxSession tmux, string line)
    {
        int before = Prompts(tmux.Capture());
        tmux.TypeLine(line);
        await WaitForPromptAsync(tmux, before + 1);
    }

    private IReadOnlyList<SessionEvent> Events() =>
        JournalFiles.SessionIds(Home).SelectMany(id => JournalFiles.ReadSession(Home, id).Events).ToList();

    private IReadOnlyList<SessionEvent> Captures() =>
        Events().Where(e => e.Name == SessionEventNames.TerminalCapture).ToList();

    /// <summary>The commands recorded inside the shell (children of the shell's own operation), in order.</summary>
    private (SessionEvent Shell, List<SessionEvent> Commands) ShellAndCommands()
    {
        var captures = Captures();
        var shell = Assert.Single(captures, e => e.GetString(JournalFields.ParentOperationId) is null);
        string shellId = shell.GetString(JournalFields.OperationId)!;
        var commands = captures.Where(e => e.GetString(JournalFields.ParentOperationId) == shellId)
            .OrderBy(e => e.GetString(JournalFields.StartTime), StringComparer.Ordinal).ToList();
        return (shell, commands);
    }

    /// <summary>The exact stored output of a capture (inline, a blob, or a range of the shell's stream file), as UTF-8.</summary>
    private string OutputOf(SessionEvent e) =>
        System.Text.Encoding.UTF8.GetString(StoredOutput.Of(e.Fields, Path.Combine(Home, "sessions", e.SessionId)).FirstOrDefault()?.ReadBytes() ?? []);

    private void AssertCommand(SessionEvent e, string commandLine, string output, int exitCode, string cwd)
    {
        Assert.Equal(commandLine, e.GetString(JournalFields.OperationName));
        Assert.Equal(output, OutputOf(e));
        Assert.Equal(exitCode, e.GetInt64(JournalFields.ExitCode));
        Assert.Equal(cwd, e.GetString(JournalFields.Cwd));
        Assert.Equal("pty", e.GetString(JournalFields.CaptureMode));
    }

    private async Task ExitShellAsync(TmuxSession tmux, int code)
    {
        tmux.TypeLine($"exit {code}");
        await tmux.WaitUntilAsync(() => tmux.ForegroundCommand == "bash" && TmuxSession.Normalize(tmux.Capture()).TrimEnd('\n').EndsWith("cf$", StringComparison.Ordinal),
            "the outer shell's prompt is back");
        Assert.Equal(code, await tmux.LastStatusAsync());
    }

    [TmuxFact]
    public async Task Bash_commands_typed_interrupted_in_vim_and_after_a_resize_are_each_one_operation_with_their_own_output_exit_code_and_cwd()
    {
        using var tmux = await StartShellAsync("bash");
        string sub = Path.Combine(Work, "sub");

        await TypeCommandAsync(tmux, "echo hello");
        await TypeCommandAsync(tmux, "cd sub");
        await TypeCommandAsync(tmux, "ls missing-file");
        await TypeCommandAsync(tmux, "true");
        // Ctrl-C: the command records 130 and the shell survives.
        int before = Prompts(tmux.Capture());
        tmux.TypeLine("sleep 30");
        await tmux.WaitUntilAsync(() => Events().Any(e => e.Name == SessionEventNames.OperationStarted && e.GetString(JournalFields.OperationName) == "sleep 30"), "sleep has started");
        tmux.Press("C-c");
        await WaitForPromptAsync(tmux, before + 1);
        // vim on the alternate screen.
        before = Prompts(tmux.Capture());
        tmux.TypeLine("vim -u NONE -N notes.txt");
        await tmux.WaitForScreenAsync(s => s.Contains("notes.txt", StringComparison.Ordinal) && TmuxSession.Normalize(s).Split('\n').Any(l => l == "~"), "vim's screen");
        tmux.Type("ihello from vim");
        tmux.Press("Escape");
        tmux.TypeLine(":wq");
        await WaitForPromptAsync(tmux, before + 1);
        // A resize reaches the commands that run after it.
        tmux.Resize(80, 20);
        await tmux.WaitUntilInnerTerminalSizeAsync(80, 20);
        await TypeCommandAsync(tmux, "stty size");
        await ExitShellAsync(tmux, 3);

        var (shell, commands) = ShellAndCommands();
        Assert.Equal(8, commands.Count);
        AssertCommand(commands[0], "echo hello", "hello\r\n", 0, Work);
        AssertCommand(commands[1], "cd sub", "", 0, Work);
        AssertCommand(commands[2], "ls missing-file", "ls: cannot access 'missing-file': No such file or directory\r\n", 2, sub);
        AssertCommand(commands[3], "true", "", 0, sub);
        Assert.Equal("sleep 30", commands[4].GetString(JournalFields.OperationName));
        Assert.Equal(130, commands[4].GetInt64(JournalFields.ExitCode));
        Assert.Equal("^C", TerminalRenderer.Render(OutputOf(commands[4])).Trim());
        Assert.Equal("vim -u NONE -N notes.txt", commands[5].GetString(JournalFields.OperationName));
        Assert.Equal(0, commands[5].GetInt64(JournalFields.ExitCode));
        Assert.Equal("hello from vim\n", await File.ReadAllTextAsync(Path.Combine(sub, "notes.txt")));
        Assert.Contains("\u001b[?1049h", OutputOf(commands[5]), StringComparison.Ordinal);
        Assert.Equal(string.Empty, TerminalRenderer.Render(OutputOf(commands[5])).Trim()); // not the redraw
        AssertCommand(commands[6], "stty size", "20 80\r\n", 0, sub);
        AssertCommand(commands[7], "exit 3", "exit\r\n", 3, sub);
        // The prompt and the typed input are in the shell's whole stream, not in any command's output.
        Assert.Equal(3, shell.GetInt64(JournalFields.ExitCode));
        Assert.Equal("bash", shell.GetString(JournalFields.OperationName));
        string whole = TerminalRenderer.Render(OutputOf(shell));
        Assert.Contains("in$ echo hello\nhello\n", whole, StringComparison.Ordinal);
        Assert.DoesNotContain(commands, c => OutputOf(c).Contains(InnerPrompt, StringComparison.Ordinal));
        // Each command's timing is kept for replay.
        string sessionDir = Path.Combine(Home, "sessions", shell.SessionId);
        Assert.True(File.Exists(Path.Combine(sessionDir, "timing", commands[0].GetString(JournalFields.OperationId) + ".timing")));
        Assert.True(File.Exists(Path.Combine(sessionDir, "timing", shell.GetString(JournalFields.OperationId) + ".timing")));
    }

    [TmuxFact]
    public async Task Cfsession_run_inside_the_shell_is_recorded_once_and_the_shell_command_links_to_it()
    {
        using var tmux = await StartShellAsync("bash");

        await TypeCommandAsync(tmux, "cfsession run -- echo inner");
        await ExitShellAsync(tmux, 0);

        var (_, commands) = ShellAndCommands();
        var shellCommand = commands[0];
        Assert.Equal("cfsession run -- echo inner", shellCommand.GetString(JournalFields.OperationName));
        var run = Assert.Single(Captures(), e => e.GetString(JournalFields.OperationName) == "echo inner");
        Assert.Equal(run.GetString(JournalFields.OperationId), shellCommand.GetString(JournalFields.LinkedOperationId));
        Assert.Equal(shellCommand.GetString(JournalFields.OperationId), run.GetString(JournalFields.ParentOperationId));
        Assert.Equal("inner\r\n", OutputOf(run));
        Assert.Equal(0, shellCommand.GetInt64(JournalFields.OutputLength));
        Assert.Equal(shellCommand.SessionId, run.SessionId);
    }

    /// <summary>Types <c>sleep 30</c>, waits until it runs, interrupts it with Ctrl-C and waits for the next prompt.</summary>
    private async Task InterruptSleepAsync(TmuxSession tmux)
    {
        int before = Prompts(tmux.Capture());
        tmux.TypeLine("sleep 30");
        await tmux.WaitUntilAsync(() => Events().Any(e => e.Name == SessionEventNames.OperationStarted && e.GetString(JournalFields.OperationName) == "sleep 30"), "sleep has started");
        await Task.Delay(200);
        tmux.Press("C-c");
        await WaitForPromptAsync(tmux, before + 1);
    }

    [TmuxFact]
    public async Task Zsh_commands_typed_and_interrupted_are_recorded_with_their_output_exit_code_and_cwd()
    {
        using var tmux = await StartShellAsync("zsh");
        string sub = Path.Combine(Work, "sub");

        await TypeCommandAsync(tmux, "echo hello");
        await TypeCommandAsync(tmux, "cd sub");
        await TypeCommandAsync(tmux, "ls missing-file");
        await InterruptSleepAsync(tmux);
        await ExitShellAsync(tmux, 4);

        var (shell, commands) = ShellAndCommands();
        Assert.Equal(5, commands.Count);
        AssertCommand(commands[0], "echo hello", "hello\r\n", 0, Work);
        AssertCommand(commands[1], "cd sub", "", 0, Work);
        AssertCommand(commands[2], "ls missing-file", "ls: cannot access 'missing-file': No such file or directory\r\n", 2, sub);
        // Ctrl-C: 130, and the shell survives (the next command runs in it, in the cwd after cd).
        Assert.Equal("sleep 30", commands[3].GetString(JournalFields.OperationName));
        Assert.Equal(130, commands[3].GetInt64(JournalFields.ExitCode));
        Assert.Equal(sub, commands[3].GetString(JournalFields.Cwd));
        Assert.Equal("exit 4", commands[4].GetString(JournalFields.OperationName));
        Assert.Equal(4, shell.GetInt64(JournalFields.ExitCode));
    }

    [TmuxFact]
    public async Task Fish_commands_typed_and_interrupted_are_recorded_with_their_output_exit_code_and_cwd()
    {
        using var tmux = await StartShellAsync("fish");
        string sub = Path.Combine(Work, "sub");

        await TypeCommandAsync(tmux, "echo hello");
        await TypeCommandAsync(tmux, "cd sub");
        await TypeCommandAsync(tmux, "ls missing-file");
        await InterruptSleepAsync(tmux);
        await ExitShellAsync(tmux, 5);

        var (shell, commands) = ShellAndCommands();
        Assert.Equal(5, commands.Count);
        // fish itself writes a title and resets attributes after the command starts: the screen text is exact.
        Assert.Equal("echo hello", commands[0].GetString(JournalFields.OperationName));
        Assert.Equal("hello\n", TerminalRenderer.Render(OutputOf(commands[0])));
        Assert.EndsWith("hello\r\n", OutputOf(commands[0]), StringComparison.Ordinal);
        Assert.Equal(0, commands[0].GetInt64(JournalFields.ExitCode));
        Assert.Equal(Work, commands[0].GetString(JournalFields.Cwd));
        Assert.Equal(Work, commands[1].GetString(JournalFields.Cwd));
        Assert.Equal("ls: cannot access 'missing-file': No such file or directory\n", TerminalRenderer.Render(OutputOf(commands[2])));
        Assert.Equal(2, commands[2].GetInt64(JournalFields.ExitCode));
        Assert.Equal(sub, commands[2].GetString(JournalFields.Cwd));
        // Ctrl-C: 130, and the shell survives (the next command runs in it, in the cwd after cd).
        Assert.Equal("sleep 30", commands[3].GetString(JournalFields.OperationName));
        Assert.Equal(130, commands[3].GetInt64(JournalFields.ExitCode));
        Assert.Equal(sub, commands[3].GetString(JournalFields.Cwd));
        Assert.Equal("exit 5", commands[4].GetString(JournalFields.OperationName));
        Assert.Equal(5, shell.GetInt64(JournalFields.ExitCode));
    }

    [TmuxFact]
    public async Task Unwritable_data_directory_keeps_the_shell_running_and_says_so_in_one_line()
    {
        Directory.CreateDirectory(_dir.Path);
        string blocker = _dir.Combine("not-a-dir");
        await File.WriteAllTextAsync(blocker, "x");
        using var tmux = await StartShellAsync("bash", dataDirectory: blocker);

        await TypeCommandAsync(tmux, "echo still-works");
        string screen = TmuxSession.Normalize(tmux.Capture());
        Assert.Matches(new Regex($"^cfsession: cannot write to {Regex.Escape(blocker)}: .*; the shell runs unrecorded$", RegexOptions.Multiline), screen);
        Assert.Single(screen.Split('\n'), l => l.StartsWith("cfsession:", StringComparison.Ordinal));
        Assert.Contains("\nstill-works\n", screen, StringComparison.Ordinal);
        await ExitShellAsync(tmux, 6);
    }

    [TmuxFact]
    public async Task Asciicast_export_of_a_shell_plays_in_asciinema_with_the_recorded_timing_and_size_and_text_export_is_what_the_screen_showed()
    {
        using var tmux = await StartShellAsync("bash");
        await TypeCommandAsync(tmux, "echo first");
        tmux.Resize(80, 20);
        await tmux.WaitUntilInnerTerminalSizeAsync(80, 20);
        await Task.Delay(1200);
        await TypeCommandAsync(tmux, "printf '10%%\\rsecond\\n'");
        await ExitShellAsync(tmux, 0);
        var (shell, commands) = ShellAndCommands();

        string cast = _dir.Combine("shell.cast");
        var export = await CfSessionProcess.RunAsync(Home, ["export", shell.SessionId, "--format", "asciicast", "-o", cast], workingDirectory: _dir.Path);
        Assert.Equal(0, export.ExitCode);
        string[] lines = await File.ReadAllLinesAsync(cast);
        using (var header = System.Text.Json.JsonDocument.Parse(lines[0]))
        {
            Assert.Equal(2, header.RootElement.GetProperty("version").GetInt32());
            // The size the shell started with (the tmux window), not a fixed 80x24.
            Assert.Equal(100, header.RootElement.GetProperty("width").GetInt32());
            Assert.Equal(30, header.RootElement.GetProperty("height").GetInt32());
        }
        var all = lines[1..].Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).Select(e => (At: e[0].GetDouble(), Kind: e[1].GetString(), Text: e[2].GetString()!)).ToList();
        Assert.Equal(all.Select(e => e.At).Order(), all.Select(e => e.At)); // in recorded order
        // The resize is an "r" event, after "first" and before "second".
        var resize = Assert.Single(all, e => e.Kind == "r");
        Assert.Equal("80x20", resize.Text);
        var events = all.Where(e => e.Kind == "o").ToList();
        Assert.Equal(all.Count - 1, events.Count);
        Assert.True(events.First(e => e.Text.Contains("first\r\n", StringComparison.Ordinal)).At <= resize.At);
        Assert.True(resize.At <= events.First(e => e.Text.Contains("second\r\n", StringComparison.Ordinal)).At);
        Assert.Equal(OutputOf(shell), string.Concat(events.Select(e => e.Text)));
        double first = events.First(e => e.Text.Contains("first\r\n", StringComparison.Ordinal)).At;
        double second = events.First(e => e.Text.Contains("second\r\n", StringComparison.Ordinal)).At;
        Assert.True(second - first >= 1.2, $"the recorded pause between the commands is kept: {second - first:0.000} s");

        // The real asciinema plays it, in the terminal (it reads keys from /dev/tty).
        string played = _dir.Combine("played.txt");
        Assert.Equal(0, await tmux.RunToPromptAsync($"asciinema cat '{cast}' > '{played}'"));
        Assert.Equal(TerminalRenderer.Render(OutputOf(shell)), TerminalRenderer.Render(await File.ReadAllTextAsync(played)));

        var text = await CfSessionProcess.RunAsync(Home, ["export", commands[1].GetString(JournalFields.OperationId)!, "--format", "text"], workingDirectory: _dir.Path);
        Assert.Equal(0, text.ExitCode);
        Assert.Equal("second\n", text.StdoutText);
        var missing = await CfSessionProcess.RunAsync(Home, ["export", "ffffffff-0000"], workingDirectory: _dir.Path);
        Assert.Equal(66, missing.ExitCode);
        Assert.Equal("cfsession: no operation or session 'ffffffff-0000': 'cfsession sessions' and 'cfsession show' list them\n", missing.Stderr);
    }

    [TmuxFact]
    public async Task Each_command_is_a_byte_range_of_the_shell_stream_stored_once_shown_raw_validated_and_found_once_by_search()
    {
        using var tmux = await StartShellAsync("bash");
        await TypeCommandAsync(tmux, "echo needle-one");
        await TypeCommandAsync(tmux, "printf 'a\\rneedle-two\\n'");
        await ExitShellAsync(tmux, 0);
        var (shell, commands) = ShellAndCommands();
        string shellId = shell.GetString(JournalFields.OperationId)!;
        string streamFile = Path.Combine(Home, "sessions", shell.SessionId, "streams", shellId);

        // One copy of the bytes: the shell's raw stream file; each command names its range and hashes its bytes.
        Assert.Equal("streams/" + shellId, shell.GetString(JournalFields.OutputStream));
        Assert.Equal(0, shell.GetInt64(JournalFields.OutputOffset));
        byte[] stream = await File.ReadAllBytesAsync(streamFile);
        Assert.Equal(stream.Length, shell.GetInt64(JournalFields.OutputLength));
        Assert.False(Directory.Exists(Path.Combine(Home, "sessions", shell.SessionId, "blobs")) && Directory.EnumerateFiles(Path.Combine(Home, "sessions", shell.SessionId, "blobs")).Any());
        foreach (var (command, expected) in commands.Zip(["needle-one\r\n", "a\rneedle-two\r\n", "exit\r\n"]))
        {
            Assert.Equal("streams/" + shellId, command.GetString(JournalFields.OutputStream));
            Assert.False(command.Fields.ContainsKey(JournalFields.Output));
            long offset = command.GetInt64(JournalFields.OutputOffset)!.Value;
            long length = command.GetInt64(JournalFields.OutputLength)!.Value;
            byte[] range = stream.AsSpan((int)offset, (int)length).ToArray();
            Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(range));
            Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(range)), command.GetString(JournalFields.IntegrityHash));
        }

        // show --output --raw gives the exact bytes of the range; validate checks every range's hash.
        var raw = await CfSessionProcess.RunAsync(Home, ["show", shell.SessionId, "--output", commands[1].GetString(JournalFields.OperationId)!, "--raw"], workingDirectory: _dir.Path);
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("a\rneedle-two\r\n", raw.StdoutText);
        var valid = await CfSessionProcess.RunAsync(Home, ["validate"], workingDirectory: _dir.Path);
        Assert.True(valid.ExitCode == 0, valid.StdoutText + valid.Stderr);

        // The stream, its timing and the shell's spool are as private as every other data file: 0600 files in 0700 directories.
        if (!OperatingSystem.IsWindows()) // always true here (tmux)
        {
            foreach (string f in Directory.EnumerateFiles(Home, "*", SearchOption.AllDirectories))
                Assert.True(File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{f} is {File.GetUnixFileMode(f)}");
            foreach (string d in Directory.EnumerateDirectories(Home, "*", SearchOption.AllDirectories))
                Assert.True(File.GetUnixFileMode(d) == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), $"{d} is {File.GetUnixFileMode(d)}");
        }

        // A search finds the command once: the shell's whole stream holds the same bytes but is not searched as a whole.
        var found = await CfSessionProcess.RunAsync(Home, ["search", "needle-two", "--json"], workingDirectory: _dir.Path);
        Assert.Equal(0, found.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(found.Stdout);
        var result = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(commands[1].GetString(JournalFields.OperationId), result.GetProperty("operation_id").GetString());
        Assert.Equal("needle-two", Assert.Single(result.GetProperty("matches").EnumerateArray()).GetProperty("text").GetString());

        // A tampered range no longer matches its hash: validate says so.
        string segment = Directory.EnumerateFiles(Path.Combine(Home, "sessions", shell.SessionId), "*.jsonl").Single(f => File.ReadAllText(f).Contains(commands[0].GetString(JournalFields.OperationId)!, StringComparison.Ordinal));
        stream[(int)commands[0].GetInt64(JournalFields.OutputOffset)!.Value] = (byte)'N';
        await File.WriteAllBytesAsync(streamFile, stream);
        var invalid = await CfSessionProcess.RunAsync(Home, ["validate"], workingDirectory: _dir.Path);
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("capture_hash_mismatch", invalid.StdoutText + invalid.Stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(segment));
    }

    [TmuxFact]
    public async Task After_the_shell_exits_its_stream_is_recompacted_in_the_background_and_every_command_reads_back_its_bytes_under_its_hash()
    {
        // The background recompaction on (the tmux server turns it off for the other tests).
        using var tmux = await StartShellAsync("bash", environment: "CFSESSION_RECOMPACT=on ");
        // Its output scrolls the earlier prompts away: wait for its last line and the prompt after it.
        tmux.TypeLine("seq -f 'line %g of compressible shell output' 1 40000");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).TrimEnd('\n').EndsWith($"line 40000 of compressible shell output\n{InnerPrompt}", StringComparison.Ordinal),
            "the end of seq's output and the next prompt", timeout: TimeSpan.FromSeconds(60));
        await TypeCommandAsync(tmux, "echo needle-after");
        await ExitShellAsync(tmux, 0);
        var (shell, commands) = ShellAndCommands();
        string shellId = shell.GetString(JournalFields.OperationId)!;
        string streamFile = Path.Combine(Home, "sessions", shell.SessionId, "streams", shellId);
        long streamLength = shell.GetInt64(JournalFields.OutputLength)!.Value;

        // No reindex, no prune: the detached recompactor replaces the raw file (JIT start-up on a loaded machine: two minutes).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (File.Exists(streamFile) && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(200);
        Assert.False(File.Exists(streamFile), "the raw stream is still there two minutes after the shell exited");
        string compressed = BlobStore.CompressedStreamPath(streamFile);
        Assert.True(new FileInfo(compressed).Length < streamLength / 5, $"{new FileInfo(compressed).Length} bytes on disk for a {streamLength}-byte stream");

        string expected = string.Concat(Enumerable.Range(1, 40000).Select(i => $"line {i} of compressible shell output\r\n"));
        Assert.Equal(expected, OutputOf(commands[0]));
        Assert.Equal("needle-after\r\n", OutputOf(commands[1]));
        var raw = await CfSessionProcess.RunAsync(Home, ["show", shell.SessionId, "--output", commands[1].GetString(JournalFields.OperationId)!, "--raw"], workingDirectory: _dir.Path);
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("needle-after\r\n", raw.StdoutText);
        // validate reads every range (and the whole stream) back and checks its recorded hash.
        var valid = await CfSessionProcess.RunAsync(Home, ["validate"], workingDirectory: _dir.Path);
        Assert.True(valid.ExitCode == 0, valid.StdoutText + valid.Stderr);
    }

    [TmuxFact]
    public async Task Bash_job_control_pagers_multi_line_commands_heredocs_background_jobs_and_silent_commands_are_each_recorded_once()
    {
        using var tmux = await StartShellAsync("bash");
        // Ctrl-Z, then fg: one operation for the command, with its real exit status once it finishes.
        int before = Prompts(tmux.Capture());
        tmux.TypeLine("sh -c 'sleep 2; echo woke; exit 7'");
        await tmux.WaitUntilAsync(() => Events().Any(e => e.Name == SessionEventNames.OperationStarted && e.GetString(JournalFields.OperationName) == "sh -c 'sleep 2; echo woke; exit 7'"), "sh has started");
        await Task.Delay(300);
        tmux.Press("C-z");
        await WaitForPromptAsync(tmux, before + 1);
        await TypeCommandAsync(tmux, "fg");
        // less on the alternate screen, quit with q.
        await File.WriteAllTextAsync(Path.Combine(Work, "pager.txt"), string.Join('\n', Enumerable.Range(1, 100).Select(i => $"pager line {i}")) + "\n");
        before = Prompts(tmux.Capture());
        tmux.TypeLine("less pager.txt");
        await tmux.WaitForScreenAsync(s => s.Contains("pager line 20", StringComparison.Ordinal), "less's screen");
        tmux.Type("q");
        await WaitForPromptAsync(tmux, before + 1);
        // top, quit with q.
        before = Prompts(tmux.Capture());
        tmux.TypeLine("top -d 0.5");
        await tmux.WaitForScreenAsync(s => s.Contains("PID", StringComparison.Ordinal) && s.Contains("load average", StringComparison.Ordinal), "top's screen");
        await Task.Delay(1500); // a few redraws
        tmux.Type("q");
        await WaitForPromptAsync(tmux, before + 1);
        // A multi-line command and a heredoc.
        await TypeCommandAsync(tmux, "for i in 1 2; do\necho loop $i\ndone");
        await TypeCommandAsync(tmux, "cat <<EOF\nheredoc text\nEOF");
        // A background job, then wait; and a command with no output.
        await TypeCommandAsync(tmux, "sleep 1 &");
        await TypeCommandAsync(tmux, "wait");
        await TypeCommandAsync(tmux, "true");
        await ExitShellAsync(tmux, 3);

        var (shell, commands) = ShellAndCommands();
        Assert.Equal(3, shell.GetInt64(JournalFields.ExitCode));
        string[] names = [.. commands.Select(c => c.GetString(JournalFields.OperationName)!)];
        Assert.Equal(["sh -c 'sleep 2; echo woke; exit 7'", "fg", "less pager.txt", "top -d 0.5", "for i in 1 2; do echo loop $i; done", "cat <<EOF\nheredoc text\nEOF", "sleep 1 &", "wait", "true", "exit 3"], names);
        // Stopped by Ctrl-Z: 148 (128 + SIGTSTP), and bash says so; fg then runs it to its end: the rest of its output
        // and its real exit status are fg's.
        Assert.Equal(148, commands[0].GetInt64(JournalFields.ExitCode));
        Assert.Matches(new Regex(@"^\^Z\n\[1\]\+ +Stopped +sh -c 'sleep 2; echo woke; exit 7'\n$"), TerminalRenderer.Render(OutputOf(commands[0])));
        Assert.Equal(7, commands[1].GetInt64(JournalFields.ExitCode));
        Assert.Equal("sh -c 'sleep 2; echo woke; exit 7'\nwoke\n", TerminalRenderer.Render(OutputOf(commands[1])));
        // The pagers: one operation each, on the alternate screen, whose searchable text is not the redraw.
        Assert.Contains("\u001b[?1049h", OutputOf(commands[2]), StringComparison.Ordinal);
        Assert.Equal(string.Empty, TerminalRenderer.Render(OutputOf(commands[2])).Trim());
        Assert.Equal(0, commands[2].GetInt64(JournalFields.ExitCode));
        // top (procps) redraws in place on the main screen, from the top of a screen of the recorded height (30 rows
        // here): its searchable text is its last screen, not every redraw.
        string sessionDir = Path.Combine(Home, "sessions", shell.SessionId);
        Assert.Equal((100, 30), StreamTiming.FirstSize(StreamTiming.PathFor(sessionDir, commands[3].GetString(JournalFields.OperationId)!)));
        string topRaw = OutputOf(commands[3]), topText = TerminalRenderer.Render(topRaw, 30);
        Assert.True(Regex.Count(topRaw, "load average") >= 2, "top redrew its screen");
        Assert.Equal(1, Regex.Count(topText, "load average"));
        Assert.True(topText.Split('\n').Length <= 31, topText);
        Assert.Equal(0, commands[3].GetInt64(JournalFields.ExitCode));
        // bash keeps a multi-line command as one history line (cmdhist): that is the command line recorded.
        AssertCommand(commands[4], "for i in 1 2; do echo loop $i; done", "loop 1\r\nloop 2\r\n", 0, Work);
        AssertCommand(commands[5], "cat <<EOF\nheredoc text\nEOF", "heredoc text\r\n", 0, Work);
        Assert.Matches(new Regex(@"^\[1\] \d+\r\n$"), OutputOf(commands[6]));
        Assert.Equal(0, commands[6].GetInt64(JournalFields.ExitCode));
        Assert.Equal(0, commands[7].GetInt64(JournalFields.ExitCode));
        AssertCommand(commands[8], "true", "", 0, Work);
        Assert.Equal(0, commands[8].GetInt64(JournalFields.OutputLength));
        var found = await CfSessionProcess.RunAsync(Home, ["search", "load average", "--json"], workingDirectory: _dir.Path);
        using (var json = System.Text.Json.JsonDocument.Parse(found.Stdout))
        {
            var hit = Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());
            Assert.Equal(commands[3].GetString(JournalFields.OperationId), hit.GetProperty("operation_id").GetString());
            Assert.Single(hit.GetProperty("matches").EnumerateArray());
        }
        // Each recorded once.
        Assert.Equal(commands.Count, commands.Select(c => c.GetString(JournalFields.OperationId)).Distinct().Count());
    }
}
