using Xunit.Abstractions;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// The seed of a randomised test: <c>CFSESSION_TEST_SEED</c> when set (to replay a failure), else a new one. Either
/// way it is written to the test's output, so a failing run says how to replay it.
/// </summary>
internal static class TestSeed
{
    public const string Variable = "CFSESSION_TEST_SEED";

    public static int Next(ITestOutputHelper output)
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable(Variable), System.Globalization.CultureInfo.InvariantCulture, out int given)
            ? given
            : Random.Shared.Next();
        output.WriteLine($"random seed {seed} (replay with {Variable}={seed})");
        return seed;
    }
}
