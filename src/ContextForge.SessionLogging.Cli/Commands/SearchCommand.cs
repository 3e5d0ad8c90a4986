using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession search TEXT [filters] [--context N] [--json]</c>: full-text search over captured output (FTS5 over
/// ANSI-stripped text), newest first, each hit with its matching lines, their context, and the terms highlighted.
/// </summary>
internal static class SearchCommand
{
    public static Command Create(CliContext context)
    {
        var text = new Argument<string[]>("text") { Description = "Words to find in captured output (all must occur)", Arity = ArgumentArity.OneOrMore };
        var filters = new HistoryFilterOptions(defaultLimit: 20);
        var contextLines = new Option<int>("--context", "-C") { Description = "Lines of context around each matching line (default 2)", DefaultValueFactory = _ => 2 };
        var maxMatches = new Option<int>("--max-matches") { Description = "Matching lines shown per operation (default 3)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (docs/cli.md describes the document)" };
        var command = new Command("search", "Full-text search over the output of every recorded operation") { text };
        filters.AddTo(command);
        command.Options.Add(contextLines);
        command.Options.Add(maxMatches);
        command.Options.Add(json);
        var team = new TeamQueryOptions(filters.Host);
        team.AddTo(command);
        command.SetAction(parse =>
        {
            string query = string.Join(' ', parse.GetValue(text)!);
            CliLimits.Text(query, InputLimits.MaxSearchQueryChars, "the search query");
            var terms = SessionQueries.SearchTerms(query);
            if (terms.Count == 0) throw new CliUsageException("search: give at least one word to find");
            CliLimits.Count(terms.Count, InputLimits.MaxSearchTerms, "search words");
            int around = parse.GetValue(contextLines), max = parse.GetValue(maxMatches);
            if (around < 0 || max < 1) throw new CliUsageException("--context must be 0 or more and --max-matches 1 or more");
            var filter = filters.Read(parse, DateTimeOffset.UtcNow);
            using var queries = team.Queries(context, parse);
            var found = queries.Search(query, filter, around, max);
            if (parse.GetValue(json))
            {
                context.WriteRaw(found.ToJson() + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            if (found.Count == 0)
            {
                context.Notice($"no captured output contains {query}");
                return (int)ExitCodes.Success;
            }
            foreach (var result in found.Results)
            {
                var (hit, matches) = (result.Operation, result.Matches);
                long? exit = hit.Fields[JournalFields.ExitCode] is JsonValue xv && xv.TryGetValue(out long x) ? x : null;
                string exitText = exit is null ? "" : exit == 0 ? " [green]exit 0[/]" : $" [red]exit {exit}[/]";
                context.Output.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                    $"[bold]{TerminalText.Markup(hit.Fields[JournalFields.OperationName]?.ToString() ?? "")}[/] [grey]{hit.Timestamp.ToLocalTime():yyyy-MM-dd HH:mm:ss} session {ShortId(context, hit.SessionId)} op {ShortId(context, hit.OperationId ?? "")}[/]{exitText}"));
                foreach (var m in matches)
                {
                    long n = m.LineNumber - m.Before.Count;
                    foreach (string b in m.Before) context.Output.MarkupLine($"[grey]{n++,6}-[/] {TerminalText.Markup(b)}");
                    context.Output.MarkupLine($"[grey]{m.LineNumber,6}:[/] {Highlight(m.Text, terms)}");
                    n = m.LineNumber + 1;
                    foreach (string a in m.After) context.Output.MarkupLine($"[grey]{n++,6}-[/] {TerminalText.Markup(a)}");
                    context.Output.MarkupLine("[grey]     --[/]");
                }
                context.Output.WriteLine();
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>An id cut to 8 characters on a terminal, whole for a program.</summary>
    private static string ShortId(CliContext context, string id) => context.Terminal && id.Length > 8 ? id[..8] : id;

    /// <summary>The line as Spectre markup with every occurrence of a term highlighted.</summary>
    internal static string Highlight(string line, IReadOnlyList<string> terms)
    {
        var marks = new bool[line.Length];
        foreach (string term in terms)
        {
            for (int at = line.IndexOf(term, StringComparison.OrdinalIgnoreCase); at >= 0; at = line.IndexOf(term, at + 1, StringComparison.OrdinalIgnoreCase))
                Array.Fill(marks, true, at, term.Length);
        }
        var sb = new StringBuilder();
        int i = 0;
        while (i < line.Length)
        {
            int j = i;
            while (j < line.Length && marks[j] == marks[i]) j++;
            string piece = TerminalText.Markup(line[i..j]);
            sb.Append(marks[i] ? $"[black on yellow]{piece}[/]" : piece);
            i = j;
        }
        return sb.ToString();
    }
}
