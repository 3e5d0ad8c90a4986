using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;

namespace ContextForge.SessionLogging.Cli;

/// <summary>Which team store and team a command uses: <c>--to</c>/<c>--from</c>, else <c>CFSESSION_TEAM_STORE</c>, else <c>&lt;data&gt;/team-store</c>; <c>--team</c>, else <c>CFSESSION_TEAM</c>, else <c>default</c>.</summary>
internal static class TeamStoreOptions
{
    public const string TeamVariable = "CFSESSION_TEAM";
    public const string AutoSyncVariable = "CFSESSION_TEAM_SYNC";
    public const string DefaultTeam = "default";

    /// <summary>The address, or exit 78 when none is configured.</summary>
    public static TeamStoreAddress Address(CliContext context, DataDirectory data, string? given, string option) =>
        TeamStoreAddress.Resolve(given, context.GetEnvironment(TeamStoreAddress.EnvironmentVariable), data.Root)
        ?? throw new TeamStoreConfigurationException($"no team store: give {option} postgresql://..., or set {TeamStoreAddress.EnvironmentVariable}, or write it to {Path.Combine(data.Root, TeamStoreAddress.FileName)} (mode 0600)");

    /// <summary>True when a team store is configured without an option (environment or file): automatic push needs one.</summary>
    public static bool IsConfigured(CliContext context, DataDirectory data) =>
        context.GetEnvironment(TeamStoreAddress.EnvironmentVariable) is { Length: > 0 } || File.Exists(Path.Combine(data.Root, TeamStoreAddress.FileName));

    /// <summary>The team: the option, else CFSESSION_TEAM, else "default"; exit 64 when it is not a team name.</summary>
    public static string Team(CliContext context, string? given)
    {
        string team = !string.IsNullOrWhiteSpace(given) ? given.Trim() : context.GetEnvironment(TeamVariable) is { Length: > 0 } env ? env.Trim() : DefaultTeam;
        if (!JournalSync.IsValidTeam(team))
            throw new CliUsageException($"team '{Events.PrintableText.Escape(team)}' is not a team name: lowercase letters, digits and _, at most 48 ({TeamVariable} or --team)");
        return team;
    }
}
