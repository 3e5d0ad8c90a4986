using System.CommandLine;
using System.Globalization;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Tracing;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession trace query --days-back N [--keywords session,terminal,achievement] [--dir D] [--json]</c>: the original plan's
/// get_historical_sessions_via_etw over a folder of recorded traces, grouped by correlation id.
/// </summary>
internal static class TraceQueryCommand
{
    public static Command Create(CliContext context)
    {
        var days = new Option<int>("--days-back") { Description = "Look at events of the last N days", DefaultValueFactory = _ => 7 };
        var keywords = new Option<string>("--keywords", "-k") { Description = "Keywords to include: session,terminal,achievement,milestone or a mask such as 0x7", DefaultValueFactory = _ => "session,terminal,achievement" };
        var dir = new Option<string?>("--dir") { Description = "The folder of traces (default: <data>/traces)" };
        var json = new Option<bool>("--json") { Description = "Print an array of {correlation_id, session_start, terminal_captures, achievements, traces}" };
        var command = new Command("query", "Sessions found in recorded traces, grouped by correlation id") { days, keywords, dir, json };
        command.SetAction(parse =>
        {
            int daysBack = parse.GetValue(days);
            if (daysBack < 0) throw new CliUsageException("--days-back must be 0 or more");
            if (daysBack > InputLimits.MaxDuration.TotalDays) throw new CliUsageException($"--days-back {daysBack} is more than {InputLimits.MaxDuration.TotalDays:0} days (100 years)");
            SessionKeywords mask;
            try
            {
                mask = TraceQuery.ParseKeywords(parse.GetValue(keywords)!);
            }
            catch (FormatException ex)
            {
                throw new CliUsageException($"--keywords: {ex.Message}");
            }
            string folder = parse.GetValue(dir) is { Length: > 0 } d ? Path.GetFullPath(d) : TraceJson.DefaultTraceDirectory(context);
            var result = TraceQuery.Run(folder, DateTimeOffset.UtcNow.AddDays(-daysBack), mask);
            foreach (string problem in result.Problems) context.Notice($"skipped: {problem}");
            if (parse.GetValue(json))
            {
                context.WriteRaw(TracedSession.ToJson(result.Sessions) + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            if (result.Sessions.Count == 0)
            {
                context.Notice($"no sessions in {result.TracesRead} trace(s) in {folder} from the last {daysBack} day(s)");
                return (int)ExitCodes.Success;
            }
            var table = new OutputTable(new("session"), new("started", NoWrap: true), new("name"), new("captures", Justify.Right), new("achievements", Justify.Right), new("traces"));
            foreach (var s in result.Sessions)
            {
                table.Add(Cell.Id(s.CorrelationId), Cell.Time(s.SessionStart), Cell.Text(s.SessionName ?? "-"), Cell.Number(s.TerminalCaptures.Count),
                    Cell.Number(s.Achievements.Count), Cell.Text(string.Join(", ", s.Traces)));
            }
            table.Write(context);
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
