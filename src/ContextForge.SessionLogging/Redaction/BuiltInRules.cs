using System.Numerics;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>
/// The built-in rules: source-generated regexes (NativeAOT interprets <c>RegexOptions.Compiled</c>), each anchored with
/// <c>\G</c> at one of its keywords, so a match can only begin where the needle scan found a keyword. Written for this
/// project from the token formats the providers document; the coverage follows gitleaks' default set (the aliases name
/// the gitleaks rules each one covers). docs/redaction.md has the table.
/// </summary>
internal static partial class BuiltInRules
{
    // Not part of a longer token on the left / right.
    private const string Pre = @"(?<![A-Za-z0-9_-])";
    private const string Post = @"(?![A-Za-z0-9_-])";

    // After a provider's name: the rest of a variable name, an optional quote, an assignment, an optional quote.
    private const string Ctx = @"[A-Za-z0-9_.-]{0,30}[""']?\s{0,3}(?::=|=>|=|:)\s{0,3}[""'`]?";

    private const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>The end of a PEM/OpenSSH private key block.</summary>
    [GeneratedRegex(@"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----", Options)]
    internal static partial Regex PrivateKeyEnd();

    [GeneratedRegex(@"\G-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?<secret>[\s\S]*?)(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|\r?$)", Options)]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])", Options)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"\G(?:(?<=(?i:aws)[_-]?)(?i:secret)[_-]?(?:(?i:access)[_-]?)?(?i:key)|(?i:secret)_?(?i:access)_?(?i:key))[""']?\s*[:=]\s*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])", Options)]
    private static partial Regex AwsSecretAccessKey();

    [GeneratedRegex(@"\G(?i:AccountKey)=(?<secret>[A-Za-z0-9+/]{86}==)", Options)]
    private static partial Regex AzureStorageAccountKey();

    [GeneratedRegex(@"\G(?<=(?i:Shared))(?i:AccessKey)=(?<secret>[A-Za-z0-9+/]{42,44}=?)", Options)]
    private static partial Regex AzureSharedAccessKey();

    [GeneratedRegex(@"\G(?<=[?&;])sig=(?<secret>[A-Za-z0-9%+/]{40,}(?:%3D|=){0,2})", Options)]
    private static partial Regex AzureSasToken();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])", Options)]
    private static partial Regex AzureClientSecret();

    [GeneratedRegex(@"\G" + Pre + "AIza[0-9A-Za-z_-]{35}" + Post, Options)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\G" + Pre + "sk-ant-(?:api|admin|sid)[0-9]{2}-[A-Za-z0-9_-]{80,120}" + Post, Options)]
    private static partial Regex AnthropicApiKey();

    [GeneratedRegex(@"\G" + Pre + "sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}" + Post + @"|\G" + Pre + "sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,250}" + Post, Options)]
    private static partial Regex OpenAiApiKey();

    [GeneratedRegex(@"\G" + Pre + "(?:hf_|api_org_)[A-Za-z]{34}" + Post, Options)]
    private static partial Regex HuggingFaceToken();

    [GeneratedRegex(@"\G(?i:cohere|co_api_key)" + Ctx + "(?<secret>[A-Za-z0-9]{40})" + Post, Options)]
    private static partial Regex CohereApiKey();

    [GeneratedRegex(@"\G" + Pre + "gsk_[A-Za-z0-9]{52}" + Post, Options)]
    private static partial Regex GroqApiKey();

    [GeneratedRegex(@"\G" + Pre + "r8_[A-Za-z0-9]{37}" + Post, Options)]
    private static partial Regex ReplicateApiToken();

    [GeneratedRegex(@"\G" + Pre + "pplx-[A-Za-z0-9]{48}" + Post, Options)]
    private static partial Regex PerplexityApiKey();

    [GeneratedRegex(@"\G" + Pre + "xai-[A-Za-z0-9]{80}" + Post, Options)]
    private static partial Regex XaiApiKey();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])", Options)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\G" + Pre + "(?:(?:glpat|gldt|glrt|glptt|glcbt|glft|glimt|glsoat|glagent|gloas|glffct)-[A-Za-z0-9_-]{20,255}|GR1348941[A-Za-z0-9_-]{20,64})" + Post, Options)]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"\G" + Pre + "AT[AC]TT3[A-Za-z0-9_=-]{60,300}(?![A-Za-z0-9_=-])", Options)]
    private static partial Regex AtlassianApiToken();

    // Not inside base64 (a '+' or '/' on either side): random base64 holds "ATBB" and 28 more token characters about
    // once per GiB (benchmarks/RedactionScan fuzz).
    [GeneratedRegex(@"\G(?<![A-Za-z0-9_+/-])ATBB[A-Za-z0-9_=-]{28,64}(?![A-Za-z0-9_=+/-])", Options)]
    private static partial Regex BitbucketAppPassword();

    [GeneratedRegex(@"\G(?i:bitbucket)" + Ctx + "(?<secret>[A-Za-z0-9=_-]{32,64})" + Post, Options)]
    private static partial Regex BitbucketClientSecret();

    [GeneratedRegex(@"\G" + Pre + "sk_(?:live|test|prod)_[A-Za-z0-9]{10,247}" + Post, Options)]
    private static partial Regex StripeSecretKey();

    [GeneratedRegex(@"\G" + Pre + "rk_(?:live|test|prod)_[A-Za-z0-9]{10,247}" + Post, Options)]
    private static partial Regex StripeRestrictedKey();

    [GeneratedRegex(@"\G" + Pre + "whsec_[A-Za-z0-9+/]{32,88}" + Post, Options)]
    private static partial Regex StripeWebhookSecret();

    [GeneratedRegex(@"\G" + Pre + "(?:sq0atp-[A-Za-z0-9_-]{22}|EAAA[A-Za-z0-9_-]{60})" + Post, Options)]
    private static partial Regex SquareAccessToken();

    [GeneratedRegex(@"\G" + Pre + "sq0csp-[A-Za-z0-9_-]{43}" + Post, Options)]
    private static partial Regex SquareSecret();

    [GeneratedRegex(@"\Gaccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}" + Post, Options)]
    private static partial Regex BraintreeAccessToken();

    [GeneratedRegex(@"\G(?i:paypal)" + Ctx + "(?<secret>[A-Za-z0-9_-]{80})" + Post, Options)]
    private static partial Regex PayPalClientSecret();

    [GeneratedRegex(@"\G" + Pre + "shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + Post, Options)]
    private static partial Regex ShopifyToken();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])(?:xox[abposre]-[A-Za-z0-9-]{10,250}|xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{100,250}|xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]{30,})", Options)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\Ghooks\.slack\.com/(?:services|workflows|triggers)/(?<secret>T[A-Za-z0-9_]+/[AB][A-Za-z0-9_]+/[A-Za-z0-9_]+|[A-Za-z0-9+/_]{43,56})", Options)]
    private static partial Regex SlackWebhook();

    [GeneratedRegex(@"\G(?<=discord(?:app)?\.com/)api/webhooks/[0-9]{17,20}/(?<secret>[A-Za-z0-9_-]{60,68})" + Post, Options)]
    private static partial Regex DiscordWebhook();

    [GeneratedRegex(@"\G(?i:discord)" + Ctx + @"(?<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}|[a-f0-9]{64})" + Post, Options)]
    private static partial Regex DiscordBotToken();

    [GeneratedRegex(@"\G(?:api\.telegram\.org/bot(?<secret>[0-9]{5,16}:A[A-Za-z0-9_-]{34})|(?i:telegram)" + Ctx + "(?<secret>[0-9]{5,16}:A[A-Za-z0-9_-]{34}))" + Post, Options)]
    private static partial Regex TelegramBotToken();

    [GeneratedRegex(@"\G(?i:twilio)" + Ctx + "(?<secret>SK[0-9a-fA-F]{32}|[0-9a-f]{32})" + Post, Options)]
    private static partial Regex TwilioApiKey();

    [GeneratedRegex(@"\G" + Pre + @"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + Post, Options)]
    private static partial Regex SendGridApiKey();

    [GeneratedRegex(@"\G(?:" + Pre + "(?<secret>key-[0-9a-f]{32})|(?i:mailgun)" + Ctx + "(?<secret>(?:key-)?[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}))" + Post, Options)]
    private static partial Regex MailgunApiKey();

    [GeneratedRegex(@"\G" + Pre + "[0-9a-f]{32}-us[0-9]{1,2}" + Post, Options)]
    private static partial Regex MailchimpApiKey();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", Options)]
    private static partial Regex NpmToken();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", Options)]
    private static partial Regex PyPiToken();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])oy2[a-z0-9]{43}(?![A-Za-z0-9_])", Options)]
    private static partial Regex NuGetApiKey();

    [GeneratedRegex(@"\G" + Pre + "dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,64}" + Post, Options)]
    private static partial Regex DockerHubToken();

    [GeneratedRegex(@"\G" + Pre + "rubygems_[a-f0-9]{48}" + Post, Options)]
    private static partial Regex RubyGemsApiKey();

    [GeneratedRegex(@"\G(?i:datadog|dd_api_key|dd_app_key|dd_application_key)" + Ctx + "(?<secret>[a-f0-9]{40}|[a-f0-9]{32})" + Post, Options)]
    private static partial Regex DatadogKey();

    [GeneratedRegex(@"\G" + Pre + "(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9_-]{32}|NRAA-[a-f0-9]{27})" + Post, Options)]
    private static partial Regex NewRelicKey();

    [GeneratedRegex(@"\G" + Pre + "[a-f0-9]{36}NRAL" + Post, Options)]
    private static partial Regex NewRelicLicenseKey();

    [GeneratedRegex(@"\G(?<=https?)://(?<secret>[a-f0-9]{32})(?::[a-f0-9]{32})?@[A-Za-z0-9.-]*sentry[A-Za-z0-9.-]*(?::[0-9]+)?/[0-9]+", Options)]
    private static partial Regex SentryDsn();

    [GeneratedRegex(@"\G" + Pre + "(?:sntrys_eyJ[A-Za-z0-9+/=_-]{80,}|sntryu_[a-f0-9]{64})" + Post, Options)]
    private static partial Regex SentryToken();

    [GeneratedRegex(@"\G" + Pre + @"hv[sb]\.[A-Za-z0-9_-]{90,200}" + Post, Options)]
    private static partial Regex VaultToken();

    [GeneratedRegex(@"\G" + Pre + "do[opr]_v1_[a-f0-9]{64}" + Post, Options)]
    private static partial Regex DigitalOceanToken();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", Options)]
    private static partial Regex AgeSecretKey();

    [GeneratedRegex(@"\G" + Pre + "pul-[a-f0-9]{40}" + Post, Options)]
    private static partial Regex PulumiToken();

    [GeneratedRegex(@"\G" + Pre + "(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})" + Post, Options)]
    private static partial Regex GrafanaToken();

    [GeneratedRegex(@"\G" + Pre + "PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + Post, Options)]
    private static partial Regex PostmanApiKey();

    [GeneratedRegex(@"\G" + Pre + "dapi[a-f0-9]{32}(?:-[0-9])?" + Post, Options)]
    private static partial Regex DatabricksToken();

    [GeneratedRegex(@"\G" + Pre + @"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}" + Post, Options)]
    private static partial Regex DopplerToken();

    [GeneratedRegex(@"\G" + Pre + "lin_api_[A-Za-z0-9]{40}" + Post, Options)]
    private static partial Regex LinearApiKey();

    [GeneratedRegex(@"\G(?<=[A-Za-z][A-Za-z0-9+.-]{1,20})://[^\s:/@""']{0,256}:(?<secret>[^\s@/""']{1,256})@", Options)]
    private static partial Regex UrlPassword();

    // ADO.NET/JDBC/ODBC connection strings: Password=/Pwd= next to a ';'.
    [GeneratedRegex(@"\G(?:(?<=;\s*)(?i:password|pwd)\s*=\s*(?<secret>""[^""\r\n]*""|'[^'\r\n]*'|[^;""'\s]+)|" + Pre + @"(?i:password|pwd)\s*=\s*(?<secret>""[^""\r\n]*""|'[^'\r\n]*'|[^;""'\s]+)(?=\s*;))", Options)]
    private static partial Regex ConnectionStringPassword();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}", Options)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\G(?=(?i:pass|pwd|token|secret|api|access|auth|mysql))(?:(?<=(?:^|[^A-Za-z0-9_-])--?(?i:client[_-]?)?)(?i:password|passwd|pass|pwd|token|secret|api[_-]?key|access[_-]?token|auth[_-]?token)(?:=|\s+)(?![""']?\[REDACTED:)(?<secret>(?!-)[^\s""']+|""[^""]*""|'[^']*')"
        + @"|(?<![A-Za-z0-9_-])(?i:mysql|mariadb)[A-Za-z-]*[^\r\n|;&]*?\s-p(?<secret>[^\s""'\-[][^\s""']*)"
        + @"|(?<=(?<![A-Za-z0-9_-])ssh)pass\s(?:[^\r\n|;&]*?\s)?-p\s*(?<secret>[^\s""'[][^\s""']*))", Options)]
    private static partial Regex PasswordArgument();

    [GeneratedRegex(@"\G(?i:authorization)[""']?\s*[:=]\s*[""']?(?i:bearer)\s+(?<secret>[A-Za-z0-9_.~+/-]{20,512}=*)(?![A-Za-z0-9_.~+/=-])", Options)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"\G(?=(?i:secret|token|passw|pwd|apikey|accesskey|credential|auth|key))(?:(?<=(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]+[_.-])*)(?i:secret|token|password|passwd|pwd|apikey|accesskey|credentials?|auth)|(?<=(?:^|[^A-Za-z0-9])(?:[A-Za-z0-9]+[_.-])*[A-Za-z0-9]+[_-])(?i:key))(?:[_.-][A-Za-z0-9]+)*[""']?\s*[:=]\s*[""']?(?<secret>(?![$\[{<(])[^\s""'`,;()]{8,512})(?=[\s""'`,;)]|$)", Options)]
    private static partial Regex SecretAssignment();

    /// <summary>
    /// The needles of the fast scan (compared ignoring case; few enough for SearchValues' vectorised multi-string
    /// search). Every keyword of a built-in rule either starts with one of them, or at one character after a needle
    /// that starts with '_' or '-' (<c>_key</c>: the <c>*_KEY</c> of secret_assignment, whose regex wants a '_' or '-'
    /// before "key"; <c>-pass</c>, <c>_pass</c>: password_argument's <c>--pass</c>, whose precheck wants one) or three
    /// after <c>sshpass</c>, or the rule is "run-covered": each of its matches holds a run of at least
    /// <see cref="MinRun"/> token characters ([A-Za-z0-9_-]) that starts at the keyword, at
    /// <see cref="SecretRule.KeywordOffset"/> before it, or after an assignment (<c>= : &gt;</c>) or a <c>. $</c> at
    /// most <see cref="LookBack"/> characters after it. The needles are narrower than the keywords where the rule itself
    /// requires more (a bare "key" or "pass" hits once per 400 bytes of source code and logs, "_key" and "passw" far
    /// less). RuleCoverageTests and the prefilter equivalence tests check this on the generated corpus.
    /// </summary>
    public static readonly string[] WordNeedles =
        ["token", "secret", "passw", "pwd", "api", "acc", "auth", "cred", "sig=",
         "_key", "-key", "_pass", "-pass", "sshpass", "mysql", "://", "-----begin", "q~", "hooks.slack"];

    /// <summary>How many of <see cref="WordNeedles"/> go in the first of the two searches (the rest in the second).</summary>
    public const int FirstNeedleSet = 9;

    /// <summary>
    /// The keywords looked for in the <see cref="LookBack"/> characters before a run that follows an assignment, '.' or
    /// '$': those of the rules whose secret comes after a provider's name (cohere, datadog ...) or a prefix with a dot
    /// (SG., hvs., dp.), and the Atlassian prefixes (an '=' may break their run).
    /// </summary>
    public static readonly string[] LookBackNeedles =
        ["cohere", "co_api", "bitbucket", "paypal", "discord", "telegram", "twilio", "mailgun", "datadog", "dd_a", "sg.", "hvs.", "hvb.", "dp.", "atatt3", "atctt3", "atbb"];

    /// <summary>The shortest run of token characters that makes its start a candidate position.</summary>
    public const int MinRun = 16;

    /// <summary>How far before a run that follows an assignment, '.' or '$' a keyword is looked for.</summary>
    public const int LookBack = 64;

    // The prechecks, before All (static fields are initialised in the order they are written).
    private static readonly RulePrecheck AtSignInWord = new RulePrecheck<AtSignInWordTest>();
    private static readonly RulePrecheck SemicolonAssignment = new RulePrecheck<SemicolonAssignmentTest>();
    private static readonly RulePrecheck OptionOrClient = new RulePrecheck<OptionOrClientTest>();
    private static readonly RulePrecheck RandomValueAssigned = new RulePrecheck<RandomValueAssignedTest>();

    /// <summary>The built-in rules, in the order they are tried (the specific ones, then the generic ones).</summary>
    public static IReadOnlyList<SecretRule> All { get; } =
    [
        R("private_key", "PEM and OpenSSH private key blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK), GCP service-account private_key included: the body", ["-----BEGIN"], PrivateKey(), aliases: ["private-key"], allowEmpty: true),
        R("aws_access_key_id", "AWS access key ids (AKIA, ASIA, ABIA, ACCA, A3T., AGPA, AIDA, AROA, ANPA, ANVA, AIPA + 16)", ["AKIA", "ASIA", "ABIA", "ACCA", "A3T", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"], AwsAccessKeyId(), aliases: ["aws-access-token"]),
        R("aws_secret_access_key", "40 base64 characters after aws_secret_access_key / SecretAccessKey =/:", ["secret"], AwsSecretAccessKey(), aliases: ["aws-secret-access-key"]),
        R("azure_storage_account_key", "Azure storage AccountKey= in a connection string", ["AccountKey="], AzureStorageAccountKey()),
        R("azure_shared_access_key", "Azure Service Bus / Event Hubs SharedAccessKey=", ["AccessKey="], AzureSharedAccessKey()),
        R("azure_sas_token", "the sig= of an Azure SAS URL or SharedAccessSignature", ["sig="], AzureSasToken()),
        R("azure_client_secret", "Azure AD (Entra) client secrets (xxxNQ~...)", ["Q~"], AzureClientSecret(), offset: 4, aliases: ["azure-ad-client-secret"]),
        R("google_api_key", "Google Cloud and Google AI (Gemini) API keys (AIza + 35)", ["AIza"], GoogleApiKey(), aliases: ["gcp-api-key"]),
        R("anthropic_api_key", "Anthropic API and admin keys (sk-ant-api03-, sk-ant-admin01-)", ["sk-ant-"], AnthropicApiKey(), aliases: ["anthropic-api-key", "anthropic-admin-api-key"]),
        R("openai_api_key", "OpenAI user, project, service-account and admin keys (sk-, sk-proj-, sk-svcacct-, sk-admin-)", ["sk-"], OpenAiApiKey(), aliases: ["openai-api-key"]),
        R("huggingface_token", "Hugging Face access and organization tokens (hf_, api_org_)", ["hf_", "api_org_"], HuggingFaceToken(), aliases: ["huggingface-access-token", "huggingface-organization-api-token"]),
        R("cohere_api_key", "Cohere API keys (40 alphanumerics after cohere / CO_API_KEY)", ["cohere", "co_api_key"], CohereApiKey(), aliases: ["cohere-api-token"]),
        R("groq_api_key", "Groq API keys (gsk_ + 52)", ["gsk_"], GroqApiKey()),
        R("replicate_api_token", "Replicate API tokens (r8_ + 37)", ["r8_"], ReplicateApiToken()),
        R("perplexity_api_key", "Perplexity API keys (pplx- + 48)", ["pplx-"], PerplexityApiKey(), aliases: ["perplexity-api-key"]),
        R("xai_api_key", "xAI API keys (xai- + 80)", ["xai-"], XaiApiKey()),
        R("github_token", "GitHub personal, OAuth, user-to-server, server-to-server, refresh and fine-grained tokens", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"], GitHubToken(), aliases: ["github-pat", "github-oauth", "github-app-token", "github-refresh-token", "github-fine-grained-pat"]),
        R("gitlab_token", "GitLab personal, deploy, runner, trigger, CI, feed, mail, OAuth and agent tokens", ["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glimt-", "glsoat-", "glagent-", "gloas-", "glffct-", "GR1348941"], GitLabToken(), aliases: ["gitlab-pat", "gitlab-deploy-token", "gitlab-runner-authentication-token", "gitlab-ptt", "gitlab-cicd-job-token", "gitlab-feed-token", "gitlab-incoming-mail-token", "gitlab-rrt", "gitlab-kubernetes-agent-token", "gitlab-oauth-app-secret", "gitlab-feature-flag-client-token", "gitlab-scim-token"]),
        R("atlassian_api_token", "Atlassian (Jira, Confluence, Bitbucket) API tokens (ATATT3, ATCTT3)", ["ATATT3", "ATCTT3"], AtlassianApiToken(), aliases: ["atlassian-api-token"]),
        R("bitbucket_app_password", "Bitbucket app passwords (ATBB)", ["ATBB"], BitbucketAppPassword()),
        R("bitbucket_client_secret", "Bitbucket OAuth client secrets (after bitbucket...=)", ["bitbucket"], BitbucketClientSecret(), entropy: 3.0, aliases: ["bitbucket-client-secret", "bitbucket-client-id"]),
        R("stripe_secret_key", "Stripe secret keys (sk_live_, sk_test_)", ["sk_live_", "sk_test_", "sk_prod_"], StripeSecretKey(), aliases: ["stripe-access-token"]),
        R("stripe_restricted_key", "Stripe restricted keys (rk_live_, rk_test_)", ["rk_live_", "rk_test_", "rk_prod_"], StripeRestrictedKey()),
        R("stripe_webhook_secret", "Stripe webhook signing secrets (whsec_)", ["whsec_"], StripeWebhookSecret()),
        R("square_access_token", "Square access tokens (sq0atp-, EAAA + 60)", ["sq0atp-", "EAAA"], SquareAccessToken(), aliases: ["square-access-token"]),
        R("square_secret", "Square application secrets (sq0csp-)", ["sq0csp-"], SquareSecret(), aliases: ["square-secret"]),
        R("braintree_access_token", "PayPal Braintree access tokens (access_token$production$...)", ["access_token$"], BraintreeAccessToken()),
        R("paypal_client_secret", "PayPal client secrets (80 characters after paypal...=)", ["paypal"], PayPalClientSecret(), entropy: 3.0),
        R("shopify_token", "Shopify access tokens and shared secrets (shpat_, shpca_, shppa_, shpss_)", ["shpat_", "shpca_", "shppa_", "shpss_"], ShopifyToken(), aliases: ["shopify-access-token", "shopify-custom-access-token", "shopify-private-app-access-token", "shopify-shared-secret"]),
        R("slack_token", "Slack bot, user, app, config and refresh tokens (xoxb-, xoxp-, xoxa-, xoxe-, xapp-...)", ["xox", "xapp-"], SlackToken(), aliases: ["slack-bot-token", "slack-user-token", "slack-app-token", "slack-config-access-token", "slack-config-refresh-token", "slack-legacy-token", "slack-legacy-bot-token", "slack-legacy-workspace-token"]),
        R("slack_webhook", "the secret path of Slack incoming webhook and workflow URLs", ["hooks.slack.com"], SlackWebhook(), aliases: ["slack-webhook-url"]),
        R("discord_webhook", "the token of a Discord webhook URL", ["api/webhooks/"], DiscordWebhook()),
        R("discord_bot_token", "Discord bot tokens and API keys (after discord...=)", ["discord"], DiscordBotToken(), aliases: ["discord-api-token", "discord-client-secret"]),
        R("telegram_bot_token", "Telegram bot tokens (after telegram...= or in api.telegram.org/bot<token>)", ["telegram", "api.telegram.org/bot"], TelegramBotToken(), aliases: ["telegram-bot-api-token"]),
        R("twilio_api_key", "Twilio API keys (SK + 32 hex) and auth tokens, after twilio...=", ["twilio"], TwilioApiKey(), aliases: ["twilio-api-key"]),
        R("sendgrid_api_key", "SendGrid API keys (SG.<22>.<43>)", ["SG."], SendGridApiKey(), aliases: ["sendgrid-api-token"]),
        R("mailgun_api_key", "Mailgun private API keys (key- + 32 hex) and signing keys", ["key-", "mailgun"], MailgunApiKey(), aliases: ["mailgun-private-api-token", "mailgun-signing-key", "mailgun-pub-key"]),
        R("mailchimp_api_key", "Mailchimp API keys (32 hex + -us<dc>)", ["-us"], MailchimpApiKey(), offset: 32, aliases: ["mailchimp-api-key"]),
        R("npm_token", "npm access tokens (npm_ + 36)", ["npm_"], NpmToken(), aliases: ["npm-access-token"]),
        R("pypi_token", "PyPI upload tokens (pypi-AgEIcHlwaS5vcmc...)", ["pypi-"], PyPiToken(), aliases: ["pypi-upload-token"]),
        R("nuget_api_key", "NuGet API keys (oy2 + 43)", ["oy2"], NuGetApiKey()),
        R("docker_hub_token", "Docker Hub personal and organization access tokens (dckr_pat_, dckr_oat_)", ["dckr_pat_", "dckr_oat_"], DockerHubToken()),
        R("rubygems_api_key", "RubyGems API keys (rubygems_ + 48 hex)", ["rubygems_"], RubyGemsApiKey(), aliases: ["rubygems-api-token"]),
        R("datadog_key", "Datadog API and application keys (after datadog / DD_API_KEY / DD_APP_KEY =)", ["datadog", "dd_api_key", "dd_app_key", "dd_application_key"], DatadogKey(), aliases: ["datadog-access-token"]),
        R("new_relic_key", "New Relic user, browser, insert and admin keys (NRAK-, NRJS-, NRII-, NRAA-)", ["NRAK-", "NRJS-", "NRII-", "NRAA-"], NewRelicKey(), aliases: ["new-relic-user-api-key", "new-relic-browser-api-token", "new-relic-insert-key", "new-relic-user-api-id"]),
        R("new_relic_license_key", "New Relic license keys (36 hex + NRAL)", ["NRAL"], NewRelicLicenseKey(), offset: 36),
        R("sentry_dsn", "the key of a Sentry DSN (https://<key>@...sentry.../<project>)", ["://"], SentryDsn(), precheck: AtSignInWord),
        R("sentry_token", "Sentry organization and user auth tokens (sntrys_, sntryu_)", ["sntrys_", "sntryu_"], SentryToken(), aliases: ["sentry-access-token", "sentry-org-token", "sentry-user-token"]),
        R("vault_token", "HashiCorp Vault service and batch tokens (hvs., hvb.)", ["hvs.", "hvb."], VaultToken(), aliases: ["vault-service-token", "vault-batch-token"]),
        R("digitalocean_token", "DigitalOcean personal, OAuth and refresh tokens (dop_v1_, doo_v1_, dor_v1_)", ["dop_v1_", "doo_v1_", "dor_v1_"], DigitalOceanToken(), aliases: ["digitalocean-pat", "digitalocean-access-token", "digitalocean-refresh-token"]),
        R("age_secret_key", "age encryption secret keys (AGE-SECRET-KEY-1...)", ["AGE-SECRET-KEY-1"], AgeSecretKey(), aliases: ["age-secret-key"]),
        R("pulumi_token", "Pulumi access tokens (pul- + 40 hex)", ["pul-"], PulumiToken(), aliases: ["pulumi-api-token"]),
        R("grafana_token", "Grafana Cloud and service-account tokens (glc_, glsa_)", ["glc_", "glsa_"], GrafanaToken(), aliases: ["grafana-cloud-api-token", "grafana-service-account-token"]),
        R("postman_api_key", "Postman API keys (PMAK-)", ["PMAK-"], PostmanApiKey(), aliases: ["postman-api-token"]),
        R("databricks_token", "Databricks personal access tokens (dapi + 32 hex)", ["dapi"], DatabricksToken(), aliases: ["databricks-api-token"]),
        R("doppler_token", "Doppler tokens (dp.pt., dp.st., ...)", ["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."], DopplerToken(), aliases: ["doppler-api-token"]),
        R("linear_api_key", "Linear API keys (lin_api_ + 40)", ["lin_api_"], LinearApiKey(), aliases: ["linear-api-key"]),
        R("url_password", "the password in scheme://user:password@host (PostgreSQL, MySQL, MongoDB, Redis, AMQP... URLs)", ["://"], UrlPassword(), generic: true, precheck: AtSignInWord),
        R("connection_string_password", "Password=/Pwd= in ADO.NET, JDBC and ODBC connection strings (SQL Server, MySQL, PostgreSQL)", ["password", "pwd"], ConnectionStringPassword(), generic: true, precheck: SemicolonAssignment),
        R("jwt", "JSON Web Tokens (eyJ...eyJ...signature)", ["eyJ"], Jwt(), aliases: ["jwt"]),
        R("password_argument", "the value of --password, --token, --secret, --api-key... options; mysql* -pVALUE; sshpass -p VALUE", ["pass", "pwd", "token", "secret", "api", "access", "auth", "mysql"], PasswordArgument(), generic: true, precheck: OptionOrClient),
        R("bearer_token", "the token of an Authorization: Bearer header, when it looks random", ["authorization"], BearerToken(), entropy: 3.0, generic: true),
        R("secret_assignment", "NAME=value, NAME: value, \"NAME\": \"value\" where NAME holds secret, token, password, pwd, *_KEY, apikey, credential(s) or auth, and the value looks random", ["secret", "token", "password", "passwd", "pwd", "apikey", "accesskey", "credential", "auth", "key"], SecretAssignment(), entropy: 3.0, generic: true, precheck: RandomValueAssigned, aliases: ["generic-api-key"]),
    ];

    private static SecretRule R(string id, string description, string[] keywords, Regex regex, int offset = 0, double entropy = 0,
        bool generic = false, string[]? aliases = null, bool allowEmpty = false, RulePrecheck? precheck = null) =>
        new()
        {
            Id = id, Description = description, Keywords = keywords, Regex = regex, Anchored = true, KeywordOffset = offset,
            MinEntropy = entropy, Generic = generic, Aliases = aliases ?? [], AllowEmptySecret = allowEmpty, Precheck = precheck,
        };

    // The character at i of text (chars, or bytes read as Latin-1).
    private static char At<T>(ReadOnlySpan<T> s, int i) where T : unmanaged, IBinaryInteger<T> => (char)ushort.CreateTruncating(s[i]);

    // "scheme://user:password@host" and a Sentry DSN: an '@' before the next space or quote.
    private readonly struct AtSignInWordTest : IPrecheckTest
    {
        public static bool At<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T>
        {
            // The first '@' or word end, by a vectorised search for bytes and chars (a URL's path is tens of characters).
            if (typeof(T) == typeof(byte)) return IsAtSign(s, at, Bytes(s)[at..].IndexOfAny(s_wordEndOrAtBytes));
            if (typeof(T) == typeof(char)) return IsAtSign(s, at, Chars(s)[at..].IndexOfAny(s_wordEndOrAt));
            for (int i = at; i < s.Length; i++)
            {
                if (BuiltInRules.At(s, i) is ' ' or '\t' or '\r' or '\n' or '"' or '\'' or '@') return IsAtSign(s, at, i - at);
            }
            return false;
        }

        private static bool IsAtSign<T>(ReadOnlySpan<T> s, int at, int found) where T : unmanaged, IBinaryInteger<T> =>
            found >= 0 && BuiltInRules.At(s, at + found) == '@';
    }

    // NAME = value: after the rest of the name and an optional quote, spaces, then '=' or ':'.
    private static bool AssignmentAfterName<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T>
    {
        int i = at;
        while (i < s.Length && (char.IsAsciiLetterOrDigit(At(s, i)) || At(s, i) is '_' or '.' or '-')) i++;
        if (i < s.Length && At(s, i) is '"' or '\'') i++;
        while (i < s.Length && At(s, i) is ' ' or '\t') i++;
        return i < s.Length && At(s, i) is '=' or ':';
    }

    // The value part of secret_assignment, checked as its regex and entropy test would (most code fails here, before
    // the regex's look-behind): NAME ["']? \s* [:=] \s* ["']? VALUE, VALUE 8-512 characters up to a terminator, not a
    // $VAR / ${...} / [..] / {..} / <..> / (..) reference, and random-looking.
    private readonly struct RandomValueAssignedTest : IPrecheckTest
    {
        public static bool At<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T>
        {
            int i = at;
            while (i < s.Length && (char.IsAsciiLetterOrDigit(BuiltInRules.At(s, i)) || BuiltInRules.At(s, i) is '_' or '.' or '-')) i++;
            if (i < s.Length && BuiltInRules.At(s, i) is '"' or '\'') i++;
            while (i < s.Length && char.IsWhiteSpace(BuiltInRules.At(s, i))) i++;
            if (i >= s.Length || BuiltInRules.At(s, i) is not ('=' or ':')) return false;
            i++;
            while (i < s.Length && char.IsWhiteSpace(BuiltInRules.At(s, i))) i++;
            if (i < s.Length && BuiltInRules.At(s, i) is '"' or '\'') i++;
            int v = i;
            while (i < s.Length && !char.IsWhiteSpace(BuiltInRules.At(s, i)) && BuiltInRules.At(s, i) is not ('"' or '\'' or '`' or ',' or ';' or '(' or ')')) i++;
            int length = i - v;
            if (length < 8 || BuiltInRules.At(s, v) is '$' or '[' or '{' or '<' or '(') return false;
            if (length > 512 || (i < s.Length && BuiltInRules.At(s, i) == '(')) return false;
            Span<char> value = stackalloc char[length];
            for (int k = 0; k < length; k++) value[k] = BuiltInRules.At(s, v + k);
            return SecretRedactor.LooksRandom(value, 3.0);
        }
    }

    // Password=/Pwd= in a connection string: a ';' before the name or after the value.
    private readonly struct SemicolonAssignmentTest : IPrecheckTest
    {
        public static bool At<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T>
        {
            if (!AssignmentAfterName(s, at)) return false;
            int b = at - 1;
            while (b >= 0 && char.IsWhiteSpace(BuiltInRules.At(s, b))) b--;
            if (b >= 0 && BuiltInRules.At(s, b) == ';') return true;
            int i = at;
            while (i < s.Length && BuiltInRules.At(s, i) != '=') i++;
            if (i >= s.Length) return false;
            i++;
            while (i < s.Length && char.IsWhiteSpace(BuiltInRules.At(s, i))) i++;
            if (i < s.Length && BuiltInRules.At(s, i) is '"' or '\'')
            {
                char quote = BuiltInRules.At(s, i);
                i++;
                while (i < s.Length && BuiltInRules.At(s, i) != quote && BuiltInRules.At(s, i) != '\n') i++;
                i = i < s.Length ? i + 1 : s.Length;
            }
            else
            {
                while (i < s.Length && !char.IsWhiteSpace(BuiltInRules.At(s, i)) && BuiltInRules.At(s, i) is not (';' or '"' or '\'')) i++;
            }
            while (i < s.Length && char.IsWhiteSpace(BuiltInRules.At(s, i))) i++;
            return i < s.Length && BuiltInRules.At(s, i) == ';';
        }
    }

    // --password, -token ... (a dash before the name, or "client-"), mysql..., ssh|pass|.
    private readonly struct OptionOrClientTest : IPrecheckTest
    {
        public static bool At<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T> =>
            (at > 0 && BuiltInRules.At(s, at - 1) is '-' or '_')
            || s_mysql.IsAt(s, at)
            || (at >= 3 && BuiltInRules.At(s, at - 3) == 's' && BuiltInRules.At(s, at - 2) == 's' && BuiltInRules.At(s, at - 1) == 'h');
    }

    private static readonly AsciiKeyword s_mysql = new("mysql");
    private static readonly System.Buffers.SearchValues<char> s_wordEndOrAt = System.Buffers.SearchValues.Create(" \t\r\n\"'@");
    private static readonly System.Buffers.SearchValues<byte> s_wordEndOrAtBytes = System.Buffers.SearchValues.Create(" \t\r\n\"'@"u8);

    // A span of T known to be bytes, or chars, as that span.
    private static ReadOnlySpan<byte> Bytes<T>(ReadOnlySpan<T> s) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.As<T, byte>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s)), s.Length);

    private static ReadOnlySpan<char> Chars<T>(ReadOnlySpan<T> s) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.CompilerServices.Unsafe.As<T, char>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(s)), s.Length);
}
