using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Shell;

/// <summary>
/// Hook-only mode, <c>eval "$(cfsession init bash)"</c> (and zsh, fish), typed into a real interactive shell in tmux:
/// every command's line, exit code and cwd reach the journal through the spool at the next query, in order; the
/// prompt never breaks; the session ends with the shell, or is abandoned when the shell is killed.
/// </summary>
public sealed class ShellInitTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Home => _dir.Combine("home");

    private string Work => _dir.Combine("work");

    private async Task<TmuxSession> StartAsync()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(Path.Combine(Work, "sub"));
        var tmux = await TmuxSession.StartAsync(Home, Work);
        return tmux;
    }

    private static int Prompts(string screen, string prompt) =>
        TmuxSession.Normalize(screen).Split('\n').Count(l => l.StartsWith(prompt, StringComparison.Ordinal));

    private static async Task TypeAsync(TmuxSession tmux, string line, string prompt = "cf$")
    {
        int before = Prompts(tmux.Capture(), prompt);
        tmux.TypeLine(line);
        await tmux.WaitForScreenAsync(s => Prompts(s, prompt) > before && TmuxSession.Normalize(s).TrimEnd('\n').Split('\n')[^1] == prompt,
            $"the prompt after '{line}'", timeout: TimeSpan.FromSeconds(30));
    }

    /// <summary>A query (it ingests the spool first), then the hook operations of the journal in journal order.</summary>
    private async Task<List<SessionEvent>> QueryAndReadAsync()
    {
        var history = await CfSessionProcess.RunAsync(Home, ["history"], workingDirectory: _dir.Path);
        Assert.Equal(0, history.ExitCode);
        return JournalFiles.SessionIds(Home).SelectMany(id => JournalFiles.ReadSession(Home, id).Events)
            .Where(e => e.Name == SessionEventNames.TerminalCapture && e.GetString(JournalFields.CaptureMode) == "hooks").ToList();
    }

    private async Task<string> SessionStatusAsync()
    {
        var sessions = await CfSessionProcess.RunAsync(Home, ["sessions"], workingDirectory: _dir.Path);
        return sessions.StdoutText.Trim().Split('\n')[^1].Split('\t')[^1];
    }

    [TmuxFact]
    public async Task Bash_hooks_record_each_command_line_exit_code_and_cwd_in_order_at_the_next_query_and_end_with_the_shell()
    {
        using var tmux = await StartAsync();

        await TypeAsync(tmux, "eval \"$(cfsession init bash)\"");
        await TypeAsync(tmux, "eval \"$(cfsession init bash)\""); // sourced twice: hooks installed once, one session
        await TypeAsync(tmux, "echo one");
        await TypeAsync(tmux, "cd sub");
        await TypeAsync(tmux, "ls missing-file");
        await TypeAsync(tmux, "for i in 1 2; do\necho $i; done");
        var ops = await QueryAndReadAsync();

        Assert.Equal(["eval \"$(cfsession init bash)\"", "echo one", "cd sub", "ls missing-file", "for i in 1 2; do echo $i; done"],
            ops.Select(e => e.GetString(JournalFields.OperationName)));
        Assert.Equal([0L, 0L, 0L, 2L, 0L], ops.Select(e => e.GetInt64(JournalFields.ExitCode)));
        string sub = Path.Combine(Work, "sub");
        Assert.Equal([Work, Work, Work, sub, sub], ops.Select(e => e.GetString(JournalFields.Cwd)));
        Assert.All(ops, e => Assert.Equal(0, e.GetInt64(JournalFields.OutputLength)));
        Assert.Single(JournalFiles.SessionIds(Home));
        Assert.Equal("open", await SessionStatusAsync());

        string spool = Assert.Single(Directory.EnumerateFiles(Path.Combine(Home, "spool"), "*.tsv"));
        tmux.TypeLine("exit 7");
        await tmux.WaitUntilAsync(() => File.ReadAllText(spool).Contains("\nX\t", StringComparison.Ordinal), "the shell has written its exit to the spool");
        Assert.Equal("ended", await SessionStatusAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Home, "spool"), "*.tsv"));
    }

    [TmuxFact]
    public async Task Hooks_sourced_from_a_pipe_work_and_a_killed_shell_leaves_its_session_abandoned()
    {
        using var tmux = await StartAsync();

        // bash runs the last element of a pipeline in a subshell: its form of "piped into source" is process substitution.
        await TypeAsync(tmux, "source <(cfsession init bash)");
        await TypeAsync(tmux, "echo $$ > shell.pid");
        await TypeAsync(tmux, "true");
        var ops = await QueryAndReadAsync();
        Assert.Equal(["echo $$ > shell.pid", "true"], ops.Select(e => e.GetString(JournalFields.OperationName)));

        int pid = int.Parse((await File.ReadAllTextAsync(Path.Combine(Work, "shell.pid"))).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using (var shell = System.Diagnostics.Process.GetProcessById(pid)) shell.Kill();
        await Task.Delay(200);
        Assert.Equal("abandoned", await SessionStatusAsync());
    }

    [TmuxFact]
    public async Task Prompt_survives_a_missing_cfsession_and_an_unwritable_data_directory()
    {
        string blocker = _dir.Combine("not-a-dir");
        Directory.CreateDirectory(_dir.Path);
        await File.WriteAllTextAsync(blocker, "x");
        using var tmux = await StartAsync();

        await TypeAsync(tmux, "eval \"$(/nonexistent/cfsession init bash)\"");
        await TypeAsync(tmux, $"eval \"$(CFSESSION_HOME='{blocker}' cfsession init bash)\"");
        await TypeAsync(tmux, "echo prompt-still-works");

        string screen = TmuxSession.Normalize(tmux.Capture());
        Assert.Matches(new Regex($"^cfsession: cannot write to {Regex.Escape(blocker)}: .*; the commands of this shell are not recorded$", RegexOptions.Multiline), screen);
        Assert.Contains("\nprompt-still-works\ncf$", screen, StringComparison.Ordinal);
        Assert.Equal(0, await tmux.LastStatusAsync());
    }

    [TmuxFact]
    public async Task Zsh_and_fish_hooks_record_commands_with_exit_code_and_cwd()
    {
        using var tmux = await StartAsync();
        string zdot = _dir.Combine("zdot");
        Directory.CreateDirectory(zdot);
        await File.WriteAllTextAsync(Path.Combine(zdot, ".zshrc"), "PS1='z$ '\n");
        tmux.TypeLine($"ZDOTDIR='{zdot}' zsh");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).TrimEnd('\n').EndsWith("z$", StringComparison.Ordinal), "zsh's prompt");
        await TypeAsync(tmux, "cfsession init zsh | source /dev/stdin", "z$");
        await TypeAsync(tmux, "ls missing-file", "z$");
        tmux.TypeLine("exit");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).TrimEnd('\n').EndsWith("cf$", StringComparison.Ordinal), "bash's prompt again");
        string config = _dir.Combine("config");
        Directory.CreateDirectory(Path.Combine(config, "fish"));
        await File.WriteAllTextAsync(Path.Combine(config, "fish", "config.fish"), "set -g fish_greeting ''\nfunction fish_prompt; echo -n 'f$ '; end\n");
        tmux.TypeLine($"XDG_CONFIG_HOME='{config}' fish");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).TrimEnd('\n').EndsWith("f$", StringComparison.Ordinal), "fish's prompt");
        await TypeAsync(tmux, "cfsession init fish | source", "f$");
        await TypeAsync(tmux, "cd sub", "f$");
        await TypeAsync(tmux, "false", "f$");
        tmux.TypeLine("exit");
        await tmux.WaitForScreenAsync(s => TmuxSession.Normalize(s).TrimEnd('\n').EndsWith("cf$", StringComparison.Ordinal), "bash's prompt again");

        var ops = await QueryAndReadAsync();
        var zsh = ops.Where(e => e.GetString(JournalFields.Command) == "zsh").ToList();
        var fish = ops.Where(e => e.GetString(JournalFields.Command) == "fish").ToList();
        Assert.Equal(["ls missing-file"], zsh.Select(e => e.GetString(JournalFields.OperationName))); // zsh runs no precmd after exit
        Assert.Equal(2, zsh[0].GetInt64(JournalFields.ExitCode));
        Assert.Equal(Work, zsh[0].GetString(JournalFields.Cwd));
        Assert.Equal(["cd sub", "false", "exit"], fish.Select(e => e.GetString(JournalFields.OperationName)));
        Assert.Equal([0L, 1L], fish.Take(2).Select(e => e.GetInt64(JournalFields.ExitCode)));
        Assert.Equal([Work, Path.Combine(Work, "sub")], fish.Take(2).Select(e => e.GetString(JournalFields.Cwd)));
        var sessions = await CfSessionProcess.RunAsync(Home, ["sessions"], workingDirectory: _dir.Path);
        Assert.Equal(2, Regex.Matches(sessions.StdoutText, @"\tended$", RegexOptions.Multiline).Count);
    }
}
