using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession history [filters] [--json] [--group-by correlation]</c>: events across every recorded session,
/// newest first, from the index (caught up with the journals first).
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext context)
    {
        var filters = new HistoryFilterOptions(defaultLimit: 50);
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (docs/cli.md describes the document)" };
        var groupBy = new Option<string?>("--group-by") { Description = "Group by session: 'correlation' gives the seed's grouped form" };
        groupBy.AcceptOnlyFromAmong("correlation");
        var rescan = new Option<bool>("--rescan") { Description = "Check every session's journal for changes, not only recent ones" };
        var format = OutputTemplate.Option("{time}\\t{command}\\t{exit}");
        var command = new Command("history", "Search recorded events across sessions: commands (exit code, duration, cwd), achievements, milestones; session start/end with -k session");
        filters.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(groupBy);
        command.Options.Add(rescan);
        command.Options.Add(format);
        var team = new TeamQueryOptions(filters.Host);
        team.AddTo(command);
        command.SetAction(parse =>
        {
            var filter = filters.Read(parse, DateTimeOffset.UtcNow);
            using var queries = team.Queries(context, parse, parse.GetValue(rescan));
            var history = queries.History(filter);
            if (parse.GetValue(groupBy) is not null)
            {
                var grouped = queries.GroupBySession(history);
                if (parse.GetValue(json))
                {
                    context.WriteRaw(grouped.ToJson() + Environment.NewLine);
                    return (int)ExitCodes.Success;
                }
                var groupTemplate = Listing().Template(parse.GetValue(format));
                foreach (var g in grouped.Sessions)
                {
                    // A pipe gets the same lines as the ungrouped listing, in group order: the session column says which.
                    if (context.Terminal && groupTemplate is null) context.Output.Write(new Rule($"[bold]{TerminalText.Markup(g.CorrelationId[..8])}[/] {TerminalText.Markup(g.SessionName)} [grey]{Format.Time(g.SessionStart)}[/]").LeftJustified());
                    Render(context, history.Events.Where(e => e.SessionId == g.CorrelationId).ToList(), groupTemplate);
                }
                return (int)ExitCodes.Success;
            }
            if (parse.GetValue(json))
            {
                context.WriteRaw(history.ToJson() + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            if (history.Count == 0)
            {
                context.Notice("no recorded events match");
                return (int)ExitCodes.Success;
            }
            Render(context, history.Events, Listing().Template(parse.GetValue(format)));
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The listing's columns (docs/cli.md). <c>command</c> (the command line of an operation), <c>operation</c> (its
    /// id) and <c>host</c> are for <c>--format</c> only.
    /// </summary>
    internal static OutputTable Listing() => new(
        new("time", NoWrap: true), new("session", NoWrap: true), new("event", NoWrap: true), new("what"), new("exit", Justify.Right),
        new("duration", Justify.Right, NoWrap: true), new("cwd"), new("command", Hidden: true), new("operation", Hidden: true), new("host", Hidden: true));

    internal static void Render(CliContext context, IReadOnlyList<EventDocument> events, OutputTemplate? template)
    {
        var table = Listing();
        foreach (var e in events)
        {
            string what = e.Event switch
            {
                SessionEventNames.AchievementLogged => $"{Str(e, JournalFields.AchievementType)}: {Str(e, JournalFields.Description)}",
                SessionEventNames.SessionStart => $"{Str(e, JournalFields.SessionName)} ({Str(e, JournalFields.SessionType)})",
                SessionEventNames.SessionEnd => $"{e.Fields[JournalFields.OperationCount]} ops, {e.Fields[JournalFields.AchievementCount]} achievements",
                Telemetry.UnifiedTelemetry.MilestoneReachedEventName => Str(e, JournalFields.MilestoneName) ?? "",
                _ => Str(e, JournalFields.OperationName) ?? "",
            };
            double? duration = e.Fields[JournalFields.DurationMs] is JsonValue dv && dv.TryGetValue(out double d) ? d : null;
            string exitMarkup = ExitMarkup(e);
            table.Add(Cell.Time(e.Timestamp), Cell.Id(e.SessionId), Cell.Text(Label(e)), Cell.Text(what), Cell.Markup(exitMarkup, Markup.Remove(exitMarkup)),
                Cell.Duration(duration), new Cell(TerminalText.Of(Str(e, JournalFields.Cwd)), Str(e, JournalFields.Cwd) ?? "-"), Cell.TextOrDash(Str(e, JournalFields.OperationName)),
                Cell.TextOrDash(e.OperationId), Cell.TextOrDash(e.Fields[JournalFields.Provenance]?["host"] is JsonValue h && h.TryGetValue(out string? host) ? host : null));
        }
        table.Write(context, template);
    }

    /// <summary>The exit column: green 0, red non-zero, red "failed" for an in-process capture that threw, "-" otherwise.</summary>
    internal static string ExitMarkup(EventDocument e)
    {
        // An operation without its capture: running ("…"), or interrupted with its exit code unknown ("?").
        if (e.Event == SessionEventNames.OperationStarted) return e.OperationStatus == "interrupted" ? "[yellow]?[/]" : "…";
        long? exit = e.Fields[JournalFields.ExitCode] is JsonValue xv && xv.TryGetValue(out long x) ? x : null;
        return e.Event == SessionEventNames.TerminalCaptureFailed ? "[red]failed[/]" : exit is null ? "-" : exit == 0 ? "[green]0[/]" : $"[red]{exit}[/]";
    }

    /// <summary>The event column: the short name, and for an operation without its capture "op interrupted" or "op running".</summary>
    internal static string Label(EventDocument e) => e.Event == SessionEventNames.OperationStarted ? "op " + e.OperationStatus : ShortName(e.Event);

    /// <summary>Short event labels keep the table readable in 80 columns.</summary>
    internal static string ShortName(string eventName) => eventName switch
    {
        SessionEventNames.SessionStart => "start",
        SessionEventNames.SessionEnd => "end",
        SessionEventNames.TerminalCapture => "op",
        SessionEventNames.TerminalCaptureFailed => "op failed",
        SessionEventNames.AchievementLogged => "achievement",
        Telemetry.UnifiedTelemetry.MilestoneReachedEventName => "milestone",
        _ => eventName,
    };

    private static string? Str(EventDocument e, string field) => e.Fields[field] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}

/// <summary>The filter options <c>history</c> and <c>search</c> share.</summary>
internal sealed class HistoryFilterOptions(int defaultLimit)
{
    private readonly Option<string?> _since = new("--since") { Description = "Only events newer than this: 30m, 2h, 2d, 1w" };
    private readonly Option<int?> _daysBack = new("--days-back") { Description = "Only events from the last N days" };
    private readonly Option<string?> _from = new("--from") { Description = "Only events at or after this time (ISO 8601; local time without an offset)" };
    private readonly Option<string?> _to = new("--to") { Description = "Only events at or before this time" };
    private readonly Option<string?> _keywords = new("--keywords", "-k") { Description = "Event kinds, comma-separated: terminal, achievement, milestone, session (default: terminal,achievement,milestone)" };
    private readonly Option<string?> _session = new("--session", "-s") { Description = "Session (correlation) id or prefix" };
    private readonly Option<string?> _name = new("--name", "-n") { Description = "Session name contains this text" };
    private readonly Option<string?> _type = new("--type", "-t") { Description = "Session type" };
    private readonly Option<string?> _command = new("--command", "-c") { Description = "Command line contains this text; ^text matches a prefix" };
    private readonly Option<string?> _cwd = new("--cwd") { Description = "Ran in this directory or below it" };
    private readonly Option<string?> _host = new("--host") { Description = "Recorded on this host" };
    private readonly Option<bool> _failed = new("--failed") { Description = "Only failed operations (non-zero exit or an exception)" };
    private readonly Option<long?> _exitCode = new("--exit-code") { Description = "Only operations with this exit code" };
    private readonly Option<string?> _achievementType = new("--achievement-type") { Description = "Only achievements of this type" };
    private readonly Option<int> _limit = new("--limit", "-l") { Description = $"At most this many results (default {defaultLimit}; 0: all)", DefaultValueFactory = _ => defaultLimit };

    /// <summary>The <c>--host</c> option (with --team it restricts the team store's answers too).</summary>
    public Option<string?> Host => _host;

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _since, _daysBack, _from, _to, _keywords, _session, _name, _type, _command, _cwd, _host, _failed, _exitCode, _achievementType, _limit })
            command.Options.Add(option);
    }

    public HistoryFilter Read(ParseResult parse, DateTimeOffset now) => new HistoryFilterInput
    {
        Since = parse.GetValue(_since),
        DaysBack = parse.GetValue(_daysBack),
        From = parse.GetValue(_from),
        To = parse.GetValue(_to),
        Keywords = parse.GetValue(_keywords),
        Session = parse.GetValue(_session),
        Name = parse.GetValue(_name),
        Type = parse.GetValue(_type),
        Command = parse.GetValue(_command),
        Cwd = parse.GetValue(_cwd),
        Host = parse.GetValue(_host),
        Failed = parse.GetValue(_failed),
        ExitCode = parse.GetValue(_exitCode),
        AchievementType = parse.GetValue(_achievementType),
        Limit = parse.GetValue(_limit),
    }.ToFilter(now, name => "--" + name.Replace('_', '-'));
}

/// <summary>
/// The history filters as a person or an agent gives them (text, before parsing): one reading for the command line
/// (<c>history</c>, <c>search</c>) and the MCP tools, so both mean the same by every filter.
/// </summary>
internal sealed record HistoryFilterInput
{
    public string? Since { get; init; }
    public int? DaysBack { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string? Keywords { get; init; }
    public string? Session { get; init; }
    public string? Name { get; init; }
    public string? Type { get; init; }
    public string? Command { get; init; }
    public string? Cwd { get; init; }
    public string? Host { get; init; }
    public bool Failed { get; init; }
    public long? ExitCode { get; init; }
    public string? AchievementType { get; init; }
    public int Limit { get; init; }
    public int Offset { get; init; }

    /// <summary>The filter; a bad value throws <see cref="CliUsageException"/> naming it as <paramref name="optionName"/> spells it (<c>since</c> → <c>--since</c>).</summary>
    public HistoryFilter ToFilter(DateTimeOffset now, Func<string, string> optionName)
    {
        DateTimeOffset? from = null;
        if (Since is { } since) from = now - Quantities.Duration(since, optionName("since"));
        if (DaysBack is { } days)
        {
            if (days < 0) throw new CliUsageException($"{optionName("days_back")} must be 0 or more");
            if (days > InputLimits.MaxDuration.TotalDays) throw new CliUsageException($"{optionName("days_back")} {days} is more than {InputLimits.MaxDuration.TotalDays:0} days (100 years)");
            from = Later(from, now - TimeSpan.FromDays(days));
        }
        if (From is { } f) from = Later(from, Quantities.Time(f, optionName("from")));
        DateTimeOffset? to = To is { } t ? Quantities.Time(t, optionName("to")) : null;
        if (Limit < 0) throw new CliUsageException($"{optionName("limit")} must be 0 or more");
        if (Offset < 0) throw new CliUsageException($"{optionName("offset")} must be 0 or more");
        // What people look for: commands, achievements, milestones. Session start/end lines only when asked (-k session).
        var keywords = SessionKeywords.Terminal | SessionKeywords.Achievement | SessionKeywords.Milestone;
        if (Keywords is { } list)
        {
            try { keywords = SessionKeywordsText.Parse(list); }
            catch (FormatException ex) { throw new CliUsageException($"{optionName("keywords")}: {ex.Message}"); }
        }
        // Operation-only criteria narrow the kinds to operations, achievement criteria to achievements.
        if ((Failed || ExitCode is not null || Command is not null) && Keywords is null) keywords = SessionKeywords.Terminal;
        if (AchievementType is not null && Keywords is null) keywords = SessionKeywords.Achievement;
        foreach (var (name, value) in new[] { ("session", Session), ("name", Name), ("type", Type), ("command", Command), ("cwd", Cwd), ("host", Host), ("achievement_type", AchievementType) })
            CliLimits.Text(value, InputLimits.MaxFilterTextChars, optionName(name));
        return new HistoryFilter
        {
            From = from,
            To = to,
            Keywords = keywords,
            Session = Session,
            Name = Name,
            Type = Type,
            Command = Command,
            Cwd = Cwd is { } cwd ? FullPath(cwd, optionName("cwd")) : null,
            Host = Host,
            Failed = Failed,
            ExitCode = ExitCode,
            AchievementType = AchievementType,
            Limit = Limit,
            Offset = Offset,
        };
    }

    // A NUL in --cwd made Path.GetFullPath throw ArgumentException: exit 70.
    private static string FullPath(string cwd, string option) =>
        cwd.Length > 0 && !cwd.Contains('\0', StringComparison.Ordinal) ? Path.GetFullPath(cwd) : throw new CliUsageException($"{option} {Quantities.Quote(cwd)} is not a directory path");

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}
