using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Unix;
using static ContextForge.SessionLogging.Tests.Capture.RunnerTestContext;

namespace ContextForge.SessionLogging.Tests.Capture;

public sealed class CommandRunnerFactoryTests
{
    [Theory]
    [InlineData(true, "0", false, true)]   // the flag beats the variable
    [InlineData(false, "1", true, false)]
    [InlineData(null, "1", false, true)]   // the variable beats the terminal test
    [InlineData(null, "0", true, false)]
    [InlineData(null, null, true, true)]   // automatic: pty when stdin and stdout are terminals
    [InlineData(null, null, false, false)]
    [InlineData(null, "yes", false, false)] // anything else is ignored
    public void Pty_is_chosen_by_flag_then_variable_then_terminals(bool? force, string? variable, bool terminals, bool expectedPty) =>
        Assert.Equal(expectedPty, CommandRunnerFactory.WantsPty(force, variable, () => terminals));

    [LinuxFact]
    public void Forced_choices_give_the_native_runners_on_linux()
    {
        Assert.IsType<PtyCommandRunner>(CommandRunnerFactory.Create(forcePty: true));
        Assert.IsType<PipeCommandRunner>(CommandRunnerFactory.Create(forcePty: false));
    }
}

/// <summary>The portable Process-based runner (the one Windows and macOS get), run here on Linux.</summary>
public sealed class ProcessCommandRunnerTests : IDisposable
{
    private readonly RunnerTestContext _ctx = new();

    public void Dispose() => _ctx.Dispose();

    [Fact]
    public async Task Exit_code_and_separate_streams_come_back()
    {
        var outcome = await new ProcessCommandRunner { Display = false }.RunAsync(
            Spec("sh", "-c", "printf out; printf err >&2; exit 3"), _ctx.Primary, _ctx.Stderr, CancellationToken.None);
        Assert.Equal(3, outcome.ExitCode);
        Assert.Equal("pipes", outcome.Mode);
        Assert.Equal("out", Text(_ctx.Primary));
        Assert.Equal("err", Text(_ctx.Stderr));
    }

    [Fact]
    public async Task Command_not_found_throws_with_exit_code_127()
    {
        var ex = await Assert.ThrowsAsync<CommandStartException>(() => new ProcessCommandRunner { Display = false }.RunAsync(
            Spec("cf-no-such-command-xyz"), _ctx.Primary, _ctx.Stderr, CancellationToken.None));
        Assert.Equal(127, ex.ExitCode);
        Assert.Contains("cf-no-such-command-xyz", ex.Message, StringComparison.Ordinal);
    }
}
