using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Query;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession show SESSION [--json]</c>: a session's timeline (operations with duration and exit code,
/// achievements); <c>--output OPERATION</c> shows one operation's output (stdout, then stderr to stderr) with every
/// escape sequence and control character made visible (<see cref="TerminalText"/>), ANSI-stripped with
/// <c>--plain</c>, or replayed byte for byte, escape sequences included, with <c>--raw</c>.
/// </summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var session = new Argument<string?>("session") { Description = "Session id or unique prefix (default: $CFSESSION_ID, else the newest session)", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output", "-o") { Description = "Replay this operation's output (operation id or unique prefix)" };
        var plain = new Option<bool>("--plain") { Description = "With --output: strip colours and control sequences" };
        var raw = new Option<bool>("--raw") { Description = "With --output: replay the exact recorded bytes, escape sequences included (only for output you trust)" };
        var json = new Option<bool>("--json") { Description = "Print the timeline as JSON" };
        var command = new Command("show", "Show a session's timeline, or replay an operation's output exactly") { session, output, plain, raw, json };
        var team = new TeamQueryOptions();
        team.AddTo(command);
        command.SetAction(parse =>
        {
            // An option where the id should be (`show --output --raw`): the parser took it as the id.
            if (parse.GetValue(output) is { } given && given.StartsWith('-'))
                throw new CliUsageException($"--output expects an operation id, got '{given}' ('cfsession show' lists a session's operations)");
            using var queries = team.Queries(context, parse);
            string id = context.ResolveSession(queries, parse.GetValue(session));
            if (parse.GetValue(plain) && parse.GetValue(raw)) throw new CliUsageException("--plain and --raw exclude each other");
            var mode = parse.GetValue(raw) ? ReplayMode.Raw : parse.GetValue(plain) ? ReplayMode.Plain : ReplayMode.Visible;
            if (parse.GetValue(output) is { } operation) return Replay(context, queries, id, operation, mode);
            if (mode != ReplayMode.Visible) throw new CliUsageException("--plain and --raw go with --output OPERATION");
            var timeline = queries.Timeline(id);
            if (parse.GetValue(json))
            {
                context.WriteRaw(timeline.ToJson() + Environment.NewLine);
                return (int)ExitCodes.Success;
            }
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"[bold]{id}[/] {TerminalText.Markup(timeline.SessionName ?? "")} [grey]{TerminalText.Markup(timeline.SessionType ?? "")}, {timeline.Status}, {timeline.OperationCount} ops ({timeline.FailedOperationCount} failed), {timeline.AchievementCount} achievements{(timeline.DurationMs is { } d ? ", " + Format.Duration(d) : "")}[/]");
            // The summary line is for the person; a program reading the lines gets only events.
            if (context.Terminal) context.Output.MarkupLine(summary);
            else context.Notice(Markup.Remove(summary));
            DateTimeOffset? start = timeline.StartTime is { } startTime ? DateTimeOffset.Parse(startTime, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
            // On a pipe "at" is the event's UTC time, the operation id is whole, duration and output are plain numbers (ms, bytes).
            var table = new OutputTable(new("at", Justify.Right, NoWrap: true), new("event", NoWrap: true), new("operation", NoWrap: true), new("what"),
                new("exit", Justify.Right), new("duration", Justify.Right, NoWrap: true), new("output", Justify.Right));
            foreach (var e in timeline.Events)
            {
                string at = start is { } s ? "+" + Format.Duration(Math.Max(0, (e.Timestamp - s).TotalMilliseconds)) : e.Timestamp.ToString("O", CultureInfo.InvariantCulture);
                string exitMarkup = HistoryCommand.ExitMarkup(e);
                string what = e.Event == SessionEventNames.AchievementLogged
                    ? $"{e.Fields[JournalFields.AchievementId]} {e.Fields[JournalFields.AchievementType]}: {e.Fields[JournalFields.Description]}"
                    : e.Fields[JournalFields.OperationName]?.ToString() ?? e.Fields[JournalFields.SessionName]?.ToString() ?? "";
                double? duration = e.Event is SessionEventNames.TerminalCapture or SessionEventNames.TerminalCaptureFailed && e.Fields[JournalFields.DurationMs] is JsonValue dv && dv.TryGetValue(out double dd) ? dd : null;
                long length = (e.Fields[JournalFields.OutputLength] is JsonValue ol && ol.TryGetValue(out long l1) ? l1 : 0) + (e.Fields[JournalFields.StderrLength] is JsonValue sl && sl.TryGetValue(out long l2) ? l2 : 0);
                bool stored = e.Fields.ContainsKey(JournalFields.IntegrityHash);
                table.Add(new Cell(TerminalText.Of(at), Sessions.SessionManager.FormatTime(e.Timestamp)), Cell.Text(HistoryCommand.Label(e)),
                    e.OperationId is { } op ? Cell.Id(op) : new Cell(TerminalText.Of(""), "-"), Cell.Text(what), Cell.Markup(exitMarkup, Markup.Remove(exitMarkup)),
                    Cell.Duration(duration), new Cell(TerminalText.Of(stored ? Format.Bytes(length) : ""), stored ? length.ToString(CultureInfo.InvariantCulture) : "-"));
            }
            table.Write(context);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    private enum ReplayMode { Visible, Plain, Raw }

    private static int Replay(CliContext context, SessionQueries queries, string sessionId, string operation, ReplayMode mode)
    {
        OperationOutput? found;
        try
        {
            found = queries.FindOperationOutput(sessionId, operation);
        }
        catch (AmbiguousOperationException ex)
        {
            return context.Fail(ExitCodes.Usage, ex.Message);
        }
        if (found is null) return context.Fail(ExitCodes.NoSession, $"session {sessionId[..8]} has no operation '{operation}': 'cfsession show {sessionId[..8]}' lists them");
        bool unreadable = false;
        foreach (var stream in found.Outputs)
        {
            if (stream.RejectedBlobReference is { } rejected)
            {
                context.Notice($"the {stream.Name} of {found.OperationId} names blob {TerminalText.Visible(rejected)}, which is not blobs/<sha256>: refused ('cfsession validate' reports it)");
                continue;
            }
            if (!stream.Exists)
            {
                if (stream.Length is > 0) context.Notice($"the {stream.Name} of {found.OperationId} is not stored (blob missing or never written)");
                continue;
            }
            string? hash;
            try
            {
                hash = ReplayStream(context, stream, mode);
            }
            catch (IOException ex)
            {
                // A damaged blob (not zstd, truncated, or holding more than its recorded length): what was read is
                // shown, the rest is not, and the command says so.
                context.Notice($"the stored {stream.Name} of {found.OperationId} cannot be read to the end: {ex.Message} ('cfsession validate' reports it)");
                unreadable = true;
                continue;
            }
            if (stream.Hash is { } expected && hash != expected)
                context.Notice($"warning: the stored {stream.Name} of {found.OperationId} does not match its recorded hash ('cfsession validate' reports it)");
        }
        return unreadable ? (int)ExitCodes.DataError : (int)ExitCodes.Success;
    }

    /// <summary>The largest piece of output converted at once for the visible and plain views (cut at a newline when there is one).</summary>
    private const int ReplayChunkBytes = 1024 * 1024;

    /// <summary>
    /// Streams one output to its console, hashing the stored bytes on the way; memory is one chunk whatever the
    /// output's size. Returns the <c>sha256:</c> hash of the bytes read.
    /// </summary>
    private static string ReplayStream(CliContext context, StoredOutput stream, ReplayMode mode)
    {
        using var input = stream.OpenRead();
        using var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        bool toStderr = stream.Name == JournalFields.Stderr;
        using var raw = toStderr ? null : context.OpenRawOutput();
        var text = toStderr ? context.Error.Profile.Out.Writer : null;
        var decoder = new UTF8Encoding(false, false).GetDecoder();
        byte[] buffer = new byte[ReplayChunkBytes];
        int held = 0;
        while (true)
        {
            int read = input.ReadAtLeast(buffer.AsSpan(held), buffer.Length - held, throwOnEndOfStream: false);
            hasher.AppendData(buffer, held, read);
            held += read;
            bool last = read == 0 || held < buffer.Length;
            if (held == 0) break;
            // Convert up to the last newline so an escape sequence on one line is never split between chunks.
            int cut = last ? held : Array.LastIndexOf(buffer, (byte)'\n', held - 1) + 1;
            if (cut == 0) cut = held;
            Write(buffer.AsSpan(0, cut), flush: last);
            Buffer.BlockCopy(buffer, cut, buffer, 0, held - cut);
            held -= cut;
            if (last && held == 0) break;
        }
        if (raw is not null) raw.Flush();
        text?.Flush();
        return "sha256:" + Convert.ToHexStringLower(hasher.GetHashAndReset());

        void Write(ReadOnlySpan<byte> bytes, bool flush)
        {
            if (mode == ReplayMode.Raw && raw is not null)
            {
                raw.Write(bytes);
                return;
            }
            char[] chars = new char[decoder.GetCharCount(bytes, flush)];
            int n = decoder.GetChars(bytes, chars, flush);
            string decoded = new(chars, 0, n);
            string shown = mode switch
            {
                ReplayMode.Plain => TerminalText.Visible(AnsiText.ToPlain(decoded)),
                ReplayMode.Visible => TerminalText.Visible(decoded),
                _ => decoded,
            };
            if (text is not null) text.Write(shown);
            else raw!.Write(Encoding.UTF8.GetBytes(shown));
        }
    }
}
