using System.CommandLine;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession etw manifest</c>: ETW registration for Event Viewer (docs/windows.md).</summary>
internal static class EtwCommand
{
    public static Command Create(CliContext context) => new("etw", "ETW helpers for Windows tools (wevtutil)")
    {
        EtwManifestCommand.Create(context),
    };
}
