using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Cli.Performance;
using ContextForge.SessionLogging.Journal;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession bench [--iterations N] [--durability flush|fsync] [--json]</c>: the original plan's performance validation.
/// Times an in-process capture of one printed line with the provider off, on without a listener, on with an
/// EventListener and on with an EventPipe session on this process; logs <c>etw_performance_validation</c>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var iterations = new Option<int>("--iterations", "-i") { Description = "Measured captures per variant (default 1000; the seed used 50)", DefaultValueFactory = _ => 1000 };
        var durability = new Option<string>("--durability") { Description = "Journal durability of the measured captures: flush (default) or fsync", DefaultValueFactory = _ => "flush" };
        var noEventPipe = new Option<bool>("--no-eventpipe") { Description = "Skip the EventPipe variant" };
        var sessionOption = new Option<string?>("--session", "-s") { Description = "Log the achievement in this session (default: $CFSESSION_ID, else a new 'benchmark' session)" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };
        var command = new Command("bench", "Measure the capture overhead of the provider (off vs EventListener vs EventPipe) and log it as an achievement")
        {
            iterations, durability, noEventPipe, sessionOption, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int n = parse.GetValue(iterations);
            if (n < 1 || n > 10_000_000) throw new CliUsageException($"--iterations must be between 1 and 10000000, not {n}");
            var mode = parse.GetValue(durability) switch
            {
                "flush" => JournalDurability.Flush,
                "fsync" => JournalDurability.FsyncPerEvent,
                var other => throw new CliUsageException($"--durability must be flush or fsync, not '{other}'"),
            };
            var manager = context.CreateManager();
            if (manager.Data.CheckWritable() is { } problem)
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}");
            string? joinId = context.CurrentSession(manager, parse.GetValue(sessionOption));

            var listeners = new List<ProviderListenerVariant> { ProviderListenerVariant.EventListener };
            if (!parse.GetValue(noEventPipe)) listeners.Add(EventPipeSelfSession.Variant);
            var report = await new CaptureOverheadBenchmark(n, mode, listeners).RunAsync(cancellationToken).ConfigureAwait(false);

            using var session = joinId is null ? manager.Start("bench", "benchmark") : manager.Join(joinId);
            var achievement = session.LogAchievement(CaptureOverheadBenchmark.AchievementType,
                "ETW integration performance impact measured", report.Evidence());
            session.End();
            if (session.SinkStatistics.FirstOrDefault(s => s.Name == "journal") is { Dropped: > 0 } dropped)
                return context.Fail(ExitCodes.JournalUnavailable, $"achievement {achievement.AchievementId} was not journaled: {dropped.LastError}");

            if (parse.GetValue(json))
            {
                var doc = new JsonObject
                {
                    ["session_id"] = session.Id,
                    ["achievement_id"] = achievement.AchievementId,
                };
                foreach (var (key, value) in report.ToJson()) doc[key] = value?.DeepClone();
                context.WriteRaw(doc.ToJsonString(CliJson.Indented) + Environment.NewLine);
            }
            else
            {
                WriteTable(context, report, achievement.AchievementId, session.Id);
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    private static void WriteTable(CliContext context, CaptureOverheadReport report, string achievementId, string sessionId)
    {
        var table = new Table().AddColumns("variant", "mean ms", "median ms", "p95 ms", "p99 ms", "B/op", "Δ mean µs");
        foreach (var v in report.Variants)
        {
            double overheadUs = (v.MeanMs - report.Baseline.MeanMs) * 1000;
            table.AddRow(v.Variant, Ms(v.MeanMs), Ms(v.MedianMs), Ms(v.P95Ms), Ms(v.P99Ms),
                v.AllocatedBytesPerOperation.ToString("0", CultureInfo.InvariantCulture),
                v.Variant == CaptureOverheadBenchmark.BaselineVariant ? "-" : overheadUs.ToString("0.0", CultureInfo.InvariantCulture));
        }
        context.Output.Write(table);
        foreach (var (variant, reason) in report.Unavailable) context.Notice($"{variant} not measured: {reason}");
        double overheadMs = report.OverheadMs;
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{report.Iterations} captures per variant, journal {(report.Durability == JournalDurability.Flush ? "flush" : "fsync")} per event. " +
            $"Overhead ({report.Enhanced.Variant} vs providers off): {overheadMs * 1000:0.0} µs (seed threshold {CaptureOverheadBenchmark.SeedThresholdMs} ms, project target {CaptureOverheadBenchmark.ProjectTargetMs * 1000} µs)."));
        context.Output.WriteLine($"logged {achievementId} in session {sessionId}");
    }

    private static string Ms(double ms) => ms.ToString("0.0000", CultureInfo.InvariantCulture);
}
