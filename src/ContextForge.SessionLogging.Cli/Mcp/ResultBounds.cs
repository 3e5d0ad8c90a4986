using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// What one tool result may hold, so a call never floods an agent's context: at most <see cref="MaxLines"/> lines of
/// output and <see cref="MaxBytes"/> bytes of text. A result that is cut says so and gives the arguments of the next page.
/// </summary>
internal static class ResultBounds
{
    /// <summary>Lines of output per page, at most (and by default).</summary>
    public const int MaxLines = 200;

    /// <summary>Bytes of text per result, at most.</summary>
    public const int MaxBytes = 16 * 1024;

    /// <summary>Items (sessions, events, search hits) per page, at most.</summary>
    public const int MaxItems = 100;

    /// <summary>Compact JSON: one line, every control and hiding character escaped (<see cref="CliJson.Indented"/>'s encoder).</summary>
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = TerminalSafeJsonEncoder.Instance };

    /// <summary>
    /// Fields an agent does not need to read history and that cost its context on every event: provenance (host, pid,
    /// runtime...), the ETW correlation and the W3C trace ids. <c>get_operation</c>, <c>inspect_session</c> and the CLI's
    /// <c>--json</c> still give them.
    /// </summary>
    private static readonly string[] s_slimmed = ["provenance", "etw_correlation", "trace_id", "span_id", "parent_span_id"];

    /// <summary>An indented query document (<c>ToJson()</c>) as compact JSON, without the fields in <see cref="s_slimmed"/>.</summary>
    public static string ToCompact(string indentedJson)
    {
        var node = JsonNode.Parse(indentedJson)!;
        Slim(node);
        return node.ToJsonString(Compact);
    }

    private static void Slim(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (string key in s_slimmed) o.Remove(key);
                foreach (var (_, value) in o) Slim(value);
                break;
            case JsonArray a:
                foreach (var item in a) Slim(item);
                break;
        }
    }

    public static int Utf8Length(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>The line that tells an agent how to get the next page: the tool and its arguments as JSON.</summary>
    public static string NextPage(string tool, JsonObject arguments) => $"next page: call {tool} with {arguments.ToJsonString(Compact)}";

    /// <summary>
    /// The largest page of <paramref name="items"/> (from the start) whose rendering fits <see cref="MaxBytes"/>, at
    /// least one item (an item alone over the budget is rendered cut by <see cref="CutText"/>).
    /// </summary>
    public static (string Text, int Taken) Fit<T>(IReadOnlyList<T> items, Func<IReadOnlyList<T>, string> render, int budget = MaxBytes)
    {
        int take = items.Count;
        while (true)
        {
            string text = render(items.Take(take).ToList());
            int size = Utf8Length(text);
            if (size <= budget || take <= 1) return (take == 1 && size > budget ? CutText(text, budget) : text, take);
            // Shrink in proportion, then one at a time near the fit.
            take = Math.Max(1, Math.Min(take - 1, (int)((long)take * budget / size)));
        }
    }

    /// <summary>Text cut to <paramref name="budget"/> bytes at a character boundary, saying how much was left out.</summary>
    public static string CutText(string text, int budget)
    {
        int bytes = Utf8Length(text);
        if (bytes <= budget) return text;
        int chars = Math.Min(text.Length, budget);
        while (chars > 0 && Utf8Length(text[..chars]) > budget - 64) chars = chars * 3 / 4;
        if (chars > 0 && char.IsHighSurrogate(text[chars - 1])) chars--;
        return text[..chars] + $"… [cut: {bytes - Utf8Length(text[..chars])} more bytes]";
    }
}
