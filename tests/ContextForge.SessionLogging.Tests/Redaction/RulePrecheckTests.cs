using System.Text;
using ContextForge.SessionLogging.Redaction;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>
/// The built-in rules' prechecks run on captured bytes before a needle's line is widened (SecretRedactor.WordMayMatch):
/// there they must be true wherever the same test on the line alone is, or a secret would be kept.
/// </summary>
public sealed class RulePrecheckTests
{
    private static readonly string[] s_names = ["password", "Password", "passwd", "pwd", "token", "auth", "secret", "api_key", "--password", "-ptoken", "mysql", "sshpass -p", "db://user", "https://key"];
    private static readonly string[] s_separators = ["=", ": ", " = ", "\":\"", "='", ";", "@", " ", "\t", "\r", "\n", "\u0085", "\u00A0", "(", "$", ";Password=", "\"", ""];

    // Lines of names, separators and values (random, short, references), with line ends anywhere, as Latin-1.
    private static string Text(int seed)
    {
        var random = new Random(seed);
        var samples = new SecretSamples(seed);
        var text = new StringBuilder();
        for (int i = 0; i < 4000; i++)
        {
            text.Append(s_names[random.Next(s_names.Length)]);
            int parts = random.Next(1, 5);
            for (int k = 0; k < parts; k++)
            {
                text.Append(s_separators[random.Next(s_separators.Length)]);
                text.Append(random.Next(4) switch
                {
                    0 => samples.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", random.Next(4, 40)),
                    1 => samples.Chars("abc", random.Next(1, 12)),
                    2 => "${VAR}",
                    _ => "",
                });
            }
            if (random.Next(3) == 0) text.Append('\n');
        }
        return text.ToString();
    }

    [Fact]
    public void A_precheck_on_the_bytes_of_a_block_is_true_wherever_it_is_true_on_the_line_and_the_same_on_the_line_alone()
    {
        var rules = SecretRedactor.BuiltIn.Rules.Where(r => r.Precheck is not null).ToList();
        Assert.Equal(["connection_string_password", "password_argument", "secret_assignment", "sentry_dsn", "url_password"], rules.Select(r => r.Id).Order());
        int passedOnLines = 0, onlyOnBytes = 0;
        for (int seed = 1; seed <= 3; seed++)
        {
            string text = Text(seed);
            byte[] bytes = Encoding.Latin1.GetBytes(text);
            foreach (var rule in rules)
            {
                foreach (string keyword in rule.Keywords)
                {
                    var key = new AsciiKeyword(keyword);
                    for (int at = 0; at < text.Length; at++)
                    {
                        if (!key.IsAt(text.AsSpan(), at)) continue;
                        int lineStart = text.LastIndexOf('\n', at) + 1;
                        int newline = text.IndexOf('\n', at);
                        int lineEnd = newline < 0 ? text.Length : newline + 1;
                        var line = text.AsSpan(lineStart, lineEnd - lineStart);
                        bool onLine = rule.Precheck!.At(line, at - lineStart);
                        bool onLineBytes = rule.Precheck.At(bytes.AsSpan(lineStart, lineEnd - lineStart), at - lineStart);
                        bool onBlock = rule.Precheck.At(bytes, at);
                        Assert.True(onLine == onLineBytes, $"{rule.Id} at {at}: {onLine} on the line's chars, {onLineBytes} on its bytes: {line.ToString()}");
                        Assert.True(!onLine || onBlock, $"{rule.Id} at {at}: true on the line, false on the block: {line.ToString()}");
                        if (onLine) passedOnLines++;
                        else if (onBlock) onlyOnBytes++;
                    }
                }
            }
        }
        Assert.True(passedOnLines > 500, $"{passedOnLines} keyword positions pass on their line");
        Assert.True(onlyOnBytes > 0, "no position passes on the bytes only: the line ends never matter in this text");
    }
}
