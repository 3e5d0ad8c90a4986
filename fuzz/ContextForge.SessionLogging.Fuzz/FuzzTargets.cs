using System.Text;
using System.Text.Json;
using ContextForge.SessionLogging.Cli;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Inspection;
using ContextForge.SessionLogging.Journal;
using ContextForge.SessionLogging.Milestones;
using ContextForge.SessionLogging.Redaction;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tracing;
using Spectre.Console;

namespace ContextForge.SessionLogging.Fuzz;

/// <summary>What one fuzz input did: accepted, or rejected with the documented one-line error.</summary>
/// <param name="Accepted">The input was read/parsed.</param>
/// <param name="Detail">A short description: what was read, or the documented error.</param>
internal sealed record FuzzOutcome(bool Accepted, string Detail)
{
    public static FuzzOutcome Ok(string detail) => new(true, detail);

    public static FuzzOutcome Rejected(string error) => new(false, error);
}

/// <summary>A documented behaviour was broken (e.g. an error message of two lines): a crash, like an unexpected exception.</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// The coverage-guided fuzz targets (scripts/fuzz-afl.sh runs them under afl-fuzz through SharpFuzz) and the
/// regression tests (tests/.../Fuzz/AflRegressionTests.cs) share this file, so a crash input found by afl-fuzz
/// goes through exactly the same code in the suite. A target returns a <see cref="FuzzOutcome"/> for every input it
/// accepts or rejects in a documented way; anything else (an unexpected exception, a
/// <see cref="FuzzInvariantException"/>, a hang, a process crash) is a crash.
/// </summary>
internal static class FuzzTargets
{
    /// <summary>The targets by name, in the order the script runs them.</summary>
    public static readonly IReadOnlyDictionary<string, Func<byte[], FuzzOutcome>> All = new Dictionary<string, Func<byte[], FuzzOutcome>>(StringComparer.Ordinal)
    {
        ["journal-reader"] = JournalReaderTarget,
        ["trace-reader"] = TraceReaderTarget,
        ["redaction-config"] = RedactionConfigTarget,
        ["milestones-config"] = MilestonesConfigTarget,
        ["cli-args"] = CliArgsTarget,
        ["quantities"] = QuantitiesTarget,
        ["trace-payload"] = TracePayloadTarget,
    };

    /// <summary>Runs one input through a target.</summary>
    public static FuzzOutcome Run(string target, byte[] input) =>
        All.TryGetValue(target, out var run) ? run(input) : throw new ArgumentException($"unknown fuzz target '{target}' (known: {string.Join(", ", All.Keys)})", nameof(target));

