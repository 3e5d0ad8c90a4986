using System.Reflection;
using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>This process's provenance: host, user, process, tool version, OS, cwd (see <see cref="Records.Provenance"/>).</summary>
internal static class CurrentProvenance
{
    public static readonly string ToolVersion =
        typeof(CurrentProvenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(CurrentProvenance).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static string Host => Environment.MachineName;

    // Resolving the user name reads the password database (getpwuid_r); it cannot change within a process.
    private static readonly Lazy<string> UserName = new(() =>
    {
        try { return Environment.UserName; }
        catch (InvalidOperationException) { return "unknown"; }
    });

    public static string User => UserName.Value;

    public static Records.Provenance Capture(string toolName, string? cwd = null) => new(
        Host,
        User,
        Environment.ProcessId,
        toolName,
        ToolVersion,
        RuntimeInformation.OSDescription,
        OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsLinux() ? "linux" : "other",
        RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
        RuntimeInformation.FrameworkDescription,
        cwd ?? SafeCwd(),
        // Linux: who exactly wrote it, so a reader can tell this process from a later one given the same pid.
        ProcessLiveness.CurrentStartTicks,
        ProcessLiveness.CurrentBootId);

    public static string SafeCwd()
    {
        try { return Environment.CurrentDirectory; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return string.Empty; }
    }
}
