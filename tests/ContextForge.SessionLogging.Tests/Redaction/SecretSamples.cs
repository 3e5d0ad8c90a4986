using System.Text;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>
/// Generates secrets of the right shape from random characters (never a real secret) and realistic look-alikes that
/// must be kept: git SHAs, UUIDs, hashes, base64 of ordinary text, build-log lines.
/// </summary>
public sealed class SecretSamples(int seed)
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string Alnum = Upper + Lower + Digits;
    private const string B64Url = Alnum + "-_";
    private readonly Random _random = new(seed);

    /// <summary>A positive sample: the line as printed, the secret part that must disappear, and the pattern that must name it.</summary>
    public sealed record Positive(string Pattern, string Line, string Secret);

    public string Chars(string alphabet, int n)
    {
        // At least one upper, one lower and one digit where the alphabet has them, as real generated tokens do.
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.Append(alphabet[_random.Next(alphabet.Length)]);
        if (n >= 3)
        {
            string upper = new(alphabet.Where(char.IsAsciiLetterUpper).ToArray()), lower = new(alphabet.Where(char.IsAsciiLetterLower).ToArray()), digits = new(alphabet.Where(char.IsAsciiDigit).ToArray());
            if (upper.Length > 0) sb[0] = upper[_random.Next(upper.Length)];
            if (lower.Length > 0) sb[1] = lower[_random.Next(lower.Length)];
            if (digits.Length > 0) sb[2] = digits[_random.Next(digits.Length)];
        }
        return sb.ToString();
    }

    private string Hex(int n) => Chars("0123456789abcdef", n);

    private static string B64UrlOf(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>One generated sample of every built-in pattern (some patterns have two forms).</summary>
    public IEnumerable<Positive> OneOfEach()
    {
        string s;
        s = "AKIA" + Chars(Upper + Digits, 16); yield return new("aws_access_key_id", $"export AWS_ACCESS_KEY_ID={s}", s);
        s = Chars(Alnum + "/+", 40); yield return new("aws_secret_access_key", $"aws_secret_access_key = {s}", s);
        s = "ghp_" + Chars(Alnum, 36); yield return new("github_token", $"remote: using token {s} for push", s);
        s = "github_pat_" + Chars(Alnum, 22) + "_" + Chars(Alnum, 59); yield return new("github_token", $"GH={s}", s);
        s = "glpat-" + Chars(Alnum + "_-", 20); yield return new("gitlab_token", $"Authorization: Bearer {s}", s);
        s = "npm_" + Chars(Alnum, 36); yield return new("npm_token", $"//registry.npmjs.org/:_authToken={s}", s);
        s = "pypi-AgEIcHlwaS5vcmc" + Chars(B64Url, 70); yield return new("pypi_token", $"twine upload -u __token__ -P {s}", s);
        s = "oy2" + Chars(Lower + Digits, 43); yield return new("nuget_api_key", $"dotnet nuget push pkg.nupkg -k {s}", s);
        s = $"xoxb-{Chars(Digits, 12)}-{Chars(Digits, 13)}-{Chars(Alnum, 24)}"; yield return new("slack_token", $"SLACK: {s}", s);
        s = $"T{Chars(Upper + Digits, 8)}/B{Chars(Upper + Digits, 8)}/{Chars(Alnum, 24)}"; yield return new("slack_webhook", $"curl -X POST https://hooks.slack.com/services/{s}", s);
        s = "AIza" + Chars(Alnum + "-_", 35); yield return new("google_api_key", $"maps key={s}&v=3", s);
        s = B64UrlOf("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + B64UrlOf($"{{\"sub\":\"{Chars(Digits, 10)}\",\"name\":\"{Chars(Lower, 8)}\"}}") + "." + Chars(B64Url, 43);
        yield return new("jwt", $"token: {s}", s);
        s = Chars(Alnum + "!#%^*", 16); yield return new("url_password", $"connecting to postgres://app_user:{s}@db.internal:5432/app", s);
        s = Chars(Alnum, 20); yield return new("password_argument", $"mysqladmin --password={s} status", s);
        s = Chars(Alnum, 24); yield return new("password_argument", $"vault login --token {s}", s);
        s = Chars(Alnum, 18); yield return new("secret_assignment", $"DB_PASSWORD={s}", s);
        s = Chars(Alnum + "-_", 32); yield return new("secret_assignment", $"  \"client_secret\": \"{s}\",", s);
    }

    /// <summary>A PEM private key block of random base64 lines.</summary>
    public (string Block, IReadOnlyList<string> BodyLines) PrivateKeyBlock(int lines = 5)
    {
        var body = Enumerable.Range(0, lines).Select(_ => Chars(Alnum + "+/", 64)).ToList();
        return ("-----BEGIN RSA PRIVATE KEY-----\n" + string.Join("\n", body) + "\n-----END RSA PRIVATE KEY-----\n", body);
    }

    /// <summary>Lines that look like secrets to a careless matcher and must be kept unchanged.</summary>
    public IEnumerable<string> Negatives()
    {
        yield return $"commit {Hex(40)}";
        yield return $"HEAD is now at {Hex(7)} Fix the build";
        yield return $"Merge: {Hex(7)} {Hex(7)}";
        yield return $"request id {Guid.NewGuid():D}";
        yield return $"sha256:{Hex(64)}  artifacts/app.tar.gz";
        yield return $"Digest: sha256:{Hex(64)}";
        yield return $"\"integrity\": \"sha512-{Convert.ToBase64String(Encoding.UTF8.GetBytes("ordinary package contents " + _random.Next()))}\"";
        yield return $"data: {Convert.ToBase64String(Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog " + _random.Next()))}";
        yield return $"  Compiling serde v1.0.{_random.Next(300)} ({Hex(16)})";
        yield return $"Build succeeded in {_random.Next(100)}.{_random.Next(10)}s; object {Hex(32)}.o";
        yield return "TOKEN_COUNT=100000";
        yield return "max_tokens=4096";
        yield return "password: ********";
        yield return "PASSWORD=$DB_PASSWORD";
        yield return "secret_name=db-credentials";
        yield return "api_key=${API_KEY}";
        yield return "Authorization header missing";
        yield return "https://github.com/contextforge/engine.git";
        yield return "git@github.com:contextforge/engine.git";
        yield return $"ssh -p 2222 build@ci-{_random.Next(99)}.internal";
        yield return "mkdir -p build/output";
        yield return $"Downloaded https://registry.example.org/pkg/-/pkg-{_random.Next(9)}.{_random.Next(9)}.0.tgz";
        yield return $"  at Program.Main(String[] args) in /src/Program.cs:line {_random.Next(500)}";
        yield return $"session {Guid.NewGuid():D} operation {Guid.NewGuid():D}";
        yield return $"AKIAEXAMPLE is not a key; ghp_short is not a token; eyJhbGciOi alone is not a JWT";
        yield return $"token_expiry=3600 password_min_length=12";
        yield return $"x-request-id: {Hex(32)}";
        yield return $"Step 3/9 : RUN apt-get install -y libssl-dev # {Hex(12)}";
    }
}
