using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Cli;

/// <summary>The JSON forms of trace events and reports shared by the trace commands (documented in docs/cli.md).</summary>
internal static class TraceJson
{
    public static JsonObject Event(TracedEvent traced) => new()
    {
        ["provider"] = traced.Provider,
        ["event"] = traced.Event.Name,
        ["timestamp"] = SessionManager.FormatTime(traced.Event.Timestamp),
        ["session_id"] = traced.Event.SessionId,
        ["activity_id"] = traced.Event.ActivityId.ToString("D"),
        // The event header's ids: the session's activity id, and for a child session's SessionStart its parent's.
        ["header_activity_id"] = traced.HeaderActivityId == Guid.Empty ? null : traced.HeaderActivityId.ToString("D"),
        ["related_activity_id"] = traced.RelatedActivityId == Guid.Empty ? null : traced.RelatedActivityId.ToString("D"),
        ["level"] = (int)traced.Event.Level,
        ["keywords"] = (long)traced.Event.Keywords,
        ["fields"] = traced.Event.Fields.DeepClone(),
    };

    /// <summary>Resolves a trace path argument; a missing file is exit 66.</summary>
    public static string ExistingTrace(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new TraceFileNotFoundException($"no trace file {path}");
        return full;
    }

    /// <summary>Where traces go by default: the data directory's traces/ folder (created 0700).</summary>
    public static string DefaultTraceDirectory(CliContext context)
    {
        string dir = Path.Combine(context.CreateManager().Data.Root, "traces");
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return dir;
    }

    public static string Stamp() => DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Parses a duration: <c>10s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>, or plain seconds.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        string t = text.Trim();
        (string number, double scale) = t switch
        {
            _ when t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (t[..^2], 0.001),
            _ when t.EndsWith('s') => (t[..^1], 1),
            _ when t.EndsWith('m') => (t[..^1], 60),
            _ when t.EndsWith('h') => (t[..^1], 3600),
            _ => (t, 1),
        };
        if (!double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) || value <= 0 || double.IsInfinity(value))
            throw new CliUsageException($"--duration '{text}' is not a positive duration such as 10s, 500ms, 2m");
        return CliLimits.Duration(value * scale, "--duration", text);
    }
}

/// <summary>A trace file named on the command line does not exist (exit 66).</summary>
internal sealed class TraceFileNotFoundException(string message) : Exception(message);
