using System.Globalization;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// Builds a <see cref="SessionReport"/> from the public query API only (<see cref="SessionQueries.Timeline"/> and
/// <see cref="SessionQueries.FindOperationOutput"/>): the stored, already redacted, output is read back, cut at
/// the per-operation limit, and left out once the report's output budget is spent.
/// </summary>
internal sealed class SessionReportBuilder(SessionQueries queries, IOperationTimingSource timing, ReportLimits limits)
{
    private long _budgetLeft = limits.OutputBudgetBytes;
    private int _leftOut;

    public SessionReport Build(IReadOnlyList<string> sessionIds, string selection, DateTimeOffset now)
    {
        var sessions = sessionIds.Select(Session).ToList();
        return new SessionReport(selection, now, sessions, limits, _leftOut);
    }

    private ReportSession Session(string id)
    {
        var timeline = queries.Timeline(id);
        DateTimeOffset? start = timeline.StartTime is { } s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
        var operations = new List<ReportOperation>();
        var achievements = new List<ReportAchievement>();
        string sessionDirectory = queries.Data.SessionDirectory(id);
        foreach (var e in timeline.Events)
        {
            if (e.Event == SessionEventNames.AchievementLogged)
            {
                achievements.Add(new ReportAchievement(
                    Text(e.Fields, JournalFields.AchievementId) ?? "", Text(e.Fields, JournalFields.AchievementType) ?? "",
                    Text(e.Fields, JournalFields.Description) ?? "", Text(e.Fields, JournalFields.MilestoneName), e.Timestamp,
                    e.Fields[JournalFields.Evidence]?.ToJsonString()));
                continue;
            }
            if (e.OperationId is not { } operationId) continue;
            if (e.Event is not (SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed or SessionEventNames.OperationStarted)) continue;
            double? duration = Number(e.Fields, JournalFields.DurationMs);
            long? exit = e.Event == SessionEventNames.OperationStarted ? null : Integer(e.Fields, JournalFields.ExitCode);
            var outcome = e.Event == SessionEventNames.OperationStarted
                ? e.OperationStatus == "interrupted" ? OperationOutcome.Interrupted : OperationOutcome.Running
                : e.Event == SessionEventNames.TerminalCaptureFailed || exit is not 0 ? OperationOutcome.Failed : OperationOutcome.Succeeded;
            double? offset = start is { } st ? Math.Max(0, (e.Timestamp - st).TotalMilliseconds - (duration ?? 0)) : null;
            var recorded = timing.Find(sessionDirectory, operationId);
            ReplayCast? replay = null;
            var outputs = e.Event == SessionEventNames.OperationStarted ? [] : Outputs(id, operationId, recorded, out replay);
            operations.Add(new ReportOperation(operationId, Text(e.Fields, JournalFields.OperationName) ?? Text(e.Fields, JournalFields.Command) ?? "",
                Text(e.Fields, JournalFields.Cwd), e.Timestamp, offset, duration, exit, outcome, outputs, recorded, replay));
        }
        return new ReportSession(id, timeline.SessionName, timeline.SessionType, timeline.Status, start, timeline.DurationMs,
            operations.Count(o => o.Outcome == OperationOutcome.Failed), operations, achievements);
    }

    private List<ReportOutput> Outputs(string sessionId, string operationId, OperationTiming? timing, out ReplayCast? replay)
    {
        replay = null;
        var result = new List<ReportOutput>();
        OperationOutput? found;
        try
        {
            found = queries.FindOperationOutput(sessionId, operationId);
        }
        catch (Exception ex) when (ex is IOException or AmbiguousOperationException)
        {
            result.Add(new ReportOutput(JournalFields.Output, "", 0, false, "cannot be read: " + ex.Message));
            return result;
        }
        if (found is null) return result;
        bool budgetCounted = false;
        foreach (var stream in found.Outputs)
        {
            long total = stream.Length ?? 0;
            if (stream.RejectedBlobReference is not null)
            {
                result.Add(new ReportOutput(stream.Name, "", total, false, "names a blob that is not blobs/<sha256>: refused ('cfsession validate' reports it)"));
                continue;
            }
            if (!stream.Exists)
            {
                if (total > 0) result.Add(new ReportOutput(stream.Name, "", total, false, "not stored (blob missing or never written)"));
                continue;
            }
            int want = (int)Math.Min(limits.OutputBytesPerOperation, Math.Max(total, 0));
            if (total > 0 && want > _budgetLeft)
            {
                result.Add(new ReportOutput(stream.Name, "", total, false, "left out: the report's output budget is spent"));
                if (!budgetCounted) _leftOut++;
                budgetCounted = true;
                continue;
            }
            byte[] bytes;
            try
            {
                bytes = ReadPrefix(stream, limits.OutputBytesPerOperation + 1);
            }
            catch (IOException ex)
            {
                result.Add(new ReportOutput(stream.Name, "", total, false, "cannot be read: " + ex.Message));
                continue;
            }
            // An empty stream (a command that wrote nothing to stderr) is not shown.
            if (bytes.Length == 0) continue;
            bool cut = bytes.Length > limits.OutputBytesPerOperation;
            int shown = cut ? limits.OutputBytesPerOperation : bytes.Length;
            // Cut before a partial UTF-8 sequence so the cut itself adds no U+FFFD.
            if (cut) while (shown > 0 && (bytes[shown] & 0xC0) == 0x80 && limits.OutputBytesPerOperation - shown < 4) shown--;
            _budgetLeft -= shown;
            // The timing is of the pty stream (stdout and stderr together, recorded as "output").
            if (timing is not null && stream.Name == JournalFields.Output) replay = ReplayCastBuilder.Build(bytes.AsSpan(0, shown), timing);
            result.Add(new ReportOutput(stream.Name, StyledOutput.Decode(bytes.AsSpan(0, shown)), Math.Max(total, bytes.Length), cut, null));
        }
        return result;
    }

    private static byte[] ReadPrefix(StoredOutput stream, int max)
    {
        using var input = stream.OpenRead();
        var buffer = new byte[Math.Min(max, 64 * 1024)];
        int held = 0;
        while (held < max)
        {
            if (held == buffer.Length) Array.Resize(ref buffer, Math.Min(max, buffer.Length * 2));
            int read = input.Read(buffer, held, buffer.Length - held);
            if (read == 0) break;
            held += read;
        }
        return buffer[..held];
    }

    private static string? Text(JsonObject fields, string name) => fields[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private static double? Number(JsonObject fields, string name) => fields[name] is JsonValue v && v.TryGetValue(out double d) ? d : null;

    private static long? Integer(JsonObject fields, string name) => fields[name] is JsonValue v && v.TryGetValue(out long l) ? l : null;
}
