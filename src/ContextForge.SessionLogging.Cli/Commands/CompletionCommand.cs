using System.CommandLine;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession completion bash|zsh|fish|pwsh</c>: prints the shell's completion script. Each script asks the hidden
/// <c>cfsession __complete</c> for candidates (commands, options, recent session ids), so completion always matches
/// the installed binary.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh, fish or pwsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish", "pwsh");
        var command = new Command("completion", "Print the shell completion script: eval \"$(cfsession completion bash)\" in ~/.bashrc (see docs/cli.md for zsh, fish, pwsh)") { shell };
        command.SetAction(parse =>
        {
            context.WriteRaw(Script(parse.GetValue(shell)!));
            return (int)ExitCodes.Success;
        });
        return command;
    }

    internal static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        "pwsh" => Pwsh,
        _ => throw new CliUsageException($"no completion script for '{shell}': use bash, zsh, fish or pwsh"),
    };

    // The words up to the cursor go to '__complete'; no candidates means the shell's own file completion.
    private const string Bash = """
        # cfsession completion for bash. Load it with: eval "$(cfsession completion bash)"  (e.g. in ~/.bashrc),
        # or save it as ~/.local/share/bash-completion/completions/cfsession
        _cfsession_complete() {
          local IFS=$'\n'
          local -a candidates
          candidates=($(command cfsession __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
          if [ ${#candidates[@]} -eq 0 ]; then
            COMPREPLY=()
            compopt -o default 2>/dev/null
            return 0
          fi
          COMPREPLY=("${candidates[@]}")
        }
        complete -F _cfsession_complete cfsession

        """;

    private const string Zsh = """
        #compdef cfsession
        # cfsession completion for zsh. Load it with: eval "$(cfsession completion zsh)"  (after compinit, e.g. in
        # ~/.zshrc), or save it as _cfsession in a directory of $fpath
        _cfsession() {
          local -a lines candidates
          local line
          lines=("${(@f)$(command cfsession __complete --descriptions -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
          for line in "${lines[@]}"; do
            [[ -z "$line" ]] && continue
            candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
          done
          if (( ${#candidates} )); then
            _describe -t cfsession 'cfsession' candidates
          else
            _files
          fi
        }
        if (( $+functions[compdef] )); then compdef _cfsession cfsession; fi

        """;

    private const string Fish = """
        # cfsession completion for fish. Load it with: cfsession completion fish | source
        # or save it as ~/.config/fish/completions/cfsession.fish
        function __cfsession_complete
            set -l words (commandline -opc)[2..-1] (commandline -ct)
            command cfsession __complete --descriptions -- $words 2>/dev/null
        end
        complete -c cfsession -f -a '(__cfsession_complete)'

        """;

    private const string Pwsh = """
        # cfsession completion for PowerShell. Load it with: cfsession completion pwsh | Out-String | Invoke-Expression
        # (e.g. in $PROFILE)
        Register-ArgumentCompleter -Native -CommandName cfsession -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $words = @($commandAst.CommandElements | Select-Object -Skip 1 |
                Where-Object { $_.Extent.EndOffset -le $cursorPosition } | ForEach-Object { $_.ToString() })
            if ($wordToComplete -eq '') { $words += '' }
            & cfsession __complete --descriptions -- @words 2>$null | ForEach-Object {
                $candidate, $description = $_ -split "`t", 2
                if (-not $description) { $description = $candidate }
                [System.Management.Automation.CompletionResult]::new($candidate, $candidate, 'ParameterValue', $description)
            }
        }

        """;
}
