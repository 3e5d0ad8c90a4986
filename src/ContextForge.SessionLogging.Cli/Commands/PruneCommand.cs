using System.CommandLine;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession prune --older-than 90d | --max-size 5GB | --keep-last N [--dry-run] [--force] [--json]</c>: removes
/// whole sessions (journal, blobs, index rows together). Open sessions are kept unless --force.
/// </summary>
internal static class PruneCommand
{
    public static Command Create(CliContext context)
    {
        var olderThan = new Option<string?>("--older-than") { Description = "Remove sessions whose last event is older than this (e.g. 90d)" };
        var maxSize = new Option<string?>("--max-size") { Description = "Keep the newest sessions that fit in this size (e.g. 5GB); remove the rest" };
        var keepLast = new Option<int?>("--keep-last") { Description = "Keep the newest N sessions; remove the rest" };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; remove nothing" };
        var force = new Option<bool>("--force") { Description = "Also remove open sessions" };
        var json = new Option<bool>("--json") { Description = "Print the removed (or, with --dry-run, selected) sessions as JSON" };
        var command = new Command("prune", "Remove old sessions (journal, blobs and index rows) by age, total size or count") { olderThan, maxSize, keepLast, dryRun, force, json };
        command.SetAction(parse =>
        {
            TimeSpan? age = parse.GetValue(olderThan) is { } o ? Quantities.Duration(o, "--older-than") : null;
            long? size = parse.GetValue(maxSize) is { } m ? Quantities.Size(m, "--max-size") : null;
            int? keep = parse.GetValue(keepLast);
            if (keep is < 0) throw new CliUsageException("--keep-last must be 0 or more");
            if (age is null && size is null && keep is null) throw new CliUsageException("prune needs --older-than, --max-size or --keep-last");
            var manager = context.CreateManager();
            using var queries = SessionQueries.Open(manager.Data);
            bool dry = parse.GetValue(dryRun);
            // Compress the blobs the capture path stored without compression first, so --max-size weighs what stays.
            var compacted = dry ? Capture.BlobStore.RecompactionResult.None : Capture.BlobStore.RecompactAll(manager.Data);
            foreach (string error in compacted.Errors) context.Notice(error);
            var report = queries.Prune(new PruneRules { OlderThan = age, MaxBytes = size, KeepLast = keep, Force = parse.GetValue(force), DryRun = dry });
            if (parse.GetValue(json))
            {
                context.WriteRaw(report.ToJson() + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            foreach (var c in report.Removed)
                context.Output.MarkupLine($"{(dry ? "would remove" : "removed")} {c.SessionId} {Markup.Escape(c.SessionName)} [grey]{Format.Time(c.StartTime)} {Format.Bytes(c.Bytes)} ({c.Reason})[/]");
            foreach (var c in report.KeptOpen)
                context.Notice($"kept open session {c.SessionId} (selected by {c.Reason}; --force removes it)");
            context.Output.MarkupLine($"{(dry ? "would remove" : "removed")} {report.Removed.Count} session(s), {Format.Bytes(report.BytesFreed)} of {Format.Bytes(report.BytesBefore)}");
            if (compacted.Recompacted > 0) context.Output.MarkupLine(Markup.Escape(ReindexCommand.RecompactedLine(compacted)));
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
