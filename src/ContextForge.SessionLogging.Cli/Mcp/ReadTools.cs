using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Cli.Commands;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// The read tools: each opens the query API (<see cref="SessionQueries"/>, caught up with the journals) for the call,
/// asks it, and returns one bounded page of its document.
/// </summary>
internal sealed class ReadTools(CliContext context, SessionManager manager)
{
    private const string SinceDescription = "Only newer than this: a duration back from now, e.g. 30m, 2h, 2d, 1w";

    /// <summary>The history filters search_output and history share (what HistoryFilterInput reads), as schema properties.</summary>
    private const string FilterProperties = $$"""
        "since":{"type":"string","description":"{{SinceDescription}}"},
        "from":{"type":"string","description":"Only at or after this time (ISO 8601)"},
        "to":{"type":"string","description":"Only at or before this time (ISO 8601)"},
        "session":{"type":"string","description":"Session id or prefix"},
        "name":{"type":"string","description":"Session name contains this text"},
        "type":{"type":"string","description":"Session type"},
        "command":{"type":"string","description":"Command line contains this text; ^text matches a prefix"},
        "cwd":{"type":"string","description":"Ran in this directory or below"},
        "host":{"type":"string","description":"Recorded on this host"},
        "failed":{"type":"boolean","description":"Only failed operations"},
        "exit_code":{"type":"integer","description":"Only operations with this exit code"}
        """;

    private SessionQueries Open() => SessionQueries.Open(manager.Data);

