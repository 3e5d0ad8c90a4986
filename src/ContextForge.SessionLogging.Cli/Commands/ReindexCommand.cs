using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession reindex [--json]</c>: empties the history index and rebuilds it from the journals alone, then
/// compresses the blobs the capture path stored without compression (<see cref="Capture.BlobStore.RecompactAll"/>).
/// </summary>
internal static class ReindexCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the counts as JSON" };
        var command = new Command("reindex", "Rebuild the history index from the journals (the index is never the only copy of anything)") { json };
        command.SetAction(parse =>
        {
            var manager = context.CreateManager();
            using var index = Index.HistoryIndex.Open(manager.Data);
            var r = index.Rebuild();
            // Blobs the capture path stored without compression are compressed now (docs/redaction.md, "Storage").
            var compacted = Capture.BlobStore.RecompactAll(manager.Data);
            foreach (string error in compacted.Errors) context.Notice(error);
            if (parse.GetValue(json))
            {
                context.WriteRaw(new JsonObject
                {
                    ["schema_version"] = Query.SessionQueries.SchemaVersion,
                    ["index"] = index.PathOnDisk,
                    ["sessions"] = r.SessionsExamined,
                    ["segments"] = r.SegmentsRead,
                    ["lines"] = r.LinesRead,
                    ["events"] = r.EventsAdded,
                    ["skipped_lines"] = r.LinesSkipped,
                    ["recompacted_blobs"] = compacted.Recompacted,
                    ["recompacted_bytes_before"] = compacted.BytesBefore,
                    ["recompacted_bytes_after"] = compacted.BytesAfter,
                }.ToJsonString(CliJson.Indented) + Environment.NewLine);
            }
            else
            {
                context.WriteRaw(string.Create(CultureInfo.InvariantCulture,
                    $"reindexed {r.SessionsExamined} sessions: {r.SegmentsRead} segments, {r.EventsAdded} events{(r.LinesSkipped > 0 ? $", {r.LinesSkipped} unreadable lines skipped ('cfsession validate --all' lists them)" : "")}") + Environment.NewLine);
                if (compacted.Recompacted > 0) context.WriteRaw(RecompactedLine(compacted) + Environment.NewLine);
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line: how many blobs were compressed and the bytes before and after.</summary>
    internal static string RecompactedLine(Capture.BlobStore.RecompactionResult r) =>
        string.Create(CultureInfo.InvariantCulture, $"recompacted {r.Recompacted} blob(s): {r.BytesBefore} -> {r.BytesAfter} bytes");
}
