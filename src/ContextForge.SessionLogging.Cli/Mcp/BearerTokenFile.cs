using System.Security.Cryptography;
using System.Text;

namespace ContextForge.SessionLogging.Cli.Mcp;

/// <summary>
/// The bearer token of <c>cfsession mcp --http</c>, read from a file only its owner can read (mode 0600): a file that
/// group or others may read or write is refused, so the token is never one another local user could have seen.
/// </summary>
internal static class BearerTokenFile
{
    /// <summary>The token file's name in the data directory when <c>--token-file</c> is not given.</summary>
    public const string DefaultName = "mcp-token";

    /// <summary>A token shorter than this is refused (the default file holds 43 characters: 32 random bytes, base64url).</summary>
    public const int MinLength = 16;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes a new random token to <paramref name="path"/>, created 0600 (never readable by others, not even for a moment).</summary>
    public static void Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        using var file = new FileStream(path, options);
        file.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "\n"));
    }

    /// <summary>The token in <paramref name="path"/> (its first line, trimmed).</summary>
    /// <exception cref="CliConfigurationException">No such file, readable or writable by group or others, or no token in it.</exception>
    public static string Read(string path)
    {
        if (!File.Exists(path))
            throw new CliConfigurationException($"mcp --http: no token file at {path}: write a token of at least {MinLength} characters there, readable by you only (chmod 600)");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & ~(OwnerOnly | UnixFileMode.UserExecute)) != 0)
                throw new CliConfigurationException($"mcp --http: the token file {path} can be read or written by others (mode {Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0')}): run chmod 600 {path}");
        }
        string token;
        try
        {
            using var reader = new StreamReader(path);
            token = (reader.ReadLine() ?? "").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliConfigurationException($"mcp --http: cannot read the token file {path}: {ex.Message}");
        }
        if (token.Length < MinLength)
            throw new CliConfigurationException($"mcp --http: the token file {path} holds no token of at least {MinLength} characters on its first line");
        return token;
    }

    /// <summary>True when <paramref name="authorization"/> is <c>Bearer &lt;token&gt;</c>; compared in constant time (hashes of equal length).</summary>
    public static bool Matches(string? authorization, byte[] expectedHash)
    {
        const string scheme = "Bearer ";
        string given = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorization[scheme.Length..].Trim() : "";
        return CryptographicOperations.FixedTimeEquals(Hash(given), expectedHash);
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