    private static string WorkDirectory(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"cfsession-fuzz-{Environment.ProcessId}", name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void OneLine(string? message, string what)
    {
        if (message is not null && (message.Contains('\n', StringComparison.Ordinal) || message.Contains('\r', StringComparison.Ordinal)))
            throw new FuzzInvariantException($"{what} is not one line: {message.ReplaceLineEndings("\\n")}");
    }

    // ---- journal-reader: the bytes are one journal segment; the reader never throws, reports problems in one line.
    private static FuzzOutcome JournalReaderTarget(byte[] input)
    {
        string dir = WorkDirectory("journal");
        string segment = Path.Combine(dir, "00000000-0000-4000-8000-000000000001-000001" + JournalReader.SegmentExtension);
        File.WriteAllBytes(segment, input);
        var session = JournalReader.ReadSession(dir);
        var single = JournalReader.ReadSegment(segment);
        if (single.Events.Count != session.Events.Count || single.Problems.Count != session.Problems.Count)
            throw new FuzzInvariantException($"ReadSegment ({single.Events.Count} events) and ReadSession ({session.Events.Count}) disagree");
        foreach (var problem in session.Problems) OneLine(problem.Message, "a journal problem");
        foreach (var e in session.Events)
        {
            _ = e.Fields.ToJsonString();
            _ = e.Name.Length + e.SessionId.Length;
        }
        var summary = SessionSummary.FromEvents("fuzz", session.Events);
        return FuzzOutcome.Ok($"{session.Events.Count} events, {session.Problems.Count} problems, {summary.Captures.Count} captures");
    }

    // ---- trace-reader: the bytes are a .nettrace; only TraceReadException (one line) may come out.
    private static FuzzOutcome TraceReaderTarget(byte[] input)
    {
        TraceReadResult result;
        try
        {
            using var stream = new MemoryStream(input, writable: false);
            result = TraceReader.Read(stream, "fuzz.nettrace");
        }
        catch (TraceReadException ex)
        {
            OneLine(ex.Message, "the trace read error");
            return FuzzOutcome.Rejected(ex.Message);
        }
        foreach (var traced in result.Events) _ = traced.Event.Fields.ToJsonString();
        return FuzzOutcome.Ok($"{result.Events.Count} events, {result.Unattributed} unattributed, {result.LostEvents} lost");
    }

    // ---- redaction-config: redaction.json; ParseConfig throws only RedactionConfigException ("redaction.json:N: ...",
    // one line); Load never throws (built-in set plus a one-line error); the loaded set redacts a line.
    private static FuzzOutcome RedactionConfigTarget(byte[] input)
    {
        string? parseError = null;
        try
        {
            _ = SecretRedactor.ParseConfig(input, "redaction.json");
        }
        catch (RedactionConfigException ex)
        {
            if (!ex.Message.StartsWith("redaction.json:", StringComparison.Ordinal)) throw new FuzzInvariantException($"error does not name the file: {ex.Message}");
            OneLine(ex.Message, "the redaction.json error");
            parseError = ex.Message;
        }
        string dir = WorkDirectory("redaction");
        File.WriteAllBytes(Path.Combine(dir, SecretRedactor.ConfigFileName), input);
        var redactor = SecretRedactor.Load(dir, out string? error);
        OneLine(error, "the redaction.json load error");
        if ((error is null) != (parseError is null)) throw new FuzzInvariantException($"Load and ParseConfig disagree: '{error}' vs '{parseError}'");
        string redacted = redactor.Redact("token=ghp_0123456789abcdefghijABCDEFGHIJ012345 user=alice TKT-0123", null);
        return parseError is null ? FuzzOutcome.Ok($"{redactor.PatternNames.Count()} patterns: {redacted}") : FuzzOutcome.Rejected(parseError);
    }

    // ---- milestones-config: milestones.json; Load never throws and gives definitions or one error line.
    private static FuzzOutcome MilestonesConfigTarget(byte[] input)
    {
        string dir = WorkDirectory("milestones");
        string path = Path.Combine(dir, MilestoneConfig.FileName);
        File.WriteAllBytes(path, input);
        var (definitions, error) = MilestoneConfig.Load(path);
        OneLine(error, "the milestones.json error");
        if (error is not null)
        {
            if (definitions.Count != 0) throw new FuzzInvariantException("an error with definitions");
            if (!error.StartsWith(path + ":", StringComparison.Ordinal)) throw new FuzzInvariantException($"error does not name the file: {error}");
            return FuzzOutcome.Rejected(error);
        }
        foreach (var d in definitions)
        {
            if (!MilestoneConfig.IsValidName(d.Name)) throw new FuzzInvariantException($"invalid name accepted: {d.Name}");
            if (d.Count < 1) throw new FuzzInvariantException($"count {d.Count} accepted");
        }
        return FuzzOutcome.Ok($"{definitions.Count} milestones");
    }

    // ---- cli-args: one argument per line, run in-process by the real CliApplication on a small prepared data
    // directory. Only commands without side effects outside that directory are run (prune always with --dry-run).
    // Any exit code but 70 (internal error) is fine; an exception out of RunAsync is a crash.
    private static readonly HashSet<string> ReadOnlyCommands = new(StringComparer.Ordinal)
    {
        "history", "search", "show", "sessions", "validate", "inspect", "prune", "reindex", "milestones", "--help", "--version",
    };

    private static string? s_cliData;

    private static string CliDataDirectory()
    {
        if (s_cliData is not null) return s_cliData;
        string dir = WorkDirectory("cli");
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = dir, EmitToProvider = false });
        using (var session = manager.Start("fuzz", "test"))
        {
            session.LogAchievement("tests_passed", "all green", new Dictionary<string, object?> { ["count"] = 3, ["ok"] = true });
        }
        using (var open = manager.Start("open"))
        {
            open.LogAchievement("built", "done", new Dictionary<string, object?> { ["artifact"] = "app.tar.gz" });
            open.End();
        }
        File.WriteAllText(Path.Combine(dir, MilestoneConfig.FileName), "{\"milestones\":[{\"name\":\"first\",\"kind\":\"achievements\",\"count\":1}]}");
        return s_cliData = dir;
    }

    private static FuzzOutcome CliArgsTarget(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        string[] args = text.Split('\n');
        if (args.Length > 24) args = args[..24];
        if (args.Length == 0 || !ReadOnlyCommands.Contains(args[0])) return FuzzOutcome.Rejected("not a read-only command: not run");
        if (args[0] == "prune") args = [.. args, "--dry-run"];
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new Dictionary<string, string?> { [DataDirectory.HomeVariable] = CliDataDirectory() };
        var context = new CliContext(NullConsole(output), NullConsole(error), env) { OpenRawOutput = () => Stream.Null };
        int code = CliApplication.RunAsync(args, context).GetAwaiter().GetResult();
        if (code == (int)ExitCodes.Internal) throw new FuzzInvariantException($"exit 70: {error}");
        string err = error.ToString().TrimEnd('\n');
        if (code != 0)
        {
            foreach (string line in err.Split('\n'))
                if (line.Length > 0 && !line.StartsWith("cfsession: ", StringComparison.Ordinal)) throw new FuzzInvariantException($"an error line without the tool's prefix: {line}");
        }
        return code == 0 ? FuzzOutcome.Ok("exit 0") : FuzzOutcome.Rejected($"exit {code}: {err}");
    }

    private static IAnsiConsole NullConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Interactive = InteractionSupport.No,
        Out = new AnsiConsoleOutput(writer),
    });

    // ---- quantities: the value parsers of options. The first line names the parser (duration, size, time,
    // keywords), the rest is the value. Only CliUsageException / FormatException (keywords) may come out, and a
    // parsed duration must be usable the way history and prune use it (now - duration).
    private static FuzzOutcome QuantitiesTarget(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        string kind = newline < 0 ? text : text[..newline];
        string value = newline < 0 ? string.Empty : text[(newline + 1)..];
        try
        {
            switch (kind)
            {
                case "duration":
                {
                    var d = Quantities.Duration(value, "--since");
                    var from = DateTimeOffset.UtcNow - d;
                    return FuzzOutcome.Ok($"{d} ({from:O})");
                }
                case "size":
                {
                    long size = Quantities.Size(value, "--max-size");
                    if (size < 0) throw new FuzzInvariantException($"negative size {size} from '{value}'");
                    return FuzzOutcome.Ok($"{size} bytes");
                }
                case "time":
                    return FuzzOutcome.Ok(Quantities.Time(value, "--from").ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                case "keywords":
                    return FuzzOutcome.Ok(SessionKeywordsText.Parse(value).ToString());
                default:
                    return FuzzOutcome.Rejected("no such parser");
            }
        }
        catch (CliUsageException ex)
        {
            OneLine(ex.Message, "the usage error");
            return FuzzOutcome.Rejected(ex.Message);
        }
        catch (FormatException ex) when (kind == "keywords")
        {
            return FuzzOutcome.Rejected(ex.Message);
        }
    }

    // ---- trace-payload: a UnifiedTelemetry event's FieldTypes (first line) and Fields JSON (the rest), as a trace
    // gives them. A malformed payload may only fail as malformed JSON or a malformed value.
    private static FuzzOutcome TracePayloadTarget(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        string types = newline < 0 ? string.Empty : text[..newline];
        string json = newline < 0 ? text : text[(newline + 1)..];
        try
        {
            var fields = TracePayload.Decode(["SessionId", "Fields", "FieldTypes"], ["s", json, types]).Fields;
            foreach (var (key, value) in fields) _ = ContextForge.SessionLogging.Records.FieldValues.From(key, value is DateTime t ? new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero) : value);
            return FuzzOutcome.Ok($"{fields.Count} fields");
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return FuzzOutcome.Rejected(ex.GetType().Name);
        }
    }
}
