using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Tests.Support;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace ContextForge.SessionLogging.Tests.Mcp;

/// <summary><c>cfsession mcp</c> driven by the SDK's MCP client over stdio, on a history recorded by the real executable.</summary>
public sealed class McpServerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private string _session = "";

    // Output that tries every trick: colour, OSC 52 (clipboard), a title change, an 8-bit CSI, a bidi override, BEL.
    private const string HostileScript = "printf 'safe \\033[31mred\\033[0m\\n\\033]52;c;aGk=\\007clip\\n\\033]0;title\\007\\n\\302\\2332Jcsi8\\n\\342\\200\\256evil\\n'";

    public async Task InitializeAsync()
    {
        _session = await InProcessCli.StartAsync(_dir.Path, "--name", "mcp-fixture");
        var env = new Dictionary<string, string?> { ["CFSESSION_ID"] = _session };
        Assert.Equal(3, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "sh", "-c", "printf 'alpha\\nbeta needle\\ngamma\\n'; echo warn >&2; exit 3"], environment: env)).ExitCode);
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "seq", "1", "500"], environment: env)).ExitCode);
        Assert.Equal(0, (await CfSessionProcess.RunAsync(_dir.Path, ["run", "--no-pty", "--", "sh", "-c", HostileScript], environment: env)).ExitCode);
        Assert.Equal(0, (await InProcessCli.RunAsync(_dir.Path, env, "achievement", "tests_passed", "all green", "-e", "tests:=42")).ExitCode);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private static readonly string[] s_tools = ["list_sessions", "inspect_session", "search_output", "get_operation", "history", "validate_session", "log_achievement", "record_milestone", "run_command"];

    [Fact]
    public async Task Tools_list_gives_every_tool_with_an_object_schema_naming_its_arguments()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);

        var tools = await client.ListToolsAsync();

        Assert.Equal(s_tools.Order(), tools.Select(t => t.Name).Order());
        var required = new Dictionary<string, string[]>
        {
            ["list_sessions"] = [], ["inspect_session"] = [], ["search_output"] = ["query"], ["get_operation"] = ["operation_id"], ["history"] = [],
            ["validate_session"] = [], ["log_achievement"] = ["achievement_type", "description"], ["record_milestone"] = ["name"], ["run_command"] = ["command"],
        };
        foreach (var tool in tools)
        {
            var schema = tool.ProtocolTool.InputSchema;
            Assert.Equal("object", schema.GetProperty("type").GetString());
            Assert.False(schema.GetProperty("additionalProperties").GetBoolean());
            var properties = schema.GetProperty("properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
            Assert.All(properties.Values, p => Assert.False(string.IsNullOrEmpty(p.GetProperty("description").GetString())));
            var names = schema.TryGetProperty("required", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            Assert.Equal(required[tool.Name], names);
            Assert.All(names, n => Assert.Contains(n, properties.Keys));
            Assert.False(string.IsNullOrWhiteSpace(tool.Description));
        }
        Assert.Equal("integer", tools.Single(t => t.Name == "get_operation").ProtocolTool.InputSchema.GetProperty("properties").GetProperty("max_lines").GetProperty("type").GetString());
        Assert.Equal(200, tools.Single(t => t.Name == "get_operation").ProtocolTool.InputSchema.GetProperty("properties").GetProperty("max_lines").GetProperty("maximum").GetInt32());
        Assert.Contains(["session_id"], tools.Where(t => t.Name is "log_achievement" or "record_milestone" or "run_command").Select(t => t.ProtocolTool.InputSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Intersect(["session_id"]).ToArray()));
        Assert.StartsWith("DISABLED", tools.Single(t => t.Name == "run_command").Description);
        Assert.True(tools.Single(t => t.Name == "search_output").ProtocolTool.Annotations!.ReadOnlyHint);
        Assert.False(tools.Single(t => t.Name == "log_achievement").ProtocolTool.Annotations!.ReadOnlyHint);
    }

    [Fact]
    public async Task Read_tools_answer_from_the_recorded_history()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);

        var (sessions, sessionsError) = await client.CallAsync("list_sessions");
        Assert.False(sessionsError, sessions);
        var list = JsonNode.Parse(sessions)!.AsArray();
        var item = Assert.Single(list);
        Assert.Equal(_session, item!["session_id"]!.GetValue<string>());
        Assert.Equal(3, item["operation_count"]!.GetValue<long>());
        Assert.Empty(JsonNode.Parse((await client.CallAsync("list_sessions", new() { ["name"] = "no-such-name" })).Text)!.AsArray());
        Assert.Single(JsonNode.Parse((await client.CallAsync("list_sessions", new() { ["failed"] = true, ["since"] = "1h" })).Text)!.AsArray());

        var (search, searchError) = await client.CallAsync("search_output", new() { ["query"] = "needle" });
        Assert.False(searchError, search);
        var hit = Assert.Single(JsonNode.Parse(search)!["results"]!.AsArray())!;
        Assert.Equal(3, hit["exit_code"]!.GetValue<long>());
        Assert.Equal(_session, hit["session_id"]!.GetValue<string>());
        var match = Assert.Single(hit["matches"]!.AsArray())!;
        Assert.Equal(2, match["line_number"]!.GetValue<long>());
        Assert.Equal("beta needle", match["text"]!.GetValue<string>());
        Assert.Equal(["alpha"], match["before"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Null(hit["provenance"]);
        string operation = hit["operation_id"]!.GetValue<string>();

        var (output, outputError) = await client.CallAsync("get_operation", new() { ["operation_id"] = operation[..8] });
        Assert.False(outputError, output);
        string[] lines = output.Split('\n');
        var header = JsonNode.Parse(lines[0])!;
        Assert.Equal(operation, header["operation_id"]!.GetValue<string>());
        Assert.Equal(3, header["exit_code"]!.GetValue<long>());
        Assert.Equal("{\"output\":24,\"stderr\":5}", header["streams"]!.ToJsonString());
        Assert.Equal("output (plain text; 24 bytes): lines 1-3 of 3", lines[1]);
        Assert.Equal(["alpha", "beta needle", "gamma", ""], lines[2..]);
        var (stderr, _) = await client.CallAsync("get_operation", new() { ["operation_id"] = operation, ["stream"] = "stderr" });
        Assert.Equal("warn", stderr.Split('\n')[2]);

        var (history, historyError) = await client.CallAsync("history", new() { ["failed"] = true });
        Assert.False(historyError, history);
        var events = JsonNode.Parse(history)!["events"]!.AsArray();
        Assert.Equal(operation, Assert.Single(events)!["operation_id"]!.GetValue<string>());
        var (grouped, _) = await client.CallAsync("history", new() { ["group_by"] = "correlation" });
        var group = Assert.Single(JsonNode.Parse(grouped)!["sessions"]!.AsArray())!;
        Assert.Equal(_session, group["correlation_id"]!.GetValue<string>());
        Assert.Equal(3, group["terminal_captures"]!.AsArray().Count);
        Assert.Equal("tests_passed", Assert.Single(group["achievements"]!.AsArray())!["achievement_type"]!.GetValue<string>());

        var (inspect, inspectError) = await client.CallAsync("inspect_session", new() { ["session_id"] = _session[..8] });
        Assert.False(inspectError, inspect);
        Assert.StartsWith("{", inspect);
        Assert.Contains($"\"session_id\": \"{_session}\"", inspect);

        var (validate, validateError) = await client.CallAsync("validate_session", new() { ["session_id"] = _session });
        Assert.False(validateError, validate);
        Assert.True(JsonNode.Parse(validate)!["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Get_operation_pages_by_lines_and_each_cut_page_gives_the_next_pages_arguments()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);
        string operation = JsonNode.Parse((await client.CallAsync("history", new() { ["command"] = "seq" })).Text)!["events"]![0]!["operation_id"]!.GetValue<string>();

        var seen = new List<string>();
        var arguments = new Dictionary<string, object?> { ["operation_id"] = operation };
        int pages = 0;
        while (true)
        {
            var (text, isError) = await client.CallAsync("get_operation", arguments);
            Assert.False(isError, text);
            pages++;
            string[] lines = text.TrimEnd('\n').Split('\n');
            string last = lines[^1];
            if (!last.Contains("next page: call get_operation with ", StringComparison.Ordinal))
            {
                seen.AddRange(lines[2..]);
                Assert.EndsWith(" of 500", lines[1]);
                break;
            }
            seen.AddRange(lines[2..^1]);
            var next = JsonNode.Parse(last[(last.IndexOf('{', StringComparison.Ordinal))..])!.AsObject();
            arguments = next.ToDictionary(p => p.Key, p => (object?)JsonSerializer.Deserialize<JsonElement>(p.Value!.ToJsonString()));
        }
        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), seen);

        var (page2, _) = await client.CallAsync("get_operation", new() { ["operation_id"] = operation, ["start_line"] = 201, ["max_lines"] = 5 });
        Assert.Equal(["201", "202", "203", "204", "205"], page2.Split('\n')[2..7]);
        Assert.Contains("{\"operation_id\":\"" + operation + "\",\"stream\":\"output\",\"start_line\":206}", page2);
    }

    [Fact]
    public async Task Bad_input_gives_clear_tool_errors_and_the_server_keeps_serving()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);
        string operation = JsonNode.Parse((await client.CallAsync("history", new() { ["command"] = "seq" })).Text)!["events"]![0]!["operation_id"]!.GetValue<string>();

        var cases = new (string Tool, Dictionary<string, object?> Arguments, string Message)[]
        {
            ("inspect_session", new() { ["session_id"] = "0123abcd-0000-0000-0000-000000000000" }, "no session '0123abcd-0000-0000-0000-000000000000' in this data directory"),
            ("get_operation", new() { ["operation_id"] = "ffffffff" }, "get_operation: no recorded operation 'ffffffff'; find ids with history or search_output"),
            ("history", new() { ["since"] = "yesterday-ish" }, "since 'yesterday-ish' is not a duration: use a number and s, m, h, d or w (e.g. 2d)"),
            ("history", new() { ["keywords"] = "terminal,bogus" }, "keywords"),
            ("get_operation", new() { ["operation_id"] = operation, ["start_line"] = 501 }, "start_line 501 is past the end: the output has 500 lines"),
            ("get_operation", new() { ["operation_id"] = operation, ["max_lines"] = 100000 }, "get_operation: 'max_lines' is 100000; it must be from 1 to 200"),
            ("list_sessions", new() { ["limit"] = "ten" }, "list_sessions: 'limit' must be an integer, not a string"),
            ("list_sessions", new() { ["failed"] = 1 }, "list_sessions: 'failed' must be true or false, not a number (1)"),
            ("search_output", new() { ["query"] = "x", ["colour"] = "red" }, "search_output: unknown argument 'colour'"),
            ("search_output", new(), "search_output: 'query' is required (a non-empty string)"),
            ("run_command", new() { ["command"] = "echo hi" }, "run_command is disabled: the server was started without --allow-run"),
            ("no_such_tool", new(), "unknown tool 'no_such_tool'"),
        };
        foreach (var (tool, arguments, message) in cases)
        {
            var (text, isError) = await client.CallAsync(tool, arguments);
            Assert.True(isError, $"{tool}: {text}");
            Assert.Contains(message, text);
            Assert.DoesNotContain('\n', text);
        }
        var (after, afterError) = await client.CallAsync("list_sessions");
        Assert.False(afterError);
        Assert.Contains(_session, after);
    }

    [Fact]
    public async Task No_escape_sequence_reaches_a_default_result_even_from_hostile_output()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);
        string operation = JsonNode.Parse((await client.CallAsync("history", new() { ["command"] = "printf" })).Text)!["events"]![0]!["operation_id"]!.GetValue<string>();

        var results = new List<string>
        {
            (await client.CallAsync("get_operation", new() { ["operation_id"] = operation })).Text,
            (await client.CallAsync("search_output", new() { ["query"] = "clip" })).Text,
            (await client.CallAsync("search_output", new() { ["query"] = "evil" })).Text,
            (await client.CallAsync("history")).Text,
            (await client.CallAsync("history", new() { ["group_by"] = "correlation" })).Text,
            (await client.CallAsync("inspect_session", new() { ["session_id"] = _session })).Text,
            (await client.CallAsync("list_sessions")).Text,
            ((TextResourceContents)(await client.ReadResourceAsync($"cfsession://operation/{operation}/output")).Contents[0]).Text,
        };
        foreach (string text in results)
        {
            Assert.DoesNotContain(text, c => c is '\x1b' or '\x07' or '\x9b' or '\u202e' or '\r' || (char.IsControl(c) && c is not '\n'));
        }
        string plain = results[0];
        Assert.Contains("safe red\n", plain);
        Assert.Contains("clip\n", plain);
        Assert.Contains("⟨U+009B⟩2Jcsi8", plain);
        Assert.Contains("⟨U+202E⟩evil", plain);

        var (raw, _) = await client.CallAsync("get_operation", new() { ["operation_id"] = operation, ["raw"] = true });
        Assert.Contains("\x1b[31mred", raw);
        Assert.Contains("\u001b]52;c;aGk=\u0007clip", raw);
    }

    [Fact]
    public async Task Resources_are_listed_and_read_in_pages()
    {
        await using var client = await McpServerProcess.StartAsync(_dir.Path);
        string operation = JsonNode.Parse((await client.CallAsync("history", new() { ["command"] = "seq" })).Text)!["events"]![0]!["operation_id"]!.GetValue<string>();

        var resources = await client.ListResourcesAsync();
        Assert.Equal($"cfsession://session/{_session}", Assert.Single(resources).Uri);
        var templates = await client.ListResourceTemplatesAsync();
        Assert.Equal(["cfsession://operation/{id}/output", "cfsession://session/{id}"], templates.Select(t => t.UriTemplate).Order());

        var session = (TextResourceContents)(await client.ReadResourceAsync($"cfsession://session/{_session}")).Contents[0];
        Assert.Equal("application/json", session.MimeType);
        Assert.Contains($"\"session_id\": \"{_session}\"", session.Text);

        var first = (TextResourceContents)(await client.ReadResourceAsync($"cfsession://operation/{operation}/output")).Contents[0];
        Assert.Equal("1", first.Text.Split('\n')[2]);
        Assert.EndsWith($"next page: read cfsession://operation/{operation}/output?start_line=201\n", first.Text);
        var second = (TextResourceContents)(await client.ReadResourceAsync($"cfsession://operation/{operation}/output?start_line=201")).Contents[0];
        Assert.Equal("201", second.Text.Split('\n')[2]);

        var missing = await Assert.ThrowsAsync<McpProtocolException>(() => client.ReadResourceAsync("cfsession://operation/ffffffff/output").AsTask());
        Assert.Contains("no recorded operation 'ffffffff'", missing.Message);
        await Assert.ThrowsAsync<McpProtocolException>(() => client.ReadResourceAsync("cfsession://elsewhere/x").AsTask());
        Assert.Single(await client.ListResourcesAsync());
    }

    [Fact]
    public async Task Writes_go_to_the_callers_session_else_CFSESSION_ID_else_the_servers_own_session_which_ends_at_exit()
    {
        string other = await InProcessCli.StartAsync(_dir.Path, "--name", "other");
        await using (var client = await McpServerProcess.StartAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = _session }))
        {
            var (toEnv, e1) = await client.CallAsync("log_achievement", new() { ["achievement_type"] = "bug_fixed", ["description"] = "fixed it", ["evidence"] = new Dictionary<string, object?> { ["issue"] = 17, ["file"] = "a.cs" } });
            Assert.False(e1, toEnv);
            Assert.Equal(_session, JsonNode.Parse(toEnv)!["session_id"]!.GetValue<string>());
            Assert.Equal("{\"issue\":17,\"file\":\"a.cs\"}", JsonNode.Parse(toEnv)!["evidence"]!.ToJsonString());
            var (toOther, e2) = await client.CallAsync("record_milestone", new() { ["name"] = "first_fix", ["session_id"] = other, ["data"] = new Dictionary<string, object?> { ["n"] = 1 } });
            Assert.False(e2, toOther);
            Assert.Equal(other, JsonNode.Parse(toOther)!["session_id"]!.GetValue<string>());
            var (again, e3) = await client.CallAsync("record_milestone", new() { ["name"] = "first_fix", ["session_id"] = other });
            Assert.True(e3);
            Assert.Contains("already reached", again);
            var (badEvidence, e4) = await client.CallAsync("log_achievement", new() { ["achievement_type"] = "x", ["description"] = "y", ["evidence"] = "not an object" });
            Assert.True(e4);
            Assert.Equal("log_achievement: 'evidence' must be an object, not a string", badEvidence);
        }
        string own;
        await using (var client = await McpServerProcess.StartAsync(_dir.Path))
        {
            var (text, isError) = await client.CallAsync("log_achievement", new() { ["achievement_type"] = "note", ["description"] = "own session" });
            Assert.False(isError, text);
            own = JsonNode.Parse(text)!["session_id"]!.GetValue<string>();
            Assert.NotEqual(_session, own);
            Assert.NotEqual(other, own);
        }
        using var queries = SessionQueries.Open(_dir.Path);
        var achievements = queries.History(new HistoryFilter { Keywords = Events.SessionKeywords.Achievement }).Events;
        Assert.Equal(_session, achievements.Single(a => a.Fields["achievement_type"]!.GetValue<string>() == "bug_fixed").SessionId);
        Assert.Equal(own, achievements.Single(a => a.Fields["achievement_type"]!.GetValue<string>() == "note").SessionId);
        var ownRow = queries.Sessions(0).Sessions.Single(s => s.SessionId == own);
        Assert.Equal(("mcp", "ended"), (ownRow.SessionType, ownRow.Status));
        Assert.Equal(other, Assert.Single(queries.History(new HistoryFilter { Keywords = Events.SessionKeywords.Milestone }).Events).SessionId);
    }

    [Fact]
    public async Task Run_command_with_allow_run_records_the_command_and_returns_its_exit_code_and_redacted_output()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        string secret = "AKIA" + new string(Enumerable.Range(0, 16).Select(_ => alphabet[Random.Shared.Next(alphabet.Length)]).ToArray());
        await using var client = await McpServerProcess.StartAsync(_dir.Path, new Dictionary<string, string?> { ["CFSESSION_ID"] = _session }, "--allow-run");
        var tools = await client.ListToolsAsync();
        Assert.DoesNotContain("DISABLED", tools.Single(t => t.Name == "run_command").Description);

        var (text, isError) = await client.CallAsync("run_command", new() { ["command"] = $"read x; echo \"stdin:[$x]\"; echo key={secret}; echo oops >&2; exit 4", ["cwd"] = _dir.Path });

        Assert.False(isError, text);
        string[] lines = text.Split('\n');
        var header = JsonNode.Parse(lines[0])!;
        Assert.Equal(4, header["exit_code"]!.GetValue<int>());
        Assert.Equal(_session, header["session_id"]!.GetValue<string>());
        Assert.Equal("stdin:[]", lines[2]);
        Assert.StartsWith("key=[REDACTED:", lines[3]);
        Assert.DoesNotContain(secret, text);
        Assert.Contains("oops", text);
        string operation = header["operation_id"]!.GetValue<string>();
        using var queries = SessionQueries.Open(_dir.Path);
        var recorded = queries.FindOperationOutput(operation)!;
        Assert.Equal(_session, recorded.SessionId);
        Assert.DoesNotContain(secret, System.Text.Encoding.UTF8.GetString(recorded.Outputs[0].ReadBytes()));
    }
}
