using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// The opt-in automatic push after <c>run</c> (<c>CFSESSION_TEAM_SYNC=auto</c> and a team store in the environment or
/// <c>&lt;data&gt;/team-store</c>): starts <c>cfsession sync --background</c> detached (through <c>sh -c '… &amp;'</c>, its
/// stdio on /dev/null) and returns at once, so the command never waits for the network. Failures go to
/// <c>&lt;data&gt;/team-sync.log</c> and <c>sync --status</c>; what was not pushed is pushed by the next sync.
/// </summary>
internal static class TeamSyncLauncher
{
    public static bool IsRequested(CliContext context, DataDirectory data) =>
        string.Equals(context.GetEnvironment(TeamStoreOptions.AutoSyncVariable), "auto", StringComparison.OrdinalIgnoreCase)
        && TeamStoreOptions.IsConfigured(context, data);

    /// <summary>Starts the background push; false (and nothing started) when this process is not cfsession itself (a library host) or off Unix.</summary>
    public static bool Start(DataDirectory data) => DetachedCfsession.Start(data, "cfsession-sync", "sync --background");
}
