using System.Text.Json;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// One MCP tool: its name, the description a model reads, its JSON input schema, and what a call does (returns the
/// result text; a <see cref="ToolInputException"/> or <see cref="CliUsageException"/> becomes a tool error).
/// </summary>
internal sealed class McpTool
{
    public McpTool(string name, string description, string inputSchema, Func<ToolArguments, CancellationToken, ValueTask<string>> call, bool readOnly = true)
    {
        Name = name;
        Description = description;
        using var schema = JsonDocument.Parse(inputSchema);
        InputSchema = schema.RootElement.Clone();
        ArgumentNames = InputSchema.TryGetProperty("properties", out var properties) ? properties.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) : [];
        Call = call;
        ReadOnly = readOnly;
    }

    public string Name { get; }

    public string Description { get; }

    public JsonElement InputSchema { get; }

    /// <summary>The arguments the schema names: any other is refused.</summary>
    public IReadOnlyCollection<string> ArgumentNames { get; }

    public Func<ToolArguments, CancellationToken, ValueTask<string>> Call { get; }

    /// <summary>True when the tool only reads the history.</summary>
    public bool ReadOnly { get; }
}
