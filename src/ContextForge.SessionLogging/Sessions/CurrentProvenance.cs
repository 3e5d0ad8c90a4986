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

    public static Records.Provenance Capture(string toolName, string? cwd = null, Redaction.SecretRedactor? redactor = null) => new(
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
        ProcessLiveness.CurrentBootId,
        CommandLine(redactor));

    private static readonly Lazy<string[]> Argv = new(() =>
    {
        try { return Environment.GetCommandLineArgs(); }
        catch (NotSupportedException) { return []; }
    });

    // The redacted argv of the last redactor asked for: one per manager, and argv cannot change.
    // (A reference, so a reader on another thread sees a whole pair.)
    private static CachedCommand? s_lastCommand;

    private sealed record CachedCommand(Redaction.SecretRedactor? Redactor, IReadOnlyList<string> Command);

    /// <summary>
    /// This process's argv, redacted when a redactor is given: a secret option's value (<c>--token X</c>, also in
    /// the command after <c>--</c>, as <c>run</c> records it) and whatever the secret patterns find.
    /// </summary>
    internal static IReadOnlyList<string> CommandLine(Redaction.SecretRedactor? redactor)
    {
        if (s_lastCommand is { } last && ReferenceEquals(last.Redactor, redactor)) return last.Command;
        var argv = Redacted(Argv.Value, redactor);
        s_lastCommand = new CachedCommand(redactor, argv);
        return argv;
    }

    /// <summary>An argv redacted as <see cref="CommandLine"/> does (unchanged without a redactor).</summary>
    internal static IReadOnlyList<string> Redacted(IReadOnlyList<string> argv, Redaction.SecretRedactor? redactor)
    {
        if (redactor is null || argv.Count == 0) return argv;
        var tally = new Redaction.RedactionTally();
        int dashes = argv.ToList().IndexOf("--");
        var own = Redaction.FieldRedaction.Arguments(argv[0], dashes < 0 ? argv : argv.Take(dashes).ToList(), tally);
        IReadOnlyList<string> child = dashes < 0 || dashes + 1 >= argv.Count ? [] : Redaction.FieldRedaction.Arguments(argv[dashes + 1], argv.Skip(dashes + 1).ToList(), tally);
        IReadOnlyList<string> joined = dashes < 0 ? own : [.. own, "--", .. child];
        return joined.Select(a => redactor.Redact(a, tally)).ToList();
    }

    public static string SafeCwd()
    {
        try { return Environment.CurrentDirectory; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return string.Empty; }
    }
}
