using ContextForge.SessionLogging.Tests.Support;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace ContextForge.SessionLogging.Tests.Mcp;

/// <summary>The real <c>cfsession mcp</c> as a child process, driven by the MCP SDK's own client over stdio.</summary>
public static class McpServerProcess
{
    public static Task<McpClient> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string?>? environment = null, params string[] options)
    {
        var env = new Dictionary<string, string?>
        {
            ["CFSESSION_HOME"] = dataDirectory,
            ["CFSESSION_ID"] = null,
            ["CFSESSION_PARENT_ID"] = null,
            ["DOTNET_NOLOGO"] = "1",
        };
        if (environment is not null) foreach (var (k, v) in environment) env[k] = v;
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "cfsession",
            Command = "dotnet",
            Arguments = [CfSessionProcess.DllPath, "mcp", .. options],
            WorkingDirectory = dataDirectory,
            EnvironmentVariables = env,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        });
        return McpClient.CreateAsync(transport);
    }

    /// <summary>Calls a tool and returns its text and whether it is an error result.</summary>
    public static async Task<(string Text, bool IsError)> CallAsync(this McpClient client, string tool, Dictionary<string, object?>? arguments = null)
    {
        var result = await client.CallToolAsync(tool, arguments ?? []);
        return (string.Concat(result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
    }
}
