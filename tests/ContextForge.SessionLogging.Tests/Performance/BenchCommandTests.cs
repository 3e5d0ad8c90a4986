using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Cli.Performance;
using ContextForge.SessionLogging.Tests.Support;
using ContextForge.SessionLogging.Tests.Telemetry;

namespace ContextForge.SessionLogging.Tests.Performance;

/// <summary>
/// <c>cfsession bench</c> in-process with a small iteration count: the report's shape and the journaled achievement.
/// No timing is asserted (speed belongs in benchmarks/). It enables the provider (EventListener, EventPipe) and
/// redirects System.Console, so it runs in the provider's serial collection.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class BenchCommandTests : IDisposable
{
    private static readonly string[] EvidenceKeys =
        ["baseline_mean_ms", "etw_enhanced_mean_ms", "etw_overhead_ms", "constitutional_compliance", "performance_threshold_ms"];

    private static readonly string[] StatisticKeys =
        ["variant", "iterations", "mean_ms", "mean_time_ms", "median_ms", "p95_ms", "p99_ms", "min_ms", "max_ms", "allocated_bytes_per_op"];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Bench_json_reports_every_variant_with_statistics_and_logs_the_seed_achievement_with_all_evidence_keys()
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, "bench", "--iterations", "5", "--json");

        Assert.Equal("", result.Stderr);
        Assert.Equal(0, result.ExitCode);
        var doc = JsonNode.Parse(result.Stdout)!.AsObject();
        Assert.Equal("etw_performance_validation", doc["benchmark"]!.GetValue<string>());
        Assert.Equal(5, doc["iterations"]!.GetValue<int>());
        Assert.Equal("flush", doc["durability"]!.GetValue<string>());
        var variants = doc["variants"]!.AsArray().Select(v => v!.AsObject()).ToList();
        Assert.Equal(["providers_off", "provider_no_listener", "event_listener", "eventpipe"], variants.Select(v => v["variant"]!.GetValue<string>()));
        foreach (var v in variants)
        {
            Assert.Equal(StatisticKeys, v.Select(p => p.Key));
            Assert.Equal(5, v["iterations"]!.GetValue<int>());
            double median = v["median_ms"]!.GetValue<double>();
            Assert.True(v["min_ms"]!.GetValue<double>() <= median && median <= v["p95_ms"]!.GetValue<double>());
            Assert.True(v["p95_ms"]!.GetValue<double>() <= v["p99_ms"]!.GetValue<double>() && v["p99_ms"]!.GetValue<double>() <= v["max_ms"]!.GetValue<double>());
            Assert.True(v["allocated_bytes_per_op"]!.GetValue<double>() > 0);
        }
        Assert.Equal(["provider_no_listener", "event_listener", "eventpipe"], doc["overhead"]!.AsArray().Select(o => o!["variant"]!.GetValue<string>()));
        Assert.Empty(doc["unavailable"]!.AsArray());
        Assert.Equal(Environment.ProcessorCount, doc["machine"]!["processor_count"]!.GetValue<int>());

        // The achievement is journaled in a new 'benchmark' session, with the seed's evidence keys and values equal to the report's.
        string sessionId = doc["session_id"]!.GetValue<string>();
        var events = JournalFiles.ReadSession(_dir.Path, sessionId).Events;
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.AchievementLogged, SessionEventNames.SessionEnd], events.Select(e => e.Name));
        Assert.Equal("benchmark", events[0].GetString(JournalFields.SessionType));
        var achievement = events[1];
        Assert.Equal(doc["achievement_id"]!.GetValue<string>(), achievement.GetString(JournalFields.AchievementId));
        Assert.Equal("etw_performance_validation", achievement.GetString(JournalFields.AchievementType));
        var evidence = achievement.Fields[JournalFields.Evidence]!.AsObject();
        foreach (string key in EvidenceKeys) Assert.True(evidence.ContainsKey(key), $"evidence lacks {key}");
        Assert.Equal(10, evidence["performance_threshold_ms"]!.GetValue<double>());
        Assert.Equal("eventpipe", evidence["etw_enhanced_variant"]!.GetValue<string>());
        foreach (string key in EvidenceKeys) Assert.Equal(doc["evidence"]![key]!.ToJsonString(), evidence[key]!.ToJsonString());
        double baseline = evidence["baseline_mean_ms"]!.GetValue<double>();
        double enhanced = evidence["etw_enhanced_mean_ms"]!.GetValue<double>();
        Assert.Equal(Math.Round(enhanced - baseline, 6), evidence["etw_overhead_ms"]!.GetValue<double>(), 5);
        Assert.Equal(evidence["etw_overhead_ms"]!.GetValue<double>() < 10, evidence["constitutional_compliance"]!.GetValue<bool>());
        Assert.Equal(variants[0]["mean_ms"]!.GetValue<double>(), baseline);
    }

    [Fact]
    public async Task Bench_json_has_the_seeds_result_keys_baseline_etw_enhanced_and_overhead_analysis()
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, "bench", "--iterations", "3", "--no-eventpipe", "--json");

        Assert.Equal(0, result.ExitCode);
        var doc = JsonNode.Parse(result.Stdout)!.AsObject();
        var evidence = doc["evidence"]!;
        Assert.Equal("providers_off", doc["baseline"]!["variant"]!.GetValue<string>());
        Assert.Equal("event_listener", doc["etw_enhanced"]!["variant"]!.GetValue<string>());
        Assert.Equal(evidence["baseline_mean_ms"]!.GetValue<double>(), doc["baseline"]!["mean_time_ms"]!.GetValue<double>());
        Assert.Equal(evidence["etw_enhanced_mean_ms"]!.GetValue<double>(), doc["etw_enhanced"]!["mean_time_ms"]!.GetValue<double>());
        var analysis = doc["overhead_analysis"]!;
        Assert.Equal(evidence["etw_overhead_ms"]!.GetValue<double>(), analysis["overhead_ms"]!.GetValue<double>());
        Assert.Equal(evidence["constitutional_compliance"]!.GetValue<bool>(), analysis["meets_constitutional_requirement"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Bench_logs_into_the_current_session_when_CFSESSION_ID_is_set_and_leaves_no_scratch_sessions()
    {
        var start = await InProcessCli.RunAsync(_dir.Path, null, "start");
        string id = start.Stdout.Trim()["export CFSESSION_ID=".Length..];

        var result = await InProcessCli.RunAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = id }, "bench", "-i", "3", "--no-eventpipe");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("event_listener", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("eventpipe", result.Stdout, StringComparison.Ordinal);
        Assert.Matches($"logged ACH-{id[..8]}-001 in session {id}", result.Stdout);
        Assert.Equal([id], JournalFiles.SessionIds(_dir.Path));
        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.AchievementLogged], events.Select(e => e.Name));
        Assert.Equal("event_listener", events[1].Fields[JournalFields.Evidence]!["etw_enhanced_variant"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(new[] { "bench", "--iterations", "0" }, "cfsession: --iterations must be between 1 and 10000000, not 0\n")]
    [InlineData(new[] { "bench", "--durability", "never" }, "cfsession: --durability must be flush or fsync, not 'never'\n")]
    public async Task Bench_rejects_bad_options_with_exit_64_and_one_line(string[] args, string stderr)
    {
        var result = await InProcessCli.RunAsync(_dir.Path, null, args);

        Assert.Equal(64, result.ExitCode);
        Assert.Equal(stderr, result.Stderr);
        Assert.Empty(JournalFiles.SessionIds(_dir.Path));
    }

    [Fact]
    public void Percentiles_use_the_nearest_rank()
    {
        double[] sorted = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

        var stats = TimingStatistics.From("x", sorted.Reverse().ToArray(), allocatedBytes: 1000);

        Assert.Equal(50.5, stats.MeanMs);
        Assert.Equal(50, stats.MedianMs);
        Assert.Equal(95, stats.P95Ms);
        Assert.Equal(99, stats.P99Ms);
        Assert.Equal(10, stats.AllocatedBytesPerOperation);
        Assert.Equal(7, TimingStatistics.Percentile([7], 99));
    }
}
