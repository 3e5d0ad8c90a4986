using System.CommandLine;
using System.CommandLine.Completions;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession __complete -- WORD...</c> (hidden): the completion scripts' entry point. The words are the command line
/// after <c>cfsession</c> up to the cursor, the last one the word being completed (empty after a space). Prints one
/// candidate per line (with <c>--descriptions</c>: candidate, tab, description): subcommands, options, and for a
/// session argument or <c>--session</c> the newest session ids. Never prints an error and always exits 0, so a
/// broken data directory cannot spoil a shell's completion.
/// </summary>
internal static class CompleteCommand
{
    public const string Name = "__complete";

    /// <summary>How many recent session ids are offered.</summary>
    internal const int RecentSessions = 20;

    public static Command Create(CliContext context)
    {
        var words = new Argument<string[]>("words") { Description = "The command line after 'cfsession' up to the cursor", Arity = ArgumentArity.ZeroOrMore };
        var descriptions = new Option<bool>("--descriptions") { Description = "Print 'candidate<TAB>description' lines (zsh, fish)" };
        var command = new Command(Name, "Print completion candidates for the completion scripts") { words, descriptions };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            foreach (var item in Candidates(context, parse.GetValue(words) ?? []))
            {
                string detail = parse.GetValue(descriptions) ? OneLineDetail(item) : "";
                context.WriteRaw(detail.Length > 0 ? $"{item.Label}\t{detail}\n" : item.Label + "\n");
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The candidates for the last of <paramref name="words"/>, in the order System.CommandLine gives them.</summary>
    internal static IEnumerable<CompletionItem> Candidates(CliContext context, IReadOnlyList<string> words)
    {
        var root = CliApplication.BuildRoot(context, new Option<bool>("--verbose") { Recursive = true });
        OfferSessionIds(root, context);
        string word = words.Count == 0 ? "" : words[^1];
        var before = words.Take(Math.Max(0, words.Count - 1)).ToList();
        while (true)
        {
            var (parse, candidates) = Complete(root, before, word);
            // After a flag (--json), System.CommandLine takes the next word as the flag's optional true/false: when
            // that leaves nothing, complete as if the flag were not there.
            if (candidates.Count > 0 || before.Count == 0 || !IsFlag(parse.CommandResult.Command, before[^1])) return candidates;
            before.RemoveAt(before.Count - 1);
        }
    }

    private static (ParseResult Parse, List<CompletionItem> Candidates) Complete(RootCommand root, IReadOnlyList<string> before, string word)
    {
        // As text, so that an empty word is "after a space" (an empty token would be taken as a value).
        string prefix = string.Join(' ', before.Select(Quote));
        string line = prefix.Length == 0 ? Quote(word) : prefix + " " + Quote(word);
        var parse = root.Parse(line, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var candidates = parse.GetCompletions(line.Length)
            .Where(c => c.Label.StartsWith(word, StringComparison.Ordinal) && c.Label != Name && !IsAliasNoise(c.Label))
            .DistinctBy(c => c.Label)
            .ToList();
        return (parse, candidates);
    }

    private static bool IsFlag(Command command, string word) =>
        command.Options.Any(o => o.ValueType == typeof(bool) && (o.Name == word || o.Aliases.Contains(word)));

    /// <summary>The help aliases for other platforms and the directives: not worth a line on a Unix shell.</summary>
    private static bool IsAliasNoise(string label) => label is "-?" or "/?" or "/h" || label.StartsWith('[');

    private static string Quote(string word) =>
        word.Length == 0 ? "" : !word.Any(c => char.IsWhiteSpace(c) || c == '"') ? word : "\"" + word.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Every session argument and <c>--session</c> option completes to the newest session ids.</summary>
    private static void OfferSessionIds(Command command, CliContext context)
    {
        foreach (var argument in command.Arguments.Where(a => a.Name == "session"))
            argument.CompletionSources.Add(_ => RecentSessionIds(context));
        foreach (var option in command.Options.Where(o => o.Name == "--session"))
            option.CompletionSources.Add(_ => RecentSessionIds(context));
        foreach (var sub in command.Subcommands) OfferSessionIds(sub, context);
    }

    private static IEnumerable<CompletionItem> RecentSessionIds(CliContext context)
    {
        try
        {
            var manager = context.CreateManager();
            if (!Directory.Exists(manager.Data.Root)) return [];
            using var queries = SessionQueries.Open(manager.Data);
            return queries.Sessions(RecentSessions).Sessions
                .Select(s => new CompletionItem(s.SessionId, "Value", detail: s.SessionName ?? s.SessionType))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            return []; // completion offers what it can; it never reports
        }
    }

    private static string OneLineDetail(CompletionItem item) =>
        (item.Detail ?? item.Documentation ?? "").ReplaceLineEndings(" ").Replace('\t', ' ');
}
