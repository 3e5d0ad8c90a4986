using System.Text.Json;

namespace ContextForge.SessionLogging.Milestones;

/// <summary>
/// Reads <c>&lt;data directory&gt;/milestones.json</c> (JSON; comments and trailing commas allowed; format in
/// docs/milestones.md). A malformed file gives one error naming the file, the line and the problem.
/// </summary>
internal static class MilestoneConfig
{
    public const string FileName = "milestones.json";

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The definitions, none when the file does not exist, or an error (then no definitions).</summary>
    public static (IReadOnlyList<MilestoneDefinition> Definitions, string? Error) Load(string path)
    {
        if (!File.Exists(path)) return ([], null);
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            if (file.Length > InputLimits.MaxConfigFileBytes)
                return ([], $"{path}: larger than {InputLimits.MaxConfigFileBytes} bytes ({file.Length}); no milestones are checked");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ([], $"{path}: cannot read: {ex.Message}");
        }
        try
        {
            return (Parse(bytes, path), null);
        }
        catch (MilestoneConfigException ex)
        {
            return ([], $"{path}:{ex.Line}: {Events.PrintableText.Escape(ex.Message)}");
        }
        catch (InvalidOperationException ex)
        {
            // A \ud800 escape without its low surrogate in a property name or string: System.Text.Json throws
            // InvalidOperationException on reading it.
            return ([], $"{path}:1: a string holds an invalid \\u escape ({Events.PrintableText.Escape(ex.Message)})");
        }
        catch (JsonException ex)
        {
            string message = ex.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut].TrimEnd('.', ' ');
            return ([], $"{path}:{(ex.LineNumber ?? 0) + 1}: {Events.PrintableText.Escape(message)}");
        }
    }

    internal static IReadOnlyList<MilestoneDefinition> Parse(byte[] bytes, string path)
    {
        // Invalid UTF-8 inside a string made GetString() throw InvalidOperationException out of Load: every
        // command that reads milestones.json exited 70 (covered by the milestones-config fuzz target).
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            char[] scratch = new char[bytes.Length];
            _ = System.Text.Unicode.Utf8.ToUtf16(bytes, scratch, out int valid, out _, replaceInvalidSequences: false);
            throw new MilestoneConfigException(1 + bytes.AsSpan(0, valid).Count((byte)'\n'), $"not valid UTF-8 (byte {valid + 1})");
        }
        using var doc = JsonDocument.Parse(bytes, Options);
        var lines = RuleLines(bytes);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("milestones", out var list) || list.ValueKind != JsonValueKind.Array)
            throw new MilestoneConfigException(1, "expected an object with a \"milestones\" array");
        var result = new List<MilestoneDefinition>();
        int index = 0;
        foreach (var rule in list.EnumerateArray())
        {
            int line = index < lines.Count ? lines[index] : 1;
            index++;
            if (index > InputLimits.MaxMilestones) throw new MilestoneConfigException(line, $"more than {InputLimits.MaxMilestones} milestones");
            if (rule.ValueKind != JsonValueKind.Object) throw new MilestoneConfigException(line, "each milestone must be an object");
            string name = RequiredString(rule, "name", line);
            if (!IsValidName(name)) throw new MilestoneConfigException(line, $"milestone name '{(name.Length > 100 ? name[..100] + "..." : name)}' must be 1-{MaxNameChars} letters, digits, '_', '-' and '.'");
            if (result.Any(r => r.Name == name)) throw new MilestoneConfigException(line, $"milestone '{name}' is defined twice");
            string kindText = RequiredString(rule, "kind", line);
            MilestoneKind kind = kindText switch
            {
                "achievements" => MilestoneKind.Achievements,
                "operations" => MilestoneKind.Operations,
                "clean_session" => MilestoneKind.CleanSession,
                _ => throw new MilestoneConfigException(line, $"unknown kind '{kindText}' (expected achievements, operations or clean_session)"),
            };
            string scopeText = OptionalString(rule, "scope", line) ?? (kind == MilestoneKind.CleanSession ? "all_time" : "session");
            MilestoneScope scope = scopeText switch
            {
                "session" => MilestoneScope.Session,
                "all_time" => MilestoneScope.AllTime,
                _ => throw new MilestoneConfigException(line, $"unknown scope '{scopeText}' (expected session or all_time)"),
            };
            int count = 1;
            if (kind != MilestoneKind.CleanSession)
            {
                if (!rule.TryGetProperty("count", out var c) || c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out count) || count < 1)
                    throw new MilestoneConfigException(line, $"milestone '{name}': \"count\" must be a whole number of at least 1");
            }
            string? achievementType = kind == MilestoneKind.Achievements ? OptionalString(rule, "achievement_type", line) : null;
            if (achievementType is { Length: > InputLimits.MaxSessionLabelChars })
                throw new MilestoneConfigException(line, $"milestone '{name}': \"achievement_type\" is longer than {InputLimits.MaxSessionLabelChars} characters");
            string description = OptionalString(rule, "description", line) ?? string.Empty;
            if (description.Length > InputLimits.MaxMilestoneDescriptionChars)
                throw new MilestoneConfigException(line, $"milestone '{name}': \"description\" is longer than {InputLimits.MaxMilestoneDescriptionChars} characters");
            result.Add(new MilestoneDefinition(name, kind, scope, count, achievementType, description, line));
        }
        _ = path;
        return result;
    }

    /// <summary>The longest milestone name.</summary>
    public const int MaxNameChars = 100;

    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= MaxNameChars && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') && name[0] != '.';

    private static string RequiredString(JsonElement rule, string property, int line) =>
        OptionalString(rule, property, line) is { Length: > 0 } s ? s : throw new MilestoneConfigException(line, $"a milestone needs a \"{property}\" string");

    private static string? OptionalString(JsonElement rule, string property, int line)
    {
        if (!rule.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new MilestoneConfigException(line, $"\"{property}\" must be a string");
    }

    /// <summary>The 1-based line of each object in the "milestones" array, in order.</summary>
    private static List<int> RuleLines(byte[] bytes)
    {
        var lines = new List<int>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        bool inList = false;
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1) inList = reader.ValueTextEquals("milestones");
            else if (inList && reader.CurrentDepth == 2 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.String or JsonTokenType.Number or JsonTokenType.StartArray or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
            {
                int offset = (int)reader.TokenStartIndex;
                int line = 1;
                for (int i = 0; i < offset; i++) if (bytes[i] == (byte)'\n') line++;
                lines.Add(line);
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
            }
        }
        return lines;
    }
}

internal sealed class MilestoneConfigException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}
