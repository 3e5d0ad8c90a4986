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

    /// <summary>
    /// A positive sample: the line as printed, the secret part that must disappear, the rule id that must name it, and
    /// its kind (the token format; a rule may have several).
    /// </summary>
    public sealed record Positive(string Pattern, string Line, string Secret, string? Kind = null)
    {
        /// <summary>The token format this sample is of.</summary>
        public string KindName => Kind ?? Pattern;
    }

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

    private string Digit() => Chars(Digits, 1);

    private byte[] Bytes(int n)
    {
        byte[] b = new byte[n];
        _random.NextBytes(b);
        return b;
    }

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
        s = Chars(Alnum + "-_", 32); yield return new("secret_assignment", $"  \"client_secret\": \"{s}\",", s, "secret_assignment_json");
        foreach (var p in Providers()) yield return p;
    }

    /// <summary>One sample of every token kind added for issue 12: cloud, AI providers, VCS, payments, messaging, registries, observability, databases.</summary>
    public IEnumerable<Positive> Providers()
    {
        string s;
        // Cloud
        s = "ASIA" + Chars(Upper + Digits, 16); yield return new("aws_access_key_id", $"aws_access_key_id: {s}", s, "aws_session_key_id");
        s = Chars(Alnum + "/+", 40); yield return new("aws_secret_access_key", $"    \"SecretAccessKey\": \"{s}\",", s, "aws_secret_access_key_json");
        s = Chars(Alnum + "+/", 86) + "=="; yield return new("azure_storage_account_key", $"DefaultEndpointsProtocol=https;AccountName=acct{Digit()};AccountKey={s};EndpointSuffix=core.windows.net", s);
        s = Chars(Alnum + "+/", 43) + "="; yield return new("azure_shared_access_key", $"Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={s}", s);
        s = Chars(Alnum, 40) + "%2B" + Chars(Alnum, 3) + "%3D"; yield return new("azure_sas_token", $"GET https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-12-01T00:00:00Z&sig={s} 200", s);
        s = Chars(Alnum, 3) + Digit() + "Q~" + Chars(Alnum + "_~.-", 33) + Chars(Alnum, 1); yield return new("azure_client_secret", $"client secret: {s}", s);
        s = "AIza" + Chars(Alnum + "-_", 35); yield return new("google_api_key", $"export GEMINI_API_KEY={s}", s, "google_ai_api_key");
        // AI providers
        s = "sk-ant-api03-" + Chars(B64Url, 93) + "AA"; yield return new("anthropic_api_key", $"ANTHROPIC_API_KEY={s}", s);
        s = "sk-ant-admin01-" + Chars(B64Url, 93) + "AA"; yield return new("anthropic_api_key", $"x-api-key: {s}", s, "anthropic_admin_key");
        s = "sk-proj-" + Chars(B64Url, 74) + "T3BlbkFJ" + Chars(B64Url, 74); yield return new("openai_api_key", $"OPENAI_API_KEY={s}", s, "openai_project_key");
        s = "sk-svcacct-" + Chars(B64Url, 58) + "T3BlbkFJ" + Chars(B64Url, 58); yield return new("openai_api_key", $"using key {s}", s, "openai_service_account_key");
        s = "sk-" + Chars(Alnum, 20) + "T3BlbkFJ" + Chars(Alnum, 20); yield return new("openai_api_key", $"openai.api_key = '{s}'", s, "openai_user_key");
        s = "sk-admin-" + Chars(B64Url, 60); yield return new("openai_api_key", $"admin key {s}", s, "openai_admin_key");
        s = "hf_" + Chars(Upper + Lower, 34); yield return new("huggingface_token", $"huggingface-cli login --token {s}", s);
        s = "api_org_" + Chars(Upper + Lower, 34); yield return new("huggingface_token", $"HF org token {s}", s, "huggingface_org_token");
        s = Chars(Alnum, 40); yield return new("cohere_api_key", $"COHERE_API_KEY={s}", s);
        s = "gsk_" + Chars(Alnum, 52); yield return new("groq_api_key", $"GROQ_API_KEY={s}", s);
        s = "r8_" + Chars(Alnum, 37); yield return new("replicate_api_token", $"export REPLICATE_API_TOKEN={s}", s);
        s = "pplx-" + Chars(Alnum, 48); yield return new("perplexity_api_key", $"Authorization: Bearer {s}", s);
        s = "xai-" + Chars(Alnum, 80); yield return new("xai_api_key", $"XAI_API_KEY={s}", s);
        // Version control
        s = "gho_" + Chars(Alnum, 36); yield return new("github_token", $"oauth token {s}", s, "github_oauth");
        s = "ghs_" + Chars(Alnum, 36); yield return new("github_token", $"git clone https://x-access-token:{s}@github.com/o/r.git", s, "github_app_token");
        s = "glrt-" + Chars(Alnum + "_-", 20); yield return new("gitlab_token", $"gitlab-runner register --token {s}", s, "gitlab_runner_token");
        s = "ATATT3" + Chars(B64Url + "=", 186); yield return new("atlassian_api_token", $"JIRA_API_TOKEN={s}", s);
        s = "ATBB" + Chars(Alnum, 32); yield return new("bitbucket_app_password", $"app password {s}", s);
        s = Chars(Alnum, 64); yield return new("bitbucket_client_secret", $"BITBUCKET_CLIENT_SECRET={s}", s);
        // Payments
        s = "sk_live_" + Chars(Alnum, 24); yield return new("stripe_secret_key", $"Stripe.api_key = \"{s}\"", s);
        s = "rk_live_" + Chars(Alnum, 24); yield return new("stripe_restricted_key", $"STRIPE_RESTRICTED={s}", s);
        s = "whsec_" + Chars(Alnum, 32); yield return new("stripe_webhook_secret", $"Ready! Your webhook signing secret is {s} (^C to quit)", s);
        s = "sq0atp-" + Chars(B64Url, 22); yield return new("square_access_token", $"square token {s}", s);
        s = "EAAA" + Chars(B64Url, 60); yield return new("square_access_token", $"SQUARE_ACCESS_TOKEN: {s}", s, "square_access_token_eaaa");
        s = "sq0csp-" + Chars(B64Url, 43); yield return new("square_secret", $"app secret {s}", s);
        s = "access_token$production$" + Chars(Lower + Digits, 16) + "$" + Hex(32); yield return new("braintree_access_token", $"BRAINTREE={s}", s);
        s = Chars(B64Url, 80); yield return new("paypal_client_secret", $"PAYPAL_CLIENT_SECRET={s}", s);
        s = "shpat_" + Hex(32); yield return new("shopify_token", $"X-Shopify-Access-Token: {s}", s);
        // Messaging
        s = $"xapp-1-A{Chars(Upper + Digits, 10)}-{Chars(Digits, 13)}-{Chars(Lower + Digits, 64)}"; yield return new("slack_token", $"SLACK_APP_TOKEN={s}", s, "slack_app_token");
        s = Chars(B64Url, 68); yield return new("discord_webhook", $"POST https://discord.com/api/webhooks/{Chars(Digits, 18)}/{s}", s);
        s = "M" + Chars(Alnum, 25) + "." + Chars(B64Url, 6) + "." + Chars(Alnum, 38); yield return new("discord_bot_token", $"DISCORD_BOT_TOKEN={s}", s);
        s = Chars(Digits, 10) + ":AA" + Chars(Alnum, 33); yield return new("telegram_bot_token", $"curl https://api.telegram.org/bot{s}/getMe", s);
        s = Chars(Digits, 10) + ":AA" + Chars(Alnum, 33); yield return new("telegram_bot_token", $"TELEGRAM_BOT_TOKEN={s}", s, "telegram_bot_token_env");
        s = "SK" + Hex(32); yield return new("twilio_api_key", $"TWILIO_API_KEY={s}", s);
        s = "SG." + Chars(B64Url, 22) + "." + Chars(B64Url, 43); yield return new("sendgrid_api_key", $"sendgrid key {s}", s);
        s = "key-" + Hex(32); yield return new("mailgun_api_key", $"curl -s --user 'api:{s}' https://api.mailgun.net/v3/example.org/messages", s);
        s = Hex(32) + "-us" + Chars(Digits, 2); yield return new("mailchimp_api_key", $"MAILCHIMP_API_KEY={s}", s);
        // Package registries
        s = "dckr_pat_" + Chars(B64Url, 27); yield return new("docker_hub_token", $"echo {s} | docker login -u me --password-stdin", s);
        s = "rubygems_" + Hex(48); yield return new("rubygems_api_key", $":rubygems_api_key: {s}", s);
        // Observability
        s = Hex(32); yield return new("datadog_key", $"DD_API_KEY={s}", s);
        s = Hex(40); yield return new("datadog_key", $"datadog_app_key: {s}", s, "datadog_app_key");
        s = "NRAK-" + Chars(Upper + Digits, 27); yield return new("new_relic_key", $"NEW_RELIC_API_KEY={s}", s);
        s = Hex(36) + "NRAL"; yield return new("new_relic_license_key", $"license_key: {s}", s);
        s = Hex(32); yield return new("sentry_dsn", $"SENTRY_DSN=https://{s}@o{Chars(Digits, 6)}.ingest.sentry.io/{Chars(Digits, 7)}", s);
        s = "sntryu_" + Hex(64); yield return new("sentry_token", $"SENTRY_AUTH_TOKEN={s}", s);
        // Other services from gitleaks' default set
        s = "hvs." + Chars(B64Url, 90); yield return new("vault_token", $"VAULT_TOKEN={s}", s);
        s = "dop_v1_" + Hex(64); yield return new("digitalocean_token", $"doctl auth init -t {s}", s);
        s = "AGE-SECRET-KEY-1" + Chars("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58); yield return new("age_secret_key", s, s);
        s = "pul-" + Hex(40); yield return new("pulumi_token", $"PULUMI_ACCESS_TOKEN={s}", s);
        s = "glsa_" + Chars(Alnum, 32) + "_" + Hex(8); yield return new("grafana_token", $"grafana sa token {s}", s);
        s = "PMAK-" + Hex(24) + "-" + Hex(34); yield return new("postman_api_key", $"postman key {s}", s);
        s = "dapi" + Hex(32); yield return new("databricks_token", $"DATABRICKS_TOKEN={s}", s);
        s = "dp.pt." + Chars(Alnum, 43); yield return new("doppler_token", $"DOPPLER_TOKEN={s}", s);
        s = "lin_api_" + Chars(Alnum, 40); yield return new("linear_api_key", $"linear key {s}", s);
        // Databases
        s = Chars(Alnum + "!#%^*", 16); yield return new("url_password", $"MONGO_URL=mongodb+srv://app:{s}@cluster0.abcde.mongodb.net/db?retryWrites=true", s, "mongodb_url");
        s = Chars(Alnum, 20); yield return new("url_password", $"redis-cli -u redis://:{s}@cache.internal:6379/0 ping", s, "redis_url");
        s = Chars(Alnum, 20); yield return new("url_password", $"mysql://root:{s}@127.0.0.1:3306/app", s, "mysql_url");
        s = Chars(Alnum + "!#%", 14); yield return new("connection_string_password", $"Server=db1;Database=app;User Id=sa;Password={s};TrustServerCertificate=true", s, "sqlserver_connection_string");
        s = Chars(Alnum, 14); yield return new("connection_string_password", $"jdbc:sqlserver://db1:1433;databaseName=app;user=sa;password={s}", s, "jdbc_connection_string");
        s = Chars(Alnum, 14); yield return new("connection_string_password", $"Host=pg1;Username=app;Pwd={s};Database=app", s, "npgsql_connection_string");
        // Generic
        s = Chars(Alnum, 16); yield return new("password_argument", $"mysql -u root -p{s} app", s, "mysql_p_flag");
        s = Chars(Alnum, 16); yield return new("password_argument", $"sshpass -p {s} ssh deploy@build-1", s, "sshpass_p_flag");
        s = Chars(B64Url, 40); yield return new("bearer_token", $"> Authorization: Bearer {s}", s);
        s = Chars(Alnum, 24); yield return new("secret_assignment", $"MY_SERVICE_KEY={s}", s, "secret_assignment_key_suffix");
        s = Chars(Alnum, 24); yield return new("secret_assignment", $"  apiKey: \"{s}\"", s, "secret_assignment_apikey");
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
        foreach (string n in LookAlikes()) yield return n;
    }

    /// <summary>
    /// Realistic text that resembles a secret: identifiers, hashes, integrity strings of random bytes, source lines
    /// that name tokens and keys, and near misses of every prefix (too short, wrong alphabet, inside a word).
    /// </summary>
    public IEnumerable<string> LookAlikes()
    {
        yield return $"\"integrity\": \"sha512-{Convert.ToBase64String(Bytes(64))}\",";
        yield return $"\"integrity\": \"sha1-{Convert.ToBase64String(Bytes(20))}\"";
        yield return $"  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#{Hex(40)}\"";
        yield return $"{Convert.ToBase64String(Bytes(57))}";
        yield return $"blob {Convert.ToBase64String(Bytes(45)).Replace('+', '-').Replace('/', '_')}";
        yield return $"{Hex(64)}  dist/app-linux-x64.tar.gz";
        yield return $"[{Guid.NewGuid():N}] request finished in 12ms";
        yield return "    token = self._tokens[self._pos]";
        yield return "AUTH_TOKEN = getAuthToken()";
        yield return "const apiKey = process.env.OPENAI_API_KEY;";
        yield return "    password_hash = hashlib.sha256(password.encode()).hexdigest()";
        yield return "        if key in self._cache: return self._cache[key]";
        yield return "function(e,t){var n=e.token||t.key;return n.secret?n:null}";
        yield return "drwxr-xr-x  2 root root  4096 Jan  1 00:00 secrets";
        yield return "-rw-r--r--  1 root root  1234 Jan  1 00:00 api_key.py";
        yield return "Downloading tokenizers-0.15.0-cp311-cp311-manylinux_2_17_x86_64.whl (3.6 MB)";
        yield return "Content-Language: en-US";
        yield return "  \"test\": \"jest --passWithNoTests\"";
        yield return "run task-runner --disk-usage --desk-top";
        yield return "echo $GITHUB_TOKEN | gh auth login --with-token";
        yield return "password: ${{ secrets.DOCKERHUB_TOKEN }}";
        yield return "TOKEN_LIMIT=8192; MAX_KEYS=1000";
        yield return "?sig=abc123&sv=2020";
        yield return "Bearer realm=\"api\"";
        yield return "Authorization: Bearer <token>";
        foreach (string prefix in new[] { "ghp_", "gho_", "github_pat_", "glpat-", "npm_", "sk-", "sk-ant-api03-", "sk-proj-", "sk_live_", "rk_test_", "whsec_", "xoxb-", "hf_", "gsk_", "r8_", "pplx-", "xai-", "AIza", "AKIA", "SG.", "dckr_pat_", "rubygems_", "NRAK-", "sntryu_", "hvs.", "dop_v1_", "pul-", "glsa_", "PMAK-", "dapi", "dp.pt.", "lin_api_", "shpat_", "sq0atp-", "sq0csp-", "ATBB", "oy2", "key-" })
            yield return $"near miss {prefix}{Chars(Lower, 8)} ok";
        yield return $"AKIA{Chars(Lower, 16)} is lower case";
        yield return $"eyJhbGciOiJIUzI1NiJ9 alone";
        yield return $"{Hex(31)}-us1 is one digit short";
    }
}
