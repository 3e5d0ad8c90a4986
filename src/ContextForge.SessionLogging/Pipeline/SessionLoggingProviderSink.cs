using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Pipeline;

/// <summary>
/// Sends the typed events (SessionStart, SessionEnd, TerminalCapture, TerminalCaptureFailed, AchievementLogged) to the
/// <c>ContextForge.SessionLogging</c> provider, with the values and string cut the contract table gives.
/// </summary>
internal sealed class SessionLoggingProviderSink(SessionLoggingEventSource source) : ProviderSink("provider", source)
{
    protected override bool Write(SessionEvent e)
    {
        var contract = EventContracts.For(e.Name);
        var v = contract.ProviderValues(e, out bool truncated);
        switch (contract.EventId)
        {
            case 1: source.SessionStartRelated((string)v[0], (string)v[1], (DateTime)v[2], (Guid)v[3], (string)v[4], (string)v[5], (e.BuiltFrom as SessionStarted)?.ParentActivityId); break;
            case 2: source.SessionEnd((string)v[0], (double)v[1], (int)v[2], (int)v[3], (int)v[4], (string)v[5]); break;
            case 3: source.TerminalCapture((string)v[0], (string)v[1], (uint)v[2], (uint)v[3], (string)v[4], (string)v[5], (int)v[6], (string)v[7]); break;
            case 4: source.TerminalCaptureFailed((string)v[0], (string)v[1], (string)v[2], (string)v[3]); break;
            case 5: source.AchievementLogged((string)v[0], (string)v[1], (string)v[2], (string)v[3], (uint)v[4]); break;
        }
        return truncated;
    }
}
