using System.Globalization;
using System.Text.Json;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>A tool call the caller can fix (a wrong type, an unknown id, a page past the end): an MCP tool error, never a crash.</summary>
internal sealed class ToolInputException(string message) : Exception(message);

/// <summary>
/// Reads a tool call's arguments by name and JSON type, and builds its errors: a missing required argument, an
/// unknown one, a wrong type, a value out of range or too long is a <see cref="ToolInputException"/> that names the
/// tool (<see cref="Fail"/>). The one argument reader of every tool, read or write.
/// </summary>
internal sealed class ToolArguments
{
    private readonly IDictionary<string, JsonElement> _arguments;

    public ToolArguments(string tool, IDictionary<string, JsonElement>? arguments, IReadOnlyCollection<string> known)
    {
        _arguments = arguments ?? new Dictionary<string, JsonElement>();
        Tool = tool;
        foreach (string name in _arguments.Keys)
        {
            if (!known.Contains(name))
                throw new ToolInputException($"{tool}: unknown argument '{Escape(name)}'; it takes {(known.Count == 0 ? "no arguments" : string.Join(", ", known))}");
        }
    }

    public string Tool { get; }

    /// <summary>Every argument given (for the next page's arguments).</summary>
    public IEnumerable<KeyValuePair<string, JsonElement>> All() => _arguments.Where(p => p.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined));

    private bool TryGet(string name, out JsonElement value) =>
        _arguments.TryGetValue(name, out value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined);

    public string? String(string name)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw WrongType(name, "a string", v);
        return v.GetString();
    }

    public string RequiredString(string name) =>
        String(name) is { Length: > 0 } s ? s : throw Fail($"'{name}' is required (a non-empty string)");

    /// <summary>A string of at most <paramref name="maxChars"/> characters, or null when absent.</summary>
    public string? Text(string name, int maxChars) => CliLimits.Text(String(name), maxChars, name);

    /// <summary>A required non-empty string of at most <paramref name="maxChars"/> characters.</summary>
    public string RequiredText(string name, int maxChars) => CliLimits.Text(RequiredString(name), maxChars, name)!;

    /// <summary>The error of this call: one line, prefixed with the tool's name.</summary>
    public ToolInputException Fail(string message) => new($"{Tool}: {message}");

    /// <summary>A value as an error message shows it: quoted, printable, cut to 64 characters.</summary>
    public static string Quote(string value) => "'" + Escape(value) + "'";

    public bool Boolean(string name, bool fallback = false)
    {
        if (!TryGet(name, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "true or false", v),
        };
    }

    public long? Integer(string name)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long n)) throw WrongType(name, "an integer", v);
        return n;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public int Integer(string name, int fallback, int min, int max)
    {
        long? n = Integer(name);
        if (n is null) return fallback;
        if (n < min || n > max) throw Fail($"'{name}' is {n}; it must be from {min} to {max}");
        return (int)n;
    }

    /// <summary>A JSON object of string keys (evidence, milestone data), or empty when absent.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonElement>> Object(string name)
    {
        if (!TryGet(name, out var v)) return [];
        if (v.ValueKind != JsonValueKind.Object) throw WrongType(name, "an object", v);
        return v.EnumerateObject().Select(p => new KeyValuePair<string, JsonElement>(p.Name, p.Value.Clone())).ToList();
    }

    private ToolInputException WrongType(string name, string expected, JsonElement got) => Fail($"'{name}' must be {expected}, not {Describe(got)}");

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number (" + v.GetRawText() + ")",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => v.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => Events.PrintableText.Escape(text.Length > 64 ? text[..64] + "..." : text);
}
