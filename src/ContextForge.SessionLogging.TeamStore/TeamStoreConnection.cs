using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// Connections to the team store (Npgsql's slim data source: only the features used, so NativeAOT stays small and
/// trim-safe), the schema migrations, and the mapping of failures to what the CLI reports.
/// </summary>
internal sealed class TeamStoreConnection : IDisposable
{
    private readonly NpgsqlDataSource _source;

    public TeamStoreConnection(TeamStoreAddress address)
    {
        Address = address;
        var builder = new NpgsqlSlimDataSourceBuilder(address.Builder.ConnectionString);
        builder.EnableArrays();
        // sslmode and the certificate settings work only with transport security in the slim builder.
        builder.EnableTransportSecurity();
        builder.ConnectionStringBuilder.ApplicationName ??= "cfsession";
        // A server that does not answer is reported within seconds, never waited on for long.
        if (!address.Builder.ContainsKey("Timeout") || address.Builder.Timeout == 15) builder.ConnectionStringBuilder.Timeout = 5;
        _source = builder.Build();
    }

    public TeamStoreAddress Address { get; }

    /// <summary>The schema version this cfsession expects (the newest migration).</summary>
    public static int ExpectedSchemaVersion => TeamStoreMigrations.All[^1].Version;

    /// <summary>Opens a connection; a server that cannot be reached is a <see cref="TeamStoreUnavailableException"/>.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The applied schema version (0: none).</summary>
    public static async Task<int> SchemaVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('cfsession_migrations') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!) return 0;
        }
        await using var cmd = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM cfsession_migrations", connection);
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Throws <see cref="TeamStoreSchemaException"/> unless the schema is the one this cfsession expects.</summary>
    public async Task RequireSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        int version = await SchemaVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        if (version < ExpectedSchemaVersion)
            throw new TeamStoreSchemaException(string.Create(CultureInfo.InvariantCulture,
                $"the team store at {Address.Describe()} has schema version {version}, this cfsession needs {ExpectedSchemaVersion}: run 'cfsession sync --migrate' (as the schema's owner)"));
        if (version > ExpectedSchemaVersion)
            throw new TeamStoreSchemaException(string.Create(CultureInfo.InvariantCulture,
                $"the team store at {Address.Describe()} has schema version {version}, newer than this cfsession knows ({ExpectedSchemaVersion}): upgrade cfsession"));
    }

    /// <summary>Applies the migrations not yet applied, each recorded; one transaction, serialised by an advisory lock. Returns the versions applied.</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await Execute(connection, tx, "SELECT pg_advisory_xact_lock(hashtext('cfsession_migrations'))", cancellationToken).ConfigureAwait(false);
            await Execute(connection, tx, "CREATE TABLE IF NOT EXISTS cfsession_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
            int current = await SchemaVersionAsync(connection, cancellationToken).ConfigureAwait(false);
            var applied = new List<int>();
            foreach (var (version, name, sql) in TeamStoreMigrations.All)
            {
                if (version <= current) continue;
                await Execute(connection, tx, sql, cancellationToken).ConfigureAwait(false);
                if (version == TeamSearchBackfill.Version) await TeamSearchBackfill.RunAsync(connection, tx, cancellationToken).ConfigureAwait(false);
                await using var record = new NpgsqlCommand("INSERT INTO cfsession_migrations (version, name) VALUES ($1, $2)", connection, tx);
                record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
                record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                applied.Add(version);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return applied;
        }
        catch (Exception ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The store's id (from <c>cfsession_store</c>).</summary>
    public static async Task<Guid> StoreIdAsync(NpgsqlConnection connection, CancellationToken cancellationToken = default)
    {
        await using var cmd = new NpgsqlCommand("SELECT store_id FROM cfsession_store LIMIT 1", connection);
        return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, connection, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What a failure means for the user: the server cannot be reached or went away (retry later, exit 75), or a
    /// permission or login problem (exit 77). Null for anything else (a bug: reported as internal). Messages name the
    /// server as <c>host:port/database</c>, never the connection string.
    /// </summary>
    public Exception? Translate(Exception ex)
    {
        switch (ex)
        {
            case TeamStoreUnavailableException or TeamStoreConfigurationException or TeamStoreSchemaException or TeamStorePermissionException or OperationCanceledException:
                return null;
            case PostgresException pg when pg.SqlState is "42501" or "28000" or "28P01":
                return new TeamStorePermissionException($"the team store at {Address.Describe()} refused: {OneLine(pg.MessageText)}");
            case PostgresException pg when pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState == "53300":
                return new TeamStoreUnavailableException($"the team store at {Address.Describe()} is unavailable: {OneLine(pg.MessageText)}", ex);
            case PostgresException pg when pg.SqlState == "3D000":
                return new TeamStoreConfigurationException($"the team store at {Address.Describe()}: {OneLine(pg.MessageText)}");
            case PostgresException:
                return null;
            case NpgsqlException or IOException when Chain(ex).OfType<System.Security.Authentication.AuthenticationException>().FirstOrDefault() is { } tls:
                // Not "try again later": the server's certificate does not verify (sslmode verify-ca/verify-full and
                // sslrootcert), or TLS could not be agreed. A setting to fix, or a server that is not the one named.
                return new TeamStoreConfigurationException($"the team store at {Address.Describe()} failed TLS verification (sslmode={SslMode()}): {OneLine(Innermost(tls).Message)}");
            case NpgsqlException when ex.Message.Contains("SSL", StringComparison.Ordinal) && !Chain(ex).Any(e => e is SocketException or TimeoutException):
                return new TeamStoreConfigurationException($"the team store at {Address.Describe()} and this cfsession do not agree on TLS (sslmode={SslMode()}): {OneLine(ex.Message)}");
            case NpgsqlException or SocketException or IOException or TimeoutException:
                string reason = ex.InnerException is SocketException se ? se.Message : ex.InnerException?.Message ?? ex.Message;
                return new TeamStoreUnavailableException($"cannot reach the team store at {Address.Describe()}: {OneLine(reason)}", ex);
            default:
                return null;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private string SslMode() => Address.Builder.SslMode.ToString().ToLowerInvariant() switch
    {
        "verifyfull" => "verify-full",
        "verifyca" => "verify-ca",
        var mode => mode,
    };

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException) yield return e;
    }

    private static Exception Innermost(Exception ex) => Chain(ex).Last();

    public void Dispose() => _source.Dispose();
}

/// <summary>The team store refused the login or the rows (no such role, not a member of the team's role): exit 77.</summary>
internal sealed class TeamStorePermissionException(string message) : Exception(message);
