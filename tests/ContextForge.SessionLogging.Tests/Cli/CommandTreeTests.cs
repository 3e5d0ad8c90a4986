using System.CommandLine;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Cli;

/// <summary>
/// A command line that names a command builds only that command (issue 15: startup cost); everything else (help,
/// --version, a typo) builds the whole tree, and what the user sees is the same either way.
/// </summary>
public sealed class CommandTreeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "cf-tree-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static CliContext Context() => new(new TestConsole(), new TestConsole());

    [Fact]
    public void Every_command_name_builds_exactly_the_command_invoked_by_it()
    {
        var full = CliApplication.BuildRoot(Context(), new Option<bool>("--verbose"));

        Assert.Equal(full.Subcommands.Select(c => c.Name), CliApplication.CommandNames);
        foreach (string name in CliApplication.CommandNames)
        {
            var only = CliApplication.BuildRoot(Context(), new Option<bool>("--verbose"), CliApplication.InvokedCommand([name, "--help"]));
            Assert.Equal(name, Assert.Single(only.Subcommands).Name);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("--help")]
    [InlineData("--version")]
    [InlineData("histroy")]
    [InlineData("[diagram] history")]
    public void A_command_line_that_names_no_command_builds_the_whole_tree(string line) =>
        Assert.Null(CliApplication.InvokedCommand(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

    [Fact]
    public void A_command_built_alone_has_the_options_and_subcommands_it_has_in_the_whole_tree()
    {
        var full = CliApplication.BuildRoot(Context(), new Option<bool>("--verbose"));
        foreach (var command in full.Subcommands)
        {
            var alone = Assert.Single(CliApplication.BuildRoot(Context(), new Option<bool>("--verbose"), command.Name).Subcommands);
            Assert.Equal(command.Options.Select(o => o.Name), alone.Options.Select(o => o.Name));
            Assert.Equal(command.Subcommands.Select(c => c.Name), alone.Subcommands.Select(c => c.Name));
            Assert.Equal(command.Arguments.Select(a => a.Name), alone.Arguments.Select(a => a.Name));
        }
    }

    [Fact]
    public async Task A_subcommand_help_and_a_parse_error_read_the_same_as_with_the_whole_tree()
    {
        var help = await InProcessCli.RunAsync(_root, null, "history", "--help");
        var typo = await InProcessCli.RunAsync(_root, null, "histroy");
        var badOption = await InProcessCli.RunAsync(_root, null, "sessions", "--limit", "x");
        var unknownOption = await InProcessCli.RunAsync(_root, null, "history", "--bogus");

        Assert.Equal(0, help.ExitCode);
        Assert.Equal(64, typo.ExitCode);
        Assert.Equal("cfsession: unknown command 'histroy' (did you mean 'history'?) (see 'cfsession --help')", typo.Stderr.TrimEnd());
        Assert.Equal(64, unknownOption.ExitCode);
        Assert.Equal("cfsession: Unrecognized command or argument '--bogus'. (see 'cfsession --help')", unknownOption.Stderr.TrimEnd());
        Assert.Equal(64, badOption.ExitCode);
        Assert.Equal("cfsession: --limit expects a whole number, got 'x' (see 'cfsession --help')", badOption.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Show_output_followed_by_an_option_instead_of_an_operation_id_says_so_in_one_line_and_exits_64()
    {
        var run = await InProcessCli.RunAsync(_root, null, "show", "--output", "--raw");

        Assert.Equal(64, run.ExitCode);
        Assert.StartsWith("cfsession: --output expects an operation id, got '--raw' ('cfsession show' lists a session's operations)", run.Stderr.TrimEnd(), StringComparison.Ordinal);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));
        Assert.Empty(run.Stdout);
    }
}