    public IEnumerable<McpTool> Tools()
    {
        yield return new McpTool("list_sessions",
            "List recorded cfsession sessions (terminal/agent work sessions), newest first, with status, operation count, failures and last exit code. "
            + "Use it to find a session id for inspect_session or history. Returns compact JSON, one page at a time (next page arguments given when cut).",
            $$"""
            {"type":"object","properties":{
              "since":{"type":"string","description":"{{SinceDescription}}"},
              "name":{"type":"string","description":"Session name contains this text"},
              "type":{"type":"string","description":"Session type, exactly (e.g. command, interactive, claude-code, mcp)"},
              "host":{"type":"string","description":"Recorded on this host"},
              "failed":{"type":"boolean","description":"Only sessions with at least one failed operation"},
              "limit":{"type":"integer","minimum":1,"maximum":{{ResultBounds.MaxItems}},"default":20,"description":"Sessions per page"},
              "offset":{"type":"integer","minimum":0,"default":0,"description":"Sessions to skip (paging)"}
            },"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(ListSessions(a)));

        yield return new McpTool("inspect_session",
            "The inspection document of one session: what ran, what failed, achievements, milestones, and context from other sessions. "
            + "Without session_id: the current session (CFSESSION_ID), else the newest. Indented JSON, paged by lines (at most 200 lines / 16 KB per call).",
            """
            {"type":"object","properties":{
              "session_id":{"type":"string","description":"Session id or unique prefix"},
              "start_line":{"type":"integer","minimum":1,"default":1,"description":"First line of the document to return (paging)"}
            },"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(InspectSession(a)));

        yield return new McpTool("search_output",
            "Full-text search over the recorded output of every command in every session. All words must occur (literal terms, case-insensitive). "
            + "Each hit gives the operation (id, command, exit code, session id) and its matching lines with line numbers and context; "
            + "read more of an output with get_operation (start_line near the hit's line_number). Newest first, paged.",
            $$"""
            {"type":"object","properties":{
              "query":{"type":"string","description":"The words to find"},
              {{FilterProperties}},
              "context_lines":{"type":"integer","minimum":0,"maximum":10,"default":2,"description":"Lines of context around each matching line"},
              "max_matches":{"type":"integer","minimum":1,"maximum":20,"default":3,"description":"Matching lines per operation"},
              "limit":{"type":"integer","minimum":1,"maximum":{{ResultBounds.MaxItems}},"default":10,"description":"Operations per page"},
              "offset":{"type":"integer","minimum":0,"default":0,"description":"Operations to skip (paging)"}
            },"required":["query"],"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(SearchOutput(a)));

        yield return new McpTool("get_operation",
            "One recorded operation (a command): its metadata (command line, cwd, exit code, duration, session) and a page of its output by lines. "
            + "Output is plain text by default (ANSI escape sequences removed, control characters shown as symbols); raw=true returns the text as recorded, escape sequences included. "
            + "An exit_code of null means unknown (e.g. reported by an agent hook that did not say). At most 200 lines / 16 KB per call; a cut page gives the next start_line.",
            $$"""
            {"type":"object","properties":{
              "operation_id":{"type":"string","description":"Operation id or unique prefix (from history or search_output)"},
              "session_id":{"type":"string","description":"Session id or prefix (optional: operation ids are unique)"},
              "stream":{"type":"string","enum":["output","stderr"],"default":"output","description":"output (stdout, or the terminal stream) or stderr"},
              "start_line":{"type":"integer","minimum":1,"default":1,"description":"First line to return (1-based)"},
              "max_lines":{"type":"integer","minimum":1,"maximum":{{ResultBounds.MaxLines}},"default":{{ResultBounds.MaxLines}},"description":"Lines to return at most"},
              "raw":{"type":"boolean","default":false,"description":"Return the text as recorded, with ANSI escape sequences"}
            },"required":["operation_id"],"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(GetOperation(a)));

        yield return new McpTool("history",
            "Recorded events across sessions, newest first: commands (exit code, duration, cwd), achievements, milestones; session start/end with keywords=session. "
            + "Every filter of 'cfsession history'. group_by=correlation groups the matching events per session (the grouped form). Compact JSON, paged.",
            $$"""
            {"type":"object","properties":{
              {{FilterProperties}},
              "days_back":{"type":"integer","minimum":0,"description":"Only events from the last N days"},
              "keywords":{"type":"string","description":"Event kinds, comma-separated: terminal, achievement, milestone, session (default terminal,achievement,milestone)"},
              "achievement_type":{"type":"string","description":"Only achievements of this type"},
              "group_by":{"type":"string","enum":["correlation"],"description":"correlation: group per session"},
              "limit":{"type":"integer","minimum":1,"maximum":{{ResultBounds.MaxItems}},"default":20,"description":"Events per page"},
              "offset":{"type":"integer","minimum":0,"default":0,"description":"Events to skip (paging)"}
            },"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(History(a)));

        yield return new McpTool("validate_session",
            "Check a session's journal: hash chain, sequence, stored outputs and their hashes, contract fields. "
            + "Without session_id: every session. Returns the validation report (valid, errors, warnings, findings), paged by lines.",
            """
            {"type":"object","properties":{
              "session_id":{"type":"string","description":"Session id or unique prefix; omit to check every session"},
              "start_line":{"type":"integer","minimum":1,"default":1,"description":"First line of the report to return (paging)"}
            },"additionalProperties":false}
            """, (a, _) => ValueTask.FromResult(ValidateSession(a)));
    }

    private string ListSessions(ToolArguments a)
    {
        int limit = a.Integer("limit", 20, 1, ResultBounds.MaxItems);
        int offset = a.Integer("offset", 0, 0, int.MaxValue);
        var filter = new SessionFilter
        {
            Since = a.String("since") is { } since ? DateTimeOffset.UtcNow - Quantities.Duration(since, "since") : null,
            Name = a.Text("name", InputLimits.MaxFilterTextChars),
            Type = a.Text("type", InputLimits.MaxFilterTextChars),
            Host = a.Text("host", InputLimits.MaxFilterTextChars),
            Failed = a.Boolean("failed"),
            Limit = limit + 1,
            Offset = offset,
        };
        using var queries = Open();
        var sessions = queries.SessionsMatching(filter).Sessions;
        bool more = sessions.Count > limit;
        var (text, taken) = ResultBounds.Fit(sessions.Take(limit).ToList(), page => ResultBounds.ToCompact(SessionList(page)));
        more |= taken < Math.Min(limit, sessions.Count);
        return Paged(text, offset, taken, more, "list_sessions", a, "sessions");
    }

    private static string SessionList(IReadOnlyList<SessionListItem> items) => new SessionList(items).ToJson();

    private string InspectSession(ToolArguments a)
    {
        string id = context.ResolveSession(manager, a.String("session_id"));
        long start = a.Integer("start_line", 1, 1, int.MaxValue);
        using var queries = Open();
        string json = queries.Inspect(id).ToJson();
        return LinesOf(json, start, ResultBounds.MaxLines, "inspect_session", new JsonObject { ["session_id"] = id });
    }

    private string SearchOutput(ToolArguments a)
    {
        string text = a.RequiredText("query", InputLimits.MaxFilterTextChars);
        int limit = a.Integer("limit", 10, 1, ResultBounds.MaxItems);
        var filter = FilterInput(a) with { Limit = limit + 1 };
        using var queries = Open();
        var document = queries.Search(text, filter.ToFilter(DateTimeOffset.UtcNow, name => name),
            a.Integer("context_lines", 2, 0, 10), a.Integer("max_matches", 3, 1, 20));
        bool more = document.Results.Count > limit;
        var results = document.Results.Take(limit).ToList();
        var (json, taken) = ResultBounds.Fit(results, page => ResultBounds.ToCompact(new SearchDocument(document.Query, document.Terms, page).ToJson()));
        more |= taken < results.Count;
        return Paged(json, filter.Offset, taken, more, "search_output", a, "operations");
    }

    private string History(ToolArguments a)
    {
        int limit = a.Integer("limit", 20, 1, ResultBounds.MaxItems);
        var input = FilterInput(a) with { Limit = limit + 1, DaysBack = a.Integer("days_back") is { } d ? (int)Math.Clamp(d, int.MinValue, int.MaxValue) : null, Keywords = a.String("keywords"), AchievementType = a.Text("achievement_type", InputLimits.MaxFilterTextChars) };
        string? groupBy = a.String("group_by");
        if (groupBy is not null and not "correlation") throw a.Fail($"group_by must be 'correlation', not {ToolArguments.Quote(groupBy)}");
        using var queries = Open();
        var history = queries.History(input.ToFilter(DateTimeOffset.UtcNow, name => name));
        bool more = history.Events.Count > limit;
        var events = history.Events.Take(limit).ToList();
        var (json, taken) = ResultBounds.Fit(events, page => ResultBounds.ToCompact(groupBy is null
            ? new HistoryDocument(page).ToJson()
            : queries.GroupBySession(new HistoryDocument(page)).ToJson()));
        more |= taken < events.Count;
        return Paged(json, input.Offset, taken, more, "history", a, "events");
    }

    private string ValidateSession(ToolArguments a)
    {
        string? id = a.String("session_id") is { } s ? manager.ResolveSessionId(s) : null;
        long start = a.Integer("start_line", 1, 1, int.MaxValue);
        using var queries = Open();
        string json = queries.Validate(id).ToJson();
        return LinesOf(json, start, ResultBounds.MaxLines, "validate_session", id is null ? [] : new JsonObject { ["session_id"] = id });
    }

    private string GetOperation(ToolArguments a)
    {
        string operation = a.RequiredString("operation_id");
        if (operation.Length > 64) throw a.Fail($"{ToolArguments.Quote(operation)} is not an operation id");
        string stream = a.String("stream") ?? "output";
        if (stream is not ("output" or "stderr")) throw a.Fail($"stream must be 'output' or 'stderr', not {ToolArguments.Quote(stream)}");
        long start = a.Integer("start_line", 1, 1, int.MaxValue);
        int maxLines = a.Integer("max_lines", ResultBounds.MaxLines, 1, ResultBounds.MaxLines);
        bool raw = a.Boolean("raw");
        string? session = a.String("session_id") is { } s ? manager.ResolveSessionId(s) : null;
        using var queries = Open();
        var found = (session is null ? queries.FindOperationOutput(operation) : queries.FindOperationOutput(session, operation))
            ?? throw a.Fail($"no recorded operation {ToolArguments.Quote(operation)}{(session is null ? "" : " in session " + session)}; find ids with history or search_output");
        var output = found.Outputs.FirstOrDefault(o => o.Name == stream)
            ?? throw a.Fail($"operation {found.OperationId} has no {stream} recorded apart{(stream == "stderr" ? " (a pty run records one stream: use stream=output)" : "")}");
        var text = new StringBuilder();
        text.Append(OperationHeader(found)).Append('\n');
        OutputPage.Append(text, output, found.OperationId, start, maxLines, ResultBounds.MaxBytes - 2048, raw);
        return text.ToString();
    }

    /// <summary>The metadata keys of a capture line that the header shows, in this order.</summary>
    private static readonly string[] s_headerKeys =
    [
        "event", "timestamp", Events.JournalFields.OperationId, Events.JournalFields.OperationName, Events.JournalFields.Command, Events.JournalFields.Arguments,
        Events.JournalFields.Cwd, Events.JournalFields.ExitCode, Events.JournalFields.Signal, Events.JournalFields.DurationMs, Events.JournalFields.Error,
        Events.JournalFields.ErrorType, Events.JournalFields.OutputLength, Events.JournalFields.StderrLength,
    ];

    /// <summary>One line of metadata as compact JSON: the session and the capture's fields (no output text, no provenance).</summary>
    private static string OperationHeader(OperationOutput found)
    {
        var o = new JsonObject { ["session_id"] = found.SessionId };
        foreach (string key in s_headerKeys)
        {
            if (found.CaptureLine is { } line && line.TryGetPropertyValue(key, out var value)) o[key] = value?.DeepClone();
        }
        // An operation whose exit code nobody reported says so (null is "unknown", never 0).
        if (!o.ContainsKey(Events.JournalFields.ExitCode) || o[Events.JournalFields.ExitCode] is null) o[Events.JournalFields.ExitCode] = null;
        // Every stream recorded, with its size in bytes: the names get_operation's stream argument takes.
        var streams = new JsonObject();
        foreach (var output in found.Outputs) streams[output.Name] = output.Length ?? 0;
        o["streams"] = streams;
        return o.ToJsonString(ResultBounds.Compact);
    }

    /// <summary>A page of a text document's lines, with the arguments for the next page when cut.</summary>
    private static string LinesOf(string document, long start, int maxLines, string tool, JsonObject arguments)
    {
        using var reader = new StringReader(document);
        var page = LinePager.Read(reader, start, maxLines, ResultBounds.MaxBytes - 512, line => line);
        var text = new StringBuilder();
        foreach (string line in page.Lines) text.Append(line).Append('\n');
        if (page.More)
        {
            arguments["start_line"] = page.LastLine + 1;
            text.Append(CultureInfo.InvariantCulture, $"[cut: lines {page.FirstLine}-{page.LastLine} shown] ").Append(ResultBounds.NextPage(tool, arguments)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A page of a listing, with its range and the arguments for the next page when cut.</summary>
    private static string Paged(string json, int offset, int taken, bool more, string tool, ToolArguments a, string what)
    {
        if (!more) return json + "\n";
        var next = new JsonObject();
        foreach (var (key, value) in a.All()) next[key] = JsonNode.Parse(value.GetRawText());
        next["offset"] = offset + taken;
        return json + "\n" + $"[cut: {what} {offset + 1}-{offset + taken} shown, more match] " + ResultBounds.NextPage(tool, next) + "\n";
    }

    private static HistoryFilterInput FilterInput(ToolArguments a) => new()
    {
        Since = a.String("since"),
        From = a.String("from"),
        To = a.String("to"),
        Session = a.String("session"),
        Name = a.String("name"),
        Type = a.String("type"),
        Command = a.String("command"),
        Cwd = a.String("cwd"),
        Host = a.String("host"),
        Failed = a.Boolean("failed"),
        ExitCode = a.Integer("exit_code"),
        Offset = a.Integer("offset", 0, 0, int.MaxValue),
    };
}
