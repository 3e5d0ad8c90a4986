using System.CommandLine;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession etw manifest [-o DIR]</c>: writes each provider's ETW manifest (EventSource.GenerateManifest) and
/// prints the <c>wevtutil im</c> command that registers it (Windows). The provider declares no channel, so Event
/// Viewer shows nothing either way (docs/windows.md).
/// Generating works on every OS.
/// </summary>
internal static class EtwManifestCommand
{
    public static Command Create(CliContext context)
    {
        var output = new Option<string?>("--output", "-o") { Description = "The folder for the .man files (default: the current directory)" };
        var command = new Command("manifest", "Write the provider's ETW manifest (events, keywords, templates; no channel: Event Viewer shows nothing) and print the wevtutil steps") { output };
        command.SetAction(parse =>
        {
            string dir = Path.GetFullPath(parse.GetValue(output) is { Length: > 0 } o ? o : ".");
            Directory.CreateDirectory(dir);
            string assembly = AssemblyPath();
            foreach (var manifest in EtwManifest.Generate(assembly))
            {
                string path = Path.Combine(dir, manifest.FileName);
                File.WriteAllText(path, manifest.Xml);
                context.WriteRaw($"{manifest.Provider}: {path}{Environment.NewLine}");
                var commands = EtwManifest.RegisterCommands(path, assembly);
                context.WriteRaw($"  register (Windows, administrator): {commands[0]}{Environment.NewLine}  remove: {commands[1]}{Environment.NewLine}");
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The file that holds the provider: the NativeAOT executable, or cfsession.dll under the runtime.</summary>
    private static string AssemblyPath()
    {
        string? process = Environment.ProcessPath;
        return process is not null && !string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.OrdinalIgnoreCase)
            && !Path.GetFileNameWithoutExtension(process).StartsWith("testhost", StringComparison.OrdinalIgnoreCase)
            ? process
            : Path.Combine(AppContext.BaseDirectory, "cfsession.dll");
    }
}
