using System.Globalization;

namespace ContextForge.SessionLogging.Sessions;

/// <summary>
/// Where the journals live: <c>CFSESSION_HOME</c> if set, else <c>$XDG_DATA_HOME/contextforge/sessions</c>
/// (<c>~/.local/share/contextforge/sessions</c>) on Linux/macOS and <c>%LOCALAPPDATA%\ContextForge\Sessions</c> on
/// Windows. Layout: <c>sessions/&lt;session-id&gt;/</c> holds the session's segments (<c>journal.jsonl</c>, shared by its
/// writers, and <c>*.jsonl</c> of writers that could not take its lock or wrote before format 2), its <c>blobs/</c> and
/// its <c>achievements/</c> counter; <c>sessions/.locks/</c> the append locks; <c>journal-changes.log</c> the segment
/// changes the index's catch-up reads. Session ids never become paths without validation.
/// </summary>
public sealed class DataDirectory
{
    /// <summary>The environment variable that overrides the data directory.</summary>
    public const string HomeVariable = "CFSESSION_HOME";

    /// <summary>Uses the given root.</summary>
    public DataDirectory(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The root directory.</summary>
    public string Root { get; }

    /// <summary>The directory holding one folder per session.</summary>
    public string SessionsDirectory => Path.Combine(Root, "sessions");

    /// <summary>The default location, from the environment.</summary>
    public static DataDirectory Default() => new(ResolveDefaultRoot());

    internal static string ResolveDefaultRoot()
    {
        string? home = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(home)) return home;
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ContextForge", "Sessions");
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrWhiteSpace(xdg) || !Path.IsPathRooted(xdg))
            xdg = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(xdg, "contextforge", "sessions");
    }

    /// <summary>True when <paramref name="sessionId"/> has the form of a session id (a lowercase UUID).</summary>
    public static bool IsValidSessionId(string? sessionId) =>
        sessionId is { Length: 36 } && Guid.TryParseExact(sessionId, "D", out _) && sessionId == sessionId.ToLowerInvariant();

    /// <summary>The directory of a session; throws for anything that is not a session id.</summary>
    public string SessionDirectory(string sessionId)
    {
        if (!IsValidSessionId(sessionId)) throw new ArgumentException($"'{sessionId}' is not a session id (a lowercase UUID).", nameof(sessionId));
        return Path.Combine(SessionsDirectory, sessionId);
    }

    /// <summary>The blob directory of a session.</summary>
    public string BlobDirectory(string sessionId) => Path.Combine(SessionDirectory(sessionId), "blobs");

    /// <summary>The directory of a session's shell stream files (<c>cfsession shell</c>).</summary>
    internal string StreamDirectory(string sessionId) => Path.Combine(SessionDirectory(sessionId), "streams");

    internal string AchievementCounterDirectory(string sessionId) => Path.Combine(SessionDirectory(sessionId), "achievements");

    /// <summary>A new segment path for this process: timestamp, pid and a random part, so no two writers share a file.</summary>
    internal string NewSegmentPath(string sessionId) =>
        Path.Combine(
            SessionDirectory(sessionId),
            string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmssfff'Z'}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.jsonl"));

    /// <summary>The change log the index's catch-up reads (see <see cref="Journal.JournalChangeLog"/>).</summary>
    internal string ChangeLogPath => Path.Combine(Root, Journal.JournalChangeLog.FileName);

    /// <summary>
    /// The lock file guarding appends to a session's shared segment: one of 256 under <c>sessions/.locks/</c>, picked
    /// by the session id's first two hex digits, so sessions gain no file for it and unrelated sessions rarely share one.
    /// </summary>
    internal string SegmentLockPath(string sessionId)
    {
        if (!IsValidSessionId(sessionId)) throw new ArgumentException($"'{sessionId}' is not a session id (a lowercase UUID).", nameof(sessionId));
        return Path.Combine(SessionsDirectory, ".locks", sessionId[..2] + ".lock");
    }

    /// <summary>Every session id that has a directory here.</summary>
    public IEnumerable<string> EnumerateSessionIds()
    {
        if (!Directory.Exists(SessionsDirectory)) yield break;
        foreach (string dir in Directory.EnumerateDirectories(SessionsDirectory))
        {
            string name = Path.GetFileName(dir);
            if (IsValidSessionId(name)) yield return name;
        }
    }

    /// <summary>Makes sure the data directory exists and can be written; returns the error otherwise.</summary>
    public string? CheckWritable()
    {
        try
        {
            FileSecurity.CreatePrivateDirectory(SessionsDirectory);
            string probe = Path.Combine(SessionsDirectory, $".probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (FileSecurity.CreateNewPrivateFile(probe)) { }
            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }
}
