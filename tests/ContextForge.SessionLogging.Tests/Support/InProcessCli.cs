using ContextForge.SessionLogging.Cli;
using Spectre.Console.Testing;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>Runs cfsession commands in-process with test consoles, as a person would see them.</summary>
public static class InProcessCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var output = new TestConsole();
        output.Profile.Width = 200;
        var error = new TestConsole();
        error.Profile.Width = 200;
        var env = new Dictionary<string, string?> { ["CFSESSION_HOME"] = dataDirectory };
        if (environment is not null) foreach (var (k, v) in environment) env[k] = v;
        int code = await CliApplication.RunAsync(args, new CliContext(output, error, env));
        return new Result(code, output.Output, error.Output);
    }

    /// <summary>Runs <c>start</c> (with <paramref name="extra"/> options) and returns the new session's id.</summary>
    public static async Task<string> StartAsync(string dataDirectory, params string[] extra)
    {
        var start = await RunAsync(dataDirectory, null, ["start", .. extra]);
        Assert.Equal(0, start.ExitCode);
        return start.Stdout.Trim()["export CFSESSION_ID=".Length..];
    }
}
