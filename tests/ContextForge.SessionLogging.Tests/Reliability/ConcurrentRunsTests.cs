using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Reliability;

/// <summary>
/// Guarantee 2 of docs/reliability.md: 8 real <c>cfsession run</c> processes at once, each running several commands
/// into the same data directory (half joining one shared session, some nested): every operation is recorded exactly
/// once, every journal line is whole, and the history index agrees with the journals.
/// </summary>
public sealed class ConcurrentRunsTests : IDisposable
{
    private const int Workers = 8, RunsPerWorker = 3;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Eight_concurrent_writers_record_every_operation_exactly_once_and_the_index_agrees()
    {
        var start = await CfSessionProcess.RunAsync(_dir.Path, ["start", "--name", "concurrent-shared"]);
        Assert.Equal(0, start.ExitCode);
        string shared = start.StdoutText.Trim()["export CFSESSION_ID=".Length..];

        var expected = new List<string>(); // operation names: the command line of each recorded run
        var workers = new List<Task>();
        for (int w = 0; w < Workers; w++)
        {
            int worker = w;
            var env = worker % 2 == 0 ? new Dictionary<string, string?> { ["CFSESSION_ID"] = shared } : null;
            for (int r = 0; r < RunsPerWorker; r++)
            {
                expected.Add($"echo mark-{worker}-{r}");
                if (r == 1 && worker < 4) expected.Add($"dotnet {CfSessionProcess.DllPath} run --no-pty -- echo mark-{worker}-{r}");
            }
            workers.Add(Task.Run(async () =>
            {
                for (int r = 0; r < RunsPerWorker; r++)
                {
                    string[] args = r == 1 && worker < 4
                        ? ["run", "--no-pty", "--", "dotnet", CfSessionProcess.DllPath, "run", "--no-pty", "--", "echo", $"mark-{worker}-{r}"]
                        : ["run", "--no-pty", "--", "echo", $"mark-{worker}-{r}"];
                    var run = await CfSessionProcess.RunAsync(_dir.Path, args, environment: env);
                    Assert.Equal(0, run.ExitCode);
                    Assert.Equal($"mark-{worker}-{r}\n", run.StdoutText);
                }
            }));
        }
        await Task.WhenAll(workers);

        // Every journal reads without a problem; every line is one whole event (no interleaving: a mixed line would
        // be a corrupt line or break the hash chain / sequence).
        var captures = new List<SessionEvent>();
        foreach (string id in JournalFiles.SessionIds(_dir.Path))
        {
            var read = JournalFiles.ReadSession(_dir.Path, id);
            Assert.Empty(read.Problems);
            foreach (string segment in Directory.EnumerateFiles(Path.Combine(_dir.Path, "sessions", id), "*.jsonl"))
            {
                Assert.All(File.ReadAllLines(segment), line => Assert.NotNull(JsonNode.Parse(line)));
            }
            captures.AddRange(read.Events.Where(e => e.Name == SessionEventNames.TerminalCapture));
        }
        var names = captures.Select(e => e.GetString(JournalFields.OperationName)).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        var sharedCaptures = JournalFiles.ReadSession(_dir.Path, shared).Events.Count(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal(Workers / 2 * RunsPerWorker + 2, sharedCaptures); // workers 0 and 2 nest once: both levels join

        // The index holds the same operations as the journals, each once.
        var history = await CfSessionProcess.RunAsync(_dir.Path, ["history", "--limit", "0", "--rescan", "--json"]);
        Assert.Equal(0, history.ExitCode);
        var indexed = JsonNode.Parse(history.Stdout)!["events"]!.AsArray()
            .Where(e => e!["event"]!.GetValue<string>() == SessionEventNames.TerminalCapture)
            .Select(e => e!["operation_id"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(captures.Select(e => e.GetString(JournalFields.OperationId)!).Order(StringComparer.Ordinal), indexed);

        var validate = await CfSessionProcess.RunAsync(_dir.Path, ["validate", "--all"]);
        Assert.True(validate.ExitCode == 0, validate.StdoutText + validate.Stderr);
    }
}
