using System.Diagnostics;
using System.Text;

namespace ContextForge.SessionLogging.Tests.Packaging;

/// <summary>
/// A <see cref="FactAttribute"/> for the packaging tests, which pack every package and NativeAOT-compile cfsession
/// (minutes on two cores). They run as their own step of scripts/test.sh (CFSESSION_PACKAGING_TESTS=1, after
/// 'dotnet test'); anywhere else they are reported as skipped, saying how to run them.
/// </summary>
public sealed class PackagingFactAttribute : FactAttribute
{
    public const string Variable = "CFSESSION_PACKAGING_TESTS";

    public PackagingFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Skip = "the packages and archives are built and tested on linux-x64";
        else if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"slow (pack + NativeAOT publish): scripts/test.sh runs them as a separate step; or set {Variable}=1";
    }
}

/// <summary>The outcome of a process run by the packaging tests.</summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the repository's scripts and the tools they produce as real child processes.</summary>
public static class RepositoryScripts
{
    /// <summary>The repository root (where ContextForge.SessionLogging.slnx is).</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ContextForge.SessionLogging.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the tests run from inside the repository");
    }

    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    /// <summary>Runs <c>bash scripts/NAME args</c> from the repository root.</summary>
    public static ToolRun Bash(string script, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null) =>
        Run("bash", [Script(script), .. args], Root, timeout, environment);

    /// <summary>Runs a program; with <paramref name="environment"/> entries set (null: removed) over the test's own.</summary>
    public static ToolRun Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, bool clearEnvironment = false)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (clearEnvironment) psi.Environment.Clear();
        foreach (string name in new[] { "CFSESSION_ID", "CFSESSION_PARENT_ID", "CFSESSION_PTY" }) psi.Environment.Remove(name);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {timeout.TotalMinutes:0} min:\n{stdout}\n{stderr}");
        }
        process.WaitForExit();
        return new ToolRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
