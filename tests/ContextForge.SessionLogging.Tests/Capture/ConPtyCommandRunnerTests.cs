using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Capture.Windows;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>A fact that runs only on Windows 10 1809+ (ConPTY); reported as skipped elsewhere.</summary>
internal sealed class WindowsConPtyFactAttribute : FactAttribute
{
    public WindowsConPtyFactAttribute()
    {
        if (!OperatingSystem.IsWindowsVersionAtLeast(10, 0, 17763)) Skip = "ConPTY exists only on Windows 10 1809 and later.";
    }
}

public sealed class ConPtyCommandRunnerTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("two words", "\"two words\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData("C:\\path with space\\", "\"C:\\path with space\\\\\"")]
    [InlineData("", "\"\"")]
    public void Windows_arguments_are_quoted_so_the_child_receives_them_unchanged(string argument, string expected)
    {
        Assert.Equal(expected, WindowsCommandLine.Quote(argument));
    }

    [WindowsConPtyFact]
    public async Task ConPty_child_output_and_exit_code_are_captured()
    {
        if (!OperatingSystem.IsWindowsVersionAtLeast(10, 0, 17763)) return;
        using var dir = new TempDirectory();
        using var output = new CapturedOutput("pty", dir.Path);
        using var stderr = new CapturedOutput("stderr", dir.Path);
        var spec = new CommandSpec("cmd.exe", ["/c", "echo conpty-works & exit 3"], dir.Path, new Dictionary<string, string?>());

        var outcome = await new ConPtyCommandRunner().RunAsync(spec, output, stderr, CancellationToken.None);

        Assert.Equal(3, outcome.ExitCode);
        Assert.Equal("pty", outcome.Mode);
        Assert.Contains("conpty-works", output.Sample(4096));
    }
}
