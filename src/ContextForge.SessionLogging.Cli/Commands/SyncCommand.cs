using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.TeamStore;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession sync [--to URL] [--team NAME] [--status] [--migrate] [--json]</c>: pushes every journal line and blob
/// not yet on the team store (PostgreSQL); <c>--status</c> says what is pending without connecting; <c>--migrate</c>
/// applies the schema migrations. docs/team-store.md.
/// </summary>
internal static class SyncCommand
{
    /// <summary>The lock one sync of a data directory holds (another waits, a background one gives up).</summary>
    public const string LockFileName = "team-sync.lock";

    /// <summary>Where a background sync (after <c>run</c>) writes its one-line failures.</summary>
    public const string BackgroundLogFileName = "team-sync.log";

    public static Command Create(CliContext context)
    {
        var to = new Option<string?>("--to") { Description = $"The team store: a postgresql:// URI or an Npgsql connection string (default: ${TeamStoreAddress.EnvironmentVariable}, else <data>/team-store)" };
        var team = new Option<string?>("--team") { Description = $"The team the rows are stored with (default: ${TeamStoreOptions.TeamVariable}, else '{TeamStoreOptions.DefaultTeam}')" };
        var status = new Option<bool>("--status") { Description = "Say what is not yet pushed (no connection needed), and how the last sync ended" };
        var migrate = new Option<bool>("--migrate") { Description = "Apply the team store's schema migrations (as the schema's owner), then exit" };
        var full = new Option<bool>("--full") { Description = "Send every line again, ignoring what this machine recorded as pushed (the server keeps one copy): after the server was restored from a backup" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var background = new Option<bool>("--background") { Description = "Run as the automatic push after 'run' does: failures go to <data>/team-sync.log, and it gives way to a running sync", Hidden = true };
        var command = new Command("sync", "Push the journals (lines and blobs) to the team store (PostgreSQL), resuming where the last sync stopped")
        {
            to, team, status, migrate, full, json, background,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var manager = context.CreateManager();
            var data = manager.Data;
            bool inBackground = parse.GetValue(background);
            try
            {
                var address = TeamStoreOptions.Address(context, data, parse.GetValue(to), "--to");
                string teamName = TeamStoreOptions.Team(context, parse.GetValue(team));
                string key = JournalSync.StateKey(address, teamName);
                if (parse.GetValue(status)) return Status(context, data, address, teamName, key, parse.GetValue(json));
                using var connection = new TeamStoreConnection(address);
                if (parse.GetValue(migrate))
                {
                    var applied = await connection.MigrateAsync(cancellationToken).ConfigureAwait(false);
                    int version = TeamStoreConnection.ExpectedSchemaVersion;
                    context.WriteRaw((applied.Count == 0
                        ? string.Create(CultureInfo.InvariantCulture, $"the team store at {address.Describe()} is at schema version {version}: nothing to apply")
                        : string.Create(CultureInfo.InvariantCulture, $"applied migrations {string.Join(", ", applied)} to the team store at {address.Describe()} (schema version {version})")) + Environment.NewLine);
                    return (int)ExitCodes.Success;
                }
                using var syncLock = AcquireLock(data, wait: !inBackground);
                if (syncLock is null) return (int)ExitCodes.Success; // a sync is running: it pushes what this one would
                var result = await new JournalSync(data, connection, SyncTuning(context, teamName) with { Full = parse.GetValue(full) }).PushAsync(cancellationToken).ConfigureAwait(false);
                if (inBackground) return (int)ExitCodes.Success;
                Report(context, address, teamName, result, parse.GetValue(json));
                return (int)ExitCodes.Success;
            }
            catch (Exception ex) when (ex is TeamStoreUnavailableException or TeamStorePermissionException or TeamStoreSchemaException or TeamStoreConfigurationException)
            {
                var code = ex switch
                {
                    TeamStoreUnavailableException => ExitCodes.TeamStoreUnavailable,
                    TeamStorePermissionException => ExitCodes.TeamStoreNotPermitted,
                    _ => ExitCodes.Configuration,
                };
                string message = ex.Message;
                if (ex is TeamStorePermissionException) message += $" (the login must be a member of the role cfsession_team_{TeamStoreOptions.Team(context, parse.GetValue(team))}: docs/team-store.md)";
                if (ex is TeamStoreUnavailableException or TeamStorePermissionException)
                {
                    try
                    {
                        var address = TeamStoreOptions.Address(context, data, parse.GetValue(to), "--to");
                        var pending = JournalSync.Pending(data, JournalSync.StateKey(address, TeamStoreOptions.Team(context, parse.GetValue(team))));
                        message += string.Create(CultureInfo.InvariantCulture, $"; nothing lost: {pending.Segments} segments ({pending.Bytes} bytes) stay pending for the next sync");
                    }
                    catch (Exception inner) when (inner is IOException or Microsoft.Data.Sqlite.SqliteException) { }
                }
                if (inBackground)
                {
                    AppendBackgroundLog(data, message);
                    return (int)code;
                }
                return context.Fail(code, message);
            }
        });
        return command;
    }

