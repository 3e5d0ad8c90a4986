using System.Diagnostics;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// After a <c>run</c> that stored a blob: starts <c>cfsession __recompact --session ID</c> detached (through
/// <c>sh -c '… &amp;'</c>, its stdio on /dev/null, at the lowest CPU priority) and returns at once, so the blob the
/// capture path stored without compression is compressed without waiting for <c>reindex</c> or <c>prune</c>, and the
/// command never waits for it. <c>CFSESSION_RECOMPACT=off</c> turns it off (blobs then stay uncompressed until
/// <c>reindex</c> or <c>prune</c>).
/// </summary>
internal static class RecompactionLauncher
{
    /// <summary>The environment variable that turns the background recompaction off (<c>off</c>).</summary>
    public const string Variable = "CFSESSION_RECOMPACT";

    public static bool IsWanted(CliContext context) =>
        !string.Equals(context.GetEnvironment(Variable), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts the background recompaction; false (and nothing started) when this process is not cfsession itself or off Unix.</summary>
    public static bool Start(DataDirectory data, string sessionId)
    {
        if (OperatingSystem.IsWindows() || TeamSyncLauncher.SelfCommand() is not { } self) return false;
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$@\" " + Commands.RecompactCommand.Name + " --session \"$CFSESSION_RECOMPACT_ID\" </dev/null >/dev/null 2>&1 &");
        psi.ArgumentList.Add("cfsession-recompact");
        foreach (string part in self) psi.ArgumentList.Add(part);
        psi.Environment[DataDirectory.HomeVariable] = data.Root;
        psi.Environment["CFSESSION_RECOMPACT_ID"] = sessionId;
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
}
