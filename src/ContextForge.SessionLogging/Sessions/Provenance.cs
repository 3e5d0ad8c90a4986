using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>Who recorded a record, where and with what: host, user, process, tool version, OS, cwd.</summary>
internal static class Provenance
{
    public static readonly string ToolVersion =
        typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(Provenance).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static string Host => Environment.MachineName;

    // Resolving the user name reads the password database (getpwuid_r); it cannot change within a process.
    private static readonly Lazy<string> UserName = new(() =>
    {
        try { return Environment.UserName; }
        catch (InvalidOperationException) { return "unknown"; }
    });

    public static string User => UserName.Value;

    public static JsonObject Capture(string toolName, string? cwd = null)
    {
        var provenance = new JsonObject
        {
            ["host"] = Host,
            ["user"] = User,
            ["pid"] = Environment.ProcessId,
            ["tool"] = toolName,
            ["tool_version"] = ToolVersion,
            ["os"] = RuntimeInformation.OSDescription,
            ["os_platform"] = OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : OperatingSystem.IsLinux() ? "linux" : "other",
            ["arch"] = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["cwd"] = cwd ?? SafeCwd(),
        };
        // Linux: who exactly wrote it, so a reader can tell this process from a later one given the same pid.
        if (ProcessLiveness.CurrentStartTicks is { } startTicks) provenance[ProvenanceFields.ProcessStartTicks] = startTicks;
        if (ProcessLiveness.CurrentBootId is { } bootId) provenance[ProvenanceFields.BootId] = bootId;
        return provenance;
    }

    public static string SafeCwd()
    {
        try { return Environment.CurrentDirectory; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return string.Empty; }
    }
}
