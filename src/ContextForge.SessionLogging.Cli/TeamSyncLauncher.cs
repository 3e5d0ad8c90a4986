using System.Diagnostics;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// The opt-in automatic push after <c>run</c> (<c>CFSESSION_TEAM_SYNC=auto</c> and a team store in the environment or
/// <c>&lt;data&gt;/team-store</c>): starts <c>cfsession sync --background</c> detached (through <c>sh -c '… &amp;'</c>, its
/// stdio on /dev/null) and returns at once, so the command never waits for the network. Failures go to
/// <c>&lt;data&gt;/team-sync.log</c> and <c>sync --status</c>; what was not pushed is pushed by the next sync.
/// </summary>
internal static class TeamSyncLauncher
{
    public static bool IsRequested(CliContext context, DataDirectory data) =>
        string.Equals(context.GetEnvironment(TeamStoreOptions.AutoSyncVariable), "auto", StringComparison.OrdinalIgnoreCase)
        && TeamStoreOptions.IsConfigured(context, data);

    /// <summary>Starts the background push; false (and nothing started) when this process is not cfsession itself (a library host) or off Unix.</summary>
    public static bool Start(DataDirectory data)
    {
        if (OperatingSystem.IsWindows() || SelfCommand() is not { } self) return false;
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$@\" sync --background </dev/null >/dev/null 2>&1 &");
        psi.ArgumentList.Add("cfsession-sync");
        foreach (string part in self) psi.ArgumentList.Add(part);
        psi.Environment[DataDirectory.HomeVariable] = data.Root;
        try
        {
            using var shell = Process.Start(psi);
            shell?.WaitForExit(2000); // the shell only forks and exits
            return shell is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>How to run this cfsession again: the native binary, or <c>dotnet cfsession.dll</c>.</summary>
    internal static string[]? SelfCommand()
    {
        string? process = Environment.ProcessPath;
        if (process is null) return null;
        string name = Path.GetFileNameWithoutExtension(process);
        if (name == "cfsession") return [process];
        string[] args = Environment.GetCommandLineArgs();
        if (name == "dotnet" && args.Length > 0 && Path.GetFileName(args[0]) == "cfsession.dll") return [process, args[0]];
        return null;
    }
}
