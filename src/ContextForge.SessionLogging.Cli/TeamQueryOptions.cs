using System.CommandLine;
using ContextForge.SessionLogging.Query;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// <c>--team</c> (and <c>--team-store URL</c>, <c>--host</c>, <c>--user</c>) on the read commands: the command answers
/// from the team store instead of the local journals, through the same query API: <see cref="Queries"/> gives
/// <see cref="SessionQueries"/> over PostgreSQL itself (<see cref="TeamHistoryStore"/>: SQL queries as the login, so
/// row-level security applies, restricted to the host and user asked for).
/// </summary>
internal sealed class TeamQueryOptions
{
    private readonly Option<bool> _team = new("--team") { Description = "Answer from the team store (PostgreSQL): every host and user the login may see (docs/team-store.md)" };
    private readonly Option<string?> _store = new("--team-store") { Description = "The team store to query: a postgresql:// URI or an Npgsql connection string (default: $CFSESSION_TEAM_STORE, else <data>/team-store); implies --team" };
    private readonly Option<string?> _user = new("--user") { Description = "With --team: only what this user recorded" };
    private readonly Option<string?> _host;
    private readonly bool _ownsHost;

    /// <param name="sharedHost">The command's own <c>--host</c> (history, search), else one is added (with --team only).</param>
    public TeamQueryOptions(Option<string?>? sharedHost = null)
    {
        _ownsHost = sharedHost is null;
        _host = sharedHost ?? new Option<string?>("--host") { Description = "With --team: only what was recorded on this host" };
    }

    public void AddTo(Command command)
    {
        command.Options.Add(_team);
        command.Options.Add(_store);
        command.Options.Add(_user);
        if (_ownsHost) command.Options.Add(_host);
    }

    /// <summary>The query API over the local data directory, or (with --team) over the team store's PostgreSQL tables.</summary>
    public SessionQueries Queries(CliContext context, ParseResult parse, bool rescan = false)
    {
        if (Team(context, parse) is not var (address, local, host, user)) return SessionQueries.Open(context.Data(), rescan);
        return SessionQueries.Open(new TeamHistoryStore(new TeamStoreConnection(address), local, host, user));
    }

    /// <summary>With --team: the store, the local data directory and the --host/--user restriction (checked); null without.</summary>
    private (TeamStoreAddress Address, DataDirectory Local, string? Host, string? User)? Team(CliContext context, ParseResult parse)
    {
        bool team = parse.GetValue(_team) || parse.GetValue(_store) is not null;
        string? host = parse.GetValue(_host), user = parse.GetValue(_user);
        if (!team)
        {
            if (user is not null || (_ownsHost && host is not null)) throw new CliUsageException("--user and --host filter the team store: add --team");
            return null;
        }
        var local = context.CreateManager();
        CliLimits.Text(host, InputLimits.MaxFilterTextChars, "--host");
        CliLimits.Text(user, InputLimits.MaxFilterTextChars, "--user");
        foreach (var (value, name) in new[] { (host, "--host"), (user, "--user") })
        {
            // PostgreSQL text cannot hold NUL (and the store keeps none): refused here, not as a server error.
            if (value is not null && value.Contains('\0', StringComparison.Ordinal)) throw new CliUsageException($"{name} holds a NUL character, which no host or user name has");
        }
        return (TeamStoreOptions.Address(context, local.Data, parse.GetValue(_store), "--team-store"), local.Data, host, user);
    }
}
