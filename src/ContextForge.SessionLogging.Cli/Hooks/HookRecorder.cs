using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli.Hooks;

/// <summary>
/// Records what an agent's hook reports. Each agent session is tied to a chain of cfsession sessions whose ids are
/// derived from the agent's name, its session id and the link's number (<see cref="SessionIdFor"/>), so no mapping
/// file is kept and a hook call that comes before SessionStart (or without it) still finds its session: it is opened
/// on first use. An agent session resumed after its SessionEnd (<c>claude --resume</c>) continues in the next link of
/// the chain, a new session whose <c>parent_session_id</c> is the ended one: an ended session never gets events after
/// its SessionEnd, and its end, duration and counts stay true.
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
                if (report.AgentSessionId is { } ended && ended.Length is > 0 and <= MaxAgentSessionIdChars
                    && Current(agent, ended) is { Exists: true } current) manager.End(current.Id);
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
        string label = agentSessionId is { Length: > 0 and <= MaxAgentSessionIdChars } ? agentSessionId : Unattributed;
        var link = Current(agent, label);
        if (!link.Exists)
        {
            using var gate = Lock(link.Id);
            // Another call of the same agent session may have opened it while this one waited.
            if (manager.ReadSessionStart(link.Id) is null)
            {
                string name = $"{agent} {Events.PrintableText.Escape(label)}" + (link.Number > 0 ? $" (resumed {link.Number})" : "");
                using var started = manager.Start(name, agent, methodology: null, parentSessionId: link.Previous, detached: true, sessionId: link.Id);
                started.Detach();
            }
        }
        return manager.Join(link.Id);
    }

    /// <summary>Agent session ids longer than this are not an agent's (they go to the unattributed session).</summary>
    private const int MaxAgentSessionIdChars = 256;

    /// <summary>One link of an agent session's chain: its session id, its number (0 first), the ended link before it, and whether it was opened.</summary>
    private readonly record struct ChainLink(string Id, int Number, string? Previous, bool Exists);

    /// <summary>
    /// The link an agent session records into now: the first of its chain that is not ended, opened or not yet (a
    /// chain is one link unless the agent session was resumed after its SessionEnd). Each link costs a read of its
    /// journal's first line and tail.
    /// </summary>
    private ChainLink Current(string agent, string label)
    {
        string? previous = null;
        for (int number = 0; ; number++)
        {
            string id = SessionIdFor(agent, label, number);
            if (manager.ReadSessionStart(id) is null) return new(id, number, previous, Exists: false);
            if (!manager.HasEnded(id) || number >= MaxResumes) return new(id, number, previous, Exists: true);
            previous = id;
        }
    }

    /// <summary>Resumes of one agent session after its end that open a new session; past this many, the last one is written to.</summary>
    private const int MaxResumes = 1000;

    /// <summary>
    /// The cfsession session id of an agent session (of link <paramref name="number"/> of its chain): a UUID (version
    /// 8, RFC 9562) made of the SHA-256 of the agent's name and its session id (and the link's number after the
    /// first), the same on every call, distinct across agents.
    /// </summary>
    internal static string SessionIdFor(string agent, string agentSessionId, int number = 0)
    {
        string key = number == 0 ? $"cfsession-hook\0{agent}\0{agentSessionId}" : $"cfsession-hook\0{agent}\0{agentSessionId}\0resumed\0{number}";
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D");
    }

    /// <summary>An exclusive lock that serialises opening one agent session (one of 256 files, as the journal's locks).</summary>
    private FileStream Lock(string sessionId)
    {
        string directory = Path.Combine(manager.Data.SessionsDirectory, ".locks");
        FileSecurity.CreatePrivateDirectory(directory);
        string path = Path.Combine(directory, $"hook-{sessionId[..2]}.lock");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            try
            {
                return FileSecurity.OpenPrivateLockFile(path);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5);
            }
        }
    }
}
