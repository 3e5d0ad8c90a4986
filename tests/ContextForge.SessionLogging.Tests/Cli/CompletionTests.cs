using System.Text.RegularExpressions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>
/// <c>cfsession completion SHELL</c> and the hidden <c>__complete</c> entry point its scripts call: in-process for the
/// candidates, and bash's Tab under a real terminal (tmux) for the script itself.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Home => _dir.Combine("home");

    private Task<InProcessCli.Result> Cli(params string[] args) => InProcessCli.RunAsync(Home, new Dictionary<string, string?> { ["CFSESSION_ID"] = null }, args);

    private async Task<string[]> CandidatesAsync(params string[] words)
    {
        var result = await Cli(["__complete", "--", .. words]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task A_prefix_completes_to_exactly_the_commands_it_starts()
    {
        Assert.Equal(["search", "sessions", "shell", "show", "start", "sync"], await CandidatesAsync("s"));
        Assert.Equal(["completion"], await CandidatesAsync("compl"));
    }

    [Fact]
    public async Task An_option_prefix_completes_to_that_commands_options()
    {
        Assert.Equal(["--json", "--output"], (await CandidatesAsync("show", "--")).Where(c => c is "--json" or "--output"));
        Assert.Equal(["--verbose", "--version"], await CandidatesAsync("--ver"));
        Assert.Equal(["fish", "pwsh", "sh"], await CandidatesAsync("end", "--shell", ""));
    }

    [Fact]
    public async Task A_session_argument_and_the_session_option_complete_to_recent_session_ids()
    {
        string first = await InProcessCli.StartAsync(Home, "--name", "first");
        string second = await InProcessCli.StartAsync(Home, "--name", "second");

        string[] afterInspect = await CandidatesAsync("inspect", "");
        Assert.Contains(first, afterInspect);
        Assert.Contains(second, afterInspect);
        Assert.Equal([second], await CandidatesAsync("show", second[..6]));
        Assert.Equal([second], await CandidatesAsync("show", "--json", second[..6])); // after a flag too
        // An option's value: only the ids, not the command's other options.
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), (await CandidatesAsync("history", "--session", "")).Order(StringComparer.Ordinal));
        var described = await Cli("__complete", "--descriptions", "--", "validate", first);
        Assert.Equal($"{first}\tfirst\n", described.Stdout);
    }

    [Fact]
    public async Task Completion_without_a_data_directory_offers_commands_and_creates_nothing()
    {
        string[] candidates = await CandidatesAsync("inspect", "");

        Assert.Contains("--json", candidates);
        Assert.DoesNotContain(candidates, c => Regex.IsMatch(c, "^[0-9a-f]{8}-"));
        Assert.False(Directory.Exists(Home), "completion must not create the data directory");
    }

    [Fact]
    public async Task Each_shell_gets_a_script_that_asks_the_hidden_entry_point()
    {
        foreach (string shell in new[] { "bash", "zsh", "fish", "pwsh" })
        {
            var script = await Cli("completion", shell);
            Assert.Equal(0, script.ExitCode);
            Assert.Contains("cfsession __complete", script.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("complete -F _cfsession_complete cfsession", (await Cli("completion", "bash")).Stdout, StringComparison.Ordinal);
        Assert.StartsWith("#compdef cfsession\n", (await Cli("completion", "zsh")).Stdout, StringComparison.Ordinal);

        var unknown = await Cli("completion", "tcsh");
        Assert.Equal(64, unknown.ExitCode);
        Assert.Single(unknown.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("tcsh", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_entry_point_is_hidden_from_help_and_from_completion()
    {
        var help = await CfSessionProcess.RunAsync(Home, ["--help"]);

        Assert.Equal(0, help.ExitCode);
        Assert.Contains("completion", help.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("__complete", help.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("__complete", await CandidatesAsync("_"));
    }

    [TmuxFact]
    public async Task Bash_tab_completes_a_command_an_option_and_a_recent_session_id()
    {
        Directory.CreateDirectory(Home);
        string id = await InProcessCli.StartAsync(Home, "--name", "tab-target");
        using var tmux = await TmuxSession.StartAsync(Home, _dir.Path);
        Assert.Equal(0, await tmux.RunToPromptAsync("eval \"$(cfsession completion bash)\""));

        tmux.Type("cfsession sho");
        tmux.Press("Tab");
        await tmux.WaitForLineAsync(Regex.Escape(TmuxSession.Prompt) + "cfsession show");
        tmux.Type("--js");
        tmux.Press("Tab");
        await tmux.WaitForLineAsync(Regex.Escape(TmuxSession.Prompt) + "cfsession show --json");
        tmux.Type(id[..5]);
        tmux.Press("Tab");
        await tmux.WaitForLineAsync(Regex.Escape(TmuxSession.Prompt) + "cfsession show --json " + Regex.Escape(id), timeout: TimeSpan.FromSeconds(30));
        tmux.Press("C-u");

        // Nothing to offer (the command after 'run --'): bash falls back to file names.
        File.WriteAllText(Path.Combine(_dir.Path, "unique-file-name.txt"), "x");
        tmux.Type("cfsession run -- cat unique-fi");
        tmux.Press("Tab");
        await tmux.WaitForLineAsync(Regex.Escape(TmuxSession.Prompt) + "cfsession run -- cat unique-file-name\\.txt", timeout: TimeSpan.FromSeconds(30));
    }
}
