using System.CommandLine;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession validate [SESSION | --all] [--json]</c>: checks sessions against the journal rules (docs/cli.md lists
/// every finding kind). Exit 0 when no error was found (warnings such as an abandoned session do not fail), 65 when
/// any error was.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string?>("session") { Description = "Session id or prefix (default: $CFSESSION_ID, else the newest session)", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Validate every session" };
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON" };
        var command = new Command("validate", "Check sessions: orphan events, parent cycles, abandoned sessions, evidence, capture hashes, hash chain, provenance") { session, all, json };
        var team = new TeamQueryOptions();
        team.AddTo(command);
        command.SetAction(parse =>
        {
            if (parse.GetValue(all) && parse.GetValue(session) is not null) throw new CliUsageException("give a SESSION or --all, not both");
            using var queries = team.Queries(context, parse);
            string? one = parse.GetValue(all) ? null : context.ResolveSession(queries, parse.GetValue(session));
            var report = queries.Validate(one);
            var findings = report.Findings;
            int errors = report.Errors;
            if (parse.GetValue(json))
            {
                context.WriteRaw(report.ToJson() + Environment.NewLine);
            }
            else
            {
                foreach (var f in findings)
                {
                    string where = f.File is null ? f.SessionId : $"{f.File}{(f.Line is { } l ? ":" + l : "")}";
                    string severity = f.Severity == "error" ? "[red]error[/]" : "[yellow]warning[/]";
                    context.Output.MarkupLine($"{severity} [bold]{f.Kind}[/] {Markup.Escape(where)}: {Markup.Escape(f.Message)}");
                }
                context.Output.MarkupLine(errors == 0
                    ? $"[green]valid[/]: {report.SessionsChecked} session(s) checked, {findings.Count} warning(s)"
                    : $"[red]invalid[/]: {report.SessionsChecked} session(s) checked, {errors} error(s), {findings.Count - errors} warning(s)");
            }
            return errors == 0 ? (int)ExitCodes.Success : (int)ExitCodes.DataError;
        });
        return command;
    }
}
