using System.Diagnostics;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// Starts this cfsession again, detached, for work nobody waits for (the background recompaction, the automatic team
/// push): through <c>sh -c '"$@" ARGUMENTS &lt;/dev/null &gt;/dev/null 2&gt;&amp;1 &amp;'</c>, so the child outlives
/// the command and its stdio is /dev/null, with the data directory in the environment. Returns at once.
/// </summary>
internal static class DetachedCfsession
{
    /// <summary>
    /// Starts <c>cfsession ARGUMENTS</c> (shell words; values go in <paramref name="environment"/> and are referred to
    /// as <c>"$NAME"</c>); false (and nothing started) when this process is not cfsession itself (a library host) or off Unix.
    /// </summary>
    public static bool Start(DataDirectory data, string name, string arguments, params (string Name, string Value)[] environment)
    {
        if (OperatingSystem.IsWindows() || SelfCommand() is not { } self) return false;
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("\"$@\" " + arguments + " </dev/null >/dev/null 2>&1 &");
        psi.ArgumentList.Add(name);
        foreach (string part in self) psi.ArgumentList.Add(part);
        psi.Environment[DataDirectory.HomeVariable] = data.Root;
        foreach (var (variable, value) in environment) psi.Environment[variable] = value;
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
