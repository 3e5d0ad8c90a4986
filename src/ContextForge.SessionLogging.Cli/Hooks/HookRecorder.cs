using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Hooks;

/// <summary>
/// Records what an agent's hook reports. Each agent session is tied to one cfsession session whose id is derived from
/// the agent's name and session id (<see cref="SessionIdFor"/>), so no mapping file is kept and a hook call that comes
/// before SessionStart (or without it) still finds its session: it is opened on first use.
/// </summary>
internal sealed class HookRecorder(CliContext context, SessionManager manager)
{
    /// <summary>The custom event a payload cfsession could not use becomes (level Warning).</summary>
    public const string WarningEvent = "HookWarning";

    /// <summary>The agent session id given when a payload names none (and CFSESSION_ID is not set).</summary>
    public const string Unattributed = "unattributed";

    public void Record(HookReport report, string agent)
    {
        switch (report)
        {
            case HookIgnored:
                return;
            case AgentSessionStarted:
                using (Open(agent, report.AgentSessionId)) { }
                return;
            case AgentSessionEnded:
                if (report.AgentSessionId is { } ended && TargetOf(agent, ended) is { } id && manager.ReadSessionStart(id) is not null) manager.End(id);
                return;
            case AgentToolCall call:
                using (var session = Open(agent, report.AgentSessionId))
                {
                    ReportedOperationRecorder.Record(session, call.Operation);
                }
                return;
            case HookProblem problem:
                Warn(agent, report.AgentSessionId, problem.Problem, problem.PayloadHead);
                return;
        }
    }

    /// <summary>Records a warning in the agent session the payload names (else the unattributed one); never throws.</summary>
    public void Warn(string agent, string? agentSessionId, string problem, string payloadHead)
    {
        try
        {
            using var session = Open(agent, agentSessionId);
            session.TryLogEvent(WarningEvent, EventLevel.Warning, [new("hook", agent), new("problem", problem), new("payload_head", payloadHead)]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or SessionNotFoundException)
        {
            context.Notice($"hook {agent}: {problem}; the warning could not be recorded either: {ex.Message}");
        }
    }

    /// <summary>
    /// The session a call of this agent session writes to, joined (opened first, under a lock, when it does not exist
    /// yet). Without an agent session id: the session in CFSESSION_ID when set, else the agent's unattributed session.
    /// </summary>
    private Session Open(string agent, string? agentSessionId)
    {
        if (agentSessionId is null && context.CurrentSession(manager, null) is { } current) return manager.Join(current);
        string label = agentSessionId ?? Unattributed;
        string id = TargetOf(agent, label) ?? SessionIdFor(agent, Unattributed);
        if (manager.ReadSessionStart(id) is null)
        {
            using var gate = Lock(id);
            // Another call of the same agent session may have opened it while this one waited.
            if (manager.ReadSessionStart(id) is null)
            {
                using var started = manager.Start($"{agent} {Events.PrintableText.Escape(label)}", agent, methodology: null, parentSessionId: null, detached: true, sessionId: id);
                started.Detach();
            }
        }
        return manager.Join(id);
    }

    /// <summary>The cfsession session of an agent session; null for an id no agent would send (over 256 characters).</summary>
    private static string? TargetOf(string agent, string agentSessionId) =>
        agentSessionId.Length is > 0 and <= 256 ? SessionIdFor(agent, agentSessionId) : null;

    /// <summary>
    /// The cfsession session id of an agent session: a UUID (version 8, RFC 9562) made of the SHA-256 of the agent's
    /// name and its session id, the same on every call, distinct across agents.
    /// </summary>
    internal static string SessionIdFor(string agent, string agentSessionId)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"cfsession-hook\0{agent}\0{agentSessionId}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    /// <summary>An exclusive lock that serialises opening one agent session (one of 256 files, as the journal's locks).</summary>
    private FileStream Lock(string sessionId)
    {
        string directory = Path.Combine(manager.Data.SessionsDirectory, ".locks");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, $"hook-{sessionId[..2]}.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }
}
