using System.Globalization;
using Npgsql;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// Where the team store is: a <c>postgresql://</c> (or <c>postgres://</c>) URI or an Npgsql connection string, from
/// <c>--to</c>/<c>--from</c>, else <c>CFSESSION_TEAM_STORE</c>, else the 0600 file <c>&lt;data&gt;/team-store</c>. The
/// connection string holds a password: it is never logged or shown; <see cref="Describe"/> is what messages name
/// (<c>host:port/database</c>). <c>sslmode</c> (and every other setting) is passed to Npgsql as given.
/// </summary>
internal sealed class TeamStoreAddress
{
    /// <summary>The environment variable naming the team store.</summary>
    public const string EnvironmentVariable = "CFSESSION_TEAM_STORE";

    /// <summary>The file in the data directory that may name the team store (mode 0600 required).</summary>
    public const string FileName = "team-store";

    private TeamStoreAddress(NpgsqlConnectionStringBuilder builder) => Builder = builder;

    /// <summary>The connection settings (holding the password): give them to Npgsql only.</summary>
    public NpgsqlConnectionStringBuilder Builder { get; }

    /// <summary>The server as messages name it: <c>host:port/database</c>, no user, no password.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Builder.Host}:{Builder.Port}/{Builder.Database ?? Builder.Username}");

    /// <summary>A stable key for this server and database (no secrets): names the local sync state.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"{Builder.Host?.ToLowerInvariant()}:{Builder.Port}/{Builder.Database ?? Builder.Username}");

    /// <summary>
    /// The address from <paramref name="given"/> (an option), else the environment, else the data directory's file;
    /// null when none names one.
    /// </summary>
    /// <exception cref="TeamStoreConfigurationException">The text is not an address, or the file is readable by others.</exception>
    public static TeamStoreAddress? Resolve(string? given, string? environment, string dataRoot)
    {
        if (!string.IsNullOrWhiteSpace(given)) return Parse(given, "--to/--from");
        if (!string.IsNullOrWhiteSpace(environment)) return Parse(environment, EnvironmentVariable);
        string file = Path.Combine(dataRoot, FileName);
        if (!File.Exists(file)) return null;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new TeamStoreConfigurationException($"{file} is readable or writable by others: it holds the team store's password; chmod 600 it");
        return Parse(File.ReadAllText(file).Trim(), file);
    }

    /// <summary>Parses a URI or a connection string; the message of a failure never repeats the text.</summary>
    public static TeamStoreAddress Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        try
        {
            var builder = text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                ? FromUri(text)
                : new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.Host)) throw new FormatException("no host");
            return new TeamStoreAddress(builder);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            // The text may hold a password: only its source and the kind of mistake are named.
            throw new TeamStoreConfigurationException($"{source} is not a postgresql:// URI or an Npgsql connection string ({FirstWords(ex.Message)})");
        }
    }

    /// <summary>
    /// <c>postgresql://[user[:password]@]host[:port][/database][?key=value&amp;...]</c> (libpq's form): percent-decoded;
    /// query keys are libpq's or Npgsql's names (<c>sslmode</c>, <c>application_name</c>, <c>connect_timeout</c>...).
    /// </summary>
    private static NpgsqlConnectionStringBuilder FromUri(string text)
    {
        var uri = new Uri(text, UriKind.Absolute);
        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (!uri.IsDefaultPort && uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo is { Length: > 0 } userInfo)
        {
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }
        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).Replace('_', ' ');
            string value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (key.Equals("connect timeout", StringComparison.OrdinalIgnoreCase)) key = "Timeout";
            // libpq's TLS settings, as Npgsql names them (sslmode's values: disable, allow, prefer, require, verify-ca, verify-full).
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase))
            {
                key = "SSL Mode";
                value = value.Replace("-", "", StringComparison.Ordinal);
            }
            key = key.ToLowerInvariant() switch
            {
                "sslrootcert" => "Root Certificate",
                "sslcert" => "SSL Certificate",
                "sslkey" => "SSL Key",
                "sslpassword" => "SSL Password",
                _ => key,
            };
            builder[key] = value; // an unknown key throws ArgumentException
        }
        return builder;
    }

    private static string FirstWords(string message)
    {
        string first = message.ReplaceLineEndings(" ");
        int cut = first.IndexOfAny(['\'', '"']);
        return cut > 0 ? first[..cut].TrimEnd() : first.Length > 80 ? first[..80] : first;
    }
}

/// <summary>The team store is not configured properly (no address, a bad one, an unprotected file, no such team): exit 64 or 78.</summary>
internal sealed class TeamStoreConfigurationException(string message) : Exception(message);

/// <summary>The team store cannot be reached or failed while pushing: nothing is lost, the next sync retries (exit 75).</summary>
internal sealed class TeamStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The team store's schema is older than this cfsession knows, or missing: run <c>cfsession sync --migrate</c> (exit 78).</summary>
internal sealed class TeamStoreSchemaException(string message) : Exception(message);