    /// <summary>Batch sizes: the defaults, or CFSESSION_SYNC_BATCH_LINES (tests use small batches to interrupt a sync mid-way).</summary>
    private static SyncOptions SyncTuning(CliContext context, string team)
    {
        var options = new SyncOptions { Team = team };
        if (int.TryParse(context.GetEnvironment("CFSESSION_SYNC_BATCH_LINES"), NumberStyles.None, CultureInfo.InvariantCulture, out int lines) && lines > 0)
            options = options with { BatchLines = lines };
        // The benchmark's baseline (benchmarks/run-team-store.sh): batched INSERTs instead of COPY.
        if (string.Equals(context.GetEnvironment("CFSESSION_SYNC_METHOD"), "insert", StringComparison.OrdinalIgnoreCase))
            options = options with { Method = SyncMethod.Insert };
        return options;
    }

    private static int Status(CliContext context, DataDirectory data, TeamStoreAddress address, string team, string key, bool json)
    {
        var pending = JournalSync.Pending(data, key);
        if (json)
        {
            context.WriteRaw(new JsonObject
            {
                ["schema_version"] = Query.SessionQueries.SchemaVersion,
                ["store"] = address.Describe(),
                ["team"] = team,
                ["pending_segments"] = pending.Segments,
                ["pending_sessions"] = pending.Sessions,
                ["pending_bytes"] = pending.Bytes,
                ["last_sync"] = pending.Store.LastSync,
                ["last_error"] = pending.Store.LastError,
            }.ToJsonString(CliJson.Indented) + Environment.NewLine);
            return (int)ExitCodes.Success;
        }
        var lines = new List<string>
        {
            $"team store: {address.Describe()} as team {team}",
            pending.Segments == 0 ? "pending: nothing" : string.Create(CultureInfo.InvariantCulture, $"pending: {pending.Segments} segments of {pending.Sessions} sessions, {pending.Bytes} bytes"),
            $"last sync: {pending.Store.LastSync ?? "never"}",
        };
        if (pending.Store.LastError is { } error) lines.Add($"last failure: {error}");
        context.WriteRaw(string.Join(Environment.NewLine, lines) + Environment.NewLine);
        return (int)ExitCodes.Success;
    }

    private static void Report(CliContext context, TeamStoreAddress address, string team, SyncResult r, bool json)
    {
        if (json)
        {
            context.WriteRaw(new JsonObject
            {
                ["schema_version"] = Query.SessionQueries.SchemaVersion,
                ["store"] = address.Describe(),
                ["team"] = team,
                ["lines_sent"] = r.LinesSent,
                ["lines_inserted"] = r.LinesInserted,
                ["blobs_sent"] = r.BlobsSent,
                ["blob_bytes_sent"] = r.BlobBytesSent,
                ["segments_read"] = r.SegmentsRead,
                ["unreadable_lines"] = r.UnreadableLines,
                ["batches"] = r.Batches,
                ["elapsed_ms"] = Math.Round(r.Elapsed.TotalMilliseconds, 1),
            }.ToJsonString(CliJson.Indented) + Environment.NewLine);
            return;
        }
        string text = r.LinesSent == 0 && r.UnreadableLines == 0
            ? $"the team store at {address.Describe()} (team {team}) has every line: nothing to push"
            : string.Create(CultureInfo.InvariantCulture,
                $"pushed {r.LinesSent} lines ({r.LinesInserted} new) and {r.BlobsSent} blobs ({r.BlobBytesSent} bytes) from {r.SegmentsRead} segments to {address.Describe()} as team {team} in {r.Elapsed.TotalSeconds:0.00} s{(r.UnreadableLines > 0 ? $"; {r.UnreadableLines} unreadable lines not pushed ('cfsession validate --all' lists them)" : "")}");
        context.WriteRaw(text + Environment.NewLine);
    }

    /// <summary>The data directory's sync lock; null when <paramref name="wait"/> is false and another sync holds it.</summary>
    private static FileStream? AcquireLock(DataDirectory data, bool wait)
    {
        FileSecurity.CreatePrivateDirectory(data.Root);
        string path = Path.Combine(data.Root, LockFileName);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                return FileSecurity.OpenPrivateLockFile(path);
            }
            catch (IOException) when (!wait || DateTime.UtcNow < deadline)
            {
                if (!wait) return null;
                Thread.Sleep(100);
            }
        }
    }

    private static void AppendBackgroundLog(DataDirectory data, string message)
    {
        try
        {
            using var log = FileSecurity.OpenAppendPrivateFile(Path.Combine(data.Root, BackgroundLogFileName));
            byte[] line = System.Text.Encoding.UTF8.GetBytes(SessionManager.FormatTime(DateTimeOffset.UtcNow) + " " + message.ReplaceLineEndings(" ") + "\n");
            log.Write(line);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
