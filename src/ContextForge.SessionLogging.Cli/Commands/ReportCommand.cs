using System.CommandLine;
using System.Globalization;
using System.Text;
using ContextForge.SessionLogging.Cli.Report;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession report [SESSION | --since AGE | --all] -o FILE</c>: writes one self-contained HTML page (no network
/// request) with the sessions' timelines, achievements and milestones, and every operation's output rendered from
/// ANSI (docs/report.md).
/// </summary>
internal static class ReportCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string?>("session") { Description = "Session id or unique prefix (default: $CFSESSION_ID, else the newest session)", Arity = ArgumentArity.ZeroOrOne };
        var since = new Option<string?>("--since") { Description = "Every session started in this window: 30m, 2h, 1d, 1w" };
        var all = new Option<bool>("--all") { Description = "Every recorded session (outputs within the report's size budget)" };
        var file = new Option<string>("--output", "-o") { Description = "The HTML file to write", Required = true };
        var command = new Command("report", "Write one self-contained HTML report of a session (or several): timeline, achievements, rendered outputs") { session, since, all, file };
        command.SetAction(parse =>
        {
            string? argument = parse.GetValue(session);
            string? window = parse.GetValue(since);
            bool every = parse.GetValue(all);
            if ((argument is not null ? 1 : 0) + (window is not null ? 1 : 0) + (every ? 1 : 0) > 1)
                throw new CliUsageException("give one of SESSION, --since and --all");
            string path = parse.GetValue(file)!;
            if (path.Length == 0) throw new CliUsageException("--output needs a file name");
            var manager = context.CreateManager();
            var now = DateTimeOffset.UtcNow;
            using var queries = SessionQueries.Open(manager.Data);
            IReadOnlyList<string> ids;
            string selection;
            if (every || window is not null)
            {
                DateTimeOffset? from = window is not null ? now - Quantities.Duration(window, "--since") : null;
                ids = queries.Sessions(limit: 0).Sessions
                    .Where(s => from is null || (s.StartTime is { } t && DateTimeOffset.Parse(t, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) >= from))
                    .Reverse().Select(s => s.SessionId).ToList();
                selection = every ? "all sessions" : $"sessions started in the last {window}";
                if (ids.Count == 0)
                    return context.Fail(ExitCodes.NoSession, every ? $"no sessions recorded in {manager.Data.Root} yet" : $"no session started in the last {window}");
            }
            else
            {
                ids = [context.ResolveSession(manager, argument)];
                selection = "session " + ids[0][..8];
            }
            var report = new SessionReportBuilder(queries, new TimingFileSource(), ReportLimits.Default).Build(ids, selection, now);
            string html = ReportHtmlWriter.Write(report);
            try
            {
                WriteAtomically(Path.GetFullPath(path), html);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write the report to {path}: {ex.Message}");
            }
            int operations = report.Sessions.Sum(s => s.Operations.Count);
            context.Notice(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {report.Sessions.Count} session(s), {operations} operation(s){(report.OperationsWithOutputLeftOut > 0 ? $", the output of {report.OperationsWithOutputLeftOut} left out (output budget {Format.Bytes(report.Limits.OutputBudgetBytes)} spent)" : "")}"));
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Writes beside the target, then renames: a failed write never leaves half a report.</summary>
    private static void WriteAtomically(string path, string html)
    {
        string temp = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllText(temp, html, new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
