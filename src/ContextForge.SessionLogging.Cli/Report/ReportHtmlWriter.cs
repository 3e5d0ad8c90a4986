using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// Writes a <see cref="SessionReport"/> as one self-contained HTML page. The header, summaries and achievements are
/// markup (every recorded text escaped); the timeline is data: the rows in one JSON block and the operations'
/// outputs in one JSON block per <see cref="ChunkSize"/> operations (<c>&lt;script type="application/json"&gt;</c>,
/// never executed; <c>&lt; &gt; &amp; '</c> and non-ASCII are <c>\u</c>-escaped, so recorded text cannot end the block),
/// which the page's script turns into elements with <c>textContent</c> (never <c>innerHTML</c>): rows chunk by chunk
/// (the first chunk and a deep link's target at once, the rest when scrolled to or in the background), an
/// operation's output when it opens, and all of it when searched or printed. The inline stylesheets and scripts are
/// allowed by their sha256 in a Content-Security-Policy that allows nothing else (no network request, no other
/// script, no style attribute); the bundled asciinema-player, and <c>'wasm-unsafe-eval'</c> it needs, only when an
/// operation has a replayable pty capture.
/// </summary>
internal static class ReportHtmlWriter
{
    /// <summary>Operations per placeholder list and per output data block.</summary>
    public const int ChunkSize = 200;

    /// <summary>Failed operations linked from the header; the rest are counted (the "only failures" filter shows them all).</summary>
    public const int FailureLinks = 20;

    public static string Write(SessionReport report)
    {
        var styles = new StyledOutput();
        var body = new StringBuilder();
        var rows = new JsonBuffer();
        var chunks = new List<JsonBuffer>();
        bool replay = report.Sessions.Any(s => s.Operations.Any(o => o.Replay is not null));
        WriteBody(report, styles, body, rows, chunks);
        string css = ReportPage.Stylesheet(styles.UsedColours);
        string script = ReportPage.Script;
        var html = new StringBuilder((int)Math.Min(int.MaxValue / 2, body.Length + rows.Length + chunks.Sum(c => c.Length) + css.Length + script.Length + 4096));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        var scripts = new List<string> { script };
        var stylesheets = new List<string> { css };
        if (replay)
        {
            scripts.Add(PlayerAssets.Script);
            stylesheets.Add(PlayerAssets.Stylesheet);
        }
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy(stylesheets, scripts, replay)).Append("\">\n");
        html.Append("<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta name=\"generator\" content=\"cfsession report\">\n<title>");
        Html.AppendEscaped(html, Title(report));
        html.Append("</title>\n<style>").Append(css).Append("</style>\n");
        if (replay) html.Append("<style>").Append(PlayerAssets.Stylesheet).Append("</style>\n");
        html.Append("</head>\n");
        html.Append(body);
        html.Append("<script type=\"application/json\" id=\"rows\">");
        rows.AppendTo(html);
        html.Append("</script>\n");
        for (int k = 0; k < chunks.Count; k++)
        {
            html.Append("<script type=\"application/json\" id=\"out-").Append(k.ToString(CultureInfo.InvariantCulture)).Append("\">");
            chunks[k].AppendTo(html);
            html.Append("</script>\n");
        }
        if (replay) html.Append("<script>").Append(PlayerAssets.Script).Append("</script>\n");
        html.Append("<script>").Append(script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>
    /// The policy: nothing from anywhere, except this page's own stylesheets and scripts, by hash; WebAssembly
    /// compilation only for the bundled player (its terminal emulator is WebAssembly held inline).
    /// </summary>
    public static string ContentSecurityPolicy(IEnumerable<string> stylesheets, IEnumerable<string> scripts, bool player) =>
        $"default-src 'none'; script-src {string.Join(' ', scripts.Select(s => $"'{Sha256(s)}'"))}{(player ? " 'wasm-unsafe-eval'" : "")}; style-src {string.Join(' ', stylesheets.Select(s => $"'{Sha256(s)}'"))}; img-src 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>A CSP hash source: <c>sha256-</c> and the base64 SHA-256 of the UTF-8 text.</summary>
    public static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Title(SessionReport report) => report.Sessions.Count == 1
        ? $"cfsession report: {report.Sessions[0].Name ?? report.Sessions[0].Id[..8]}"
        : $"cfsession report: {report.Sessions.Count} sessions";

    private static void WriteBody(SessionReport report, StyledOutput styles, StringBuilder b, JsonBuffer rows, List<JsonBuffer> chunks)
    {
        int operations = report.Sessions.Sum(s => s.Operations.Count);
        int failed = report.Sessions.Sum(s => s.FailedOperationCount);
        b.Append("<body>\n<header>\n<h1>");
        Html.AppendEscaped(b, Title(report));
        b.Append("</h1>\n<p class=\"muted\">");
        Html.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
            $"{report.Selection}: {report.Sessions.Count} session(s), {operations} operation(s), {failed} failed. Generated {report.GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC. Each output is cut at {Format.Bytes(report.Limits.OutputBytesPerOperation)}; the report holds at most {Format.Bytes(report.Limits.OutputBudgetBytes)} of output."));
        b.Append("</p>\n");
        if (report.OperationsWithOutputLeftOut > 0)
        {
            b.Append("<p class=\"note\" id=\"budget-note\">");
            Html.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
                $"The output of {report.OperationsWithOutputLeftOut} operation(s) is left out: the report's output budget of {Format.Bytes(report.Limits.OutputBudgetBytes)} was spent. 'cfsession show SESSION --output OPERATION' shows any of them."));
            b.Append("</p>\n");
        }
        b.Append("<div class=\"controls\"><input type=\"search\" id=\"search\" placeholder=\"Search commands and outputs\" aria-label=\"Search commands and outputs\"><label><input type=\"checkbox\" id=\"only-failed\"> only failures</label><span id=\"search-count\" class=\"muted\"></span><button type=\"button\" id=\"theme\" title=\"Theme: follow the system, light or dark\">theme: auto</button></div>\n");
        if (failed > 0)
        {
            b.Append("<nav class=\"failures\"><strong>Failures:</strong> ");
            var failures = report.Sessions.SelectMany(s => s.Operations).Where(o => o.Outcome == OperationOutcome.Failed).ToList();
            foreach (var op in failures.Take(FailureLinks))
            {
                b.Append("<a href=\"#op-").Append(Id(op.Id)).Append("\">");
                Html.AppendEscaped(b, Shorten(op.Name, 40));
                b.Append(" (").Append(op.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "failed").Append(")</a>");
            }
            if (failures.Count > FailureLinks)
                b.Append("<span class=\"muted\">and ").Append((failures.Count - FailureLinks).ToString(CultureInfo.InvariantCulture)).Append(" more (only failures shows them all)</span>");
            b.Append("</nav>\n");
        }
        b.Append("</header>\n<main>\n");
        rows.Json.WriteStartArray();
        int first = 0;
        foreach (var session in report.Sessions) first = WriteSession(session, report.Limits, styles, b, rows, chunks, first);
        rows.Json.WriteEndArray();
        b.Append("</main>\n");
    }

    private static int WriteSession(ReportSession s, ReportLimits limits, StyledOutput styles, StringBuilder b, JsonBuffer rows, List<JsonBuffer> chunks, int first)
    {
        b.Append("<section class=\"session\" id=\"session-").Append(Id(s.Id)).Append("\">\n<h2>");
        Html.AppendEscaped(b, s.Name ?? s.Id);
        b.Append("</h2>\n<p class=\"meta\">");
        Html.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
            $"{s.Id} · {s.Type ?? "session"} · {s.Status ?? "unknown"}{(s.StartTime is { } t ? $" · started {t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "")}{(s.DurationMs is { } d ? " · " + Format.Duration(d) : "")} · {s.Operations.Count} operation(s), {s.FailedOperationCount} failed, {s.Achievements.Count} achievement(s)"));
        b.Append("</p>\n");
        if (s.Achievements.Count > 0)
        {
            b.Append("<h3>Achievements and milestones</h3>\n<ul class=\"achievements\">\n");
            foreach (var a in s.Achievements)
            {
                b.Append("<li><strong>");
                Html.AppendEscaped(b, a.MilestoneName is { } m ? "milestone " + m : a.Id);
                b.Append("</strong> <span class=\"muted\">");
                Html.AppendEscaped(b, a.Type);
                b.Append("</span> ");
                Html.AppendEscaped(b, a.Description);
                if (a.EvidenceJson is { Length: > 0 } evidence && evidence != "{}")
                {
                    b.Append(" <code>");
                    Html.AppendEscaped(b, evidence);
                    b.Append("</code>");
                }
                b.Append("</li>\n");
            }
            b.Append("</ul>\n");
        }
        b.Append("<h3>Operations</h3>\n");
        if (s.Operations.Count > 0)
        {
            b.Append("<noscript><p class=\"note\">");
            Html.AppendEscaped(b, $"The timeline and outputs are drawn by the page's own script; 'cfsession show {s.Id[..Math.Min(8, s.Id.Length)]}' prints them.");
            b.Append("</p></noscript>\n");
        }
        double longest = s.Operations.Select(o => o.DurationMs ?? 0).DefaultIfEmpty(0).Max();
        for (int start = 0; start < s.Operations.Count; start += ChunkSize)
        {
            int count = Math.Min(ChunkSize, s.Operations.Count - start);
            b.Append("<ol class=\"ops pending\" data-chunk=\"").Append(chunks.Count.ToString(CultureInfo.InvariantCulture))
                .Append("\" data-first=\"").Append((first + start).ToString(CultureInfo.InvariantCulture))
                .Append("\" data-count=\"").Append(count.ToString(CultureInfo.InvariantCulture)).Append("\"></ol>\n");
            var chunk = new JsonBuffer();
            chunk.Json.WriteStartArray();
            for (int i = start; i < start + count; i++)
            {
                WriteRow(s.Operations[i], longest, rows.Json);
                WriteOutputs(s, s.Operations[i], limits, styles, chunk.Json);
            }
            chunk.Json.WriteEndArray();
            chunks.Add(chunk);
        }
        b.Append("</section>\n");
        return first + s.Operations.Count;
    }

    /// <summary>A row: <c>[id, command, class (ok, fail, run), exit, duration, bar width %, details line]</c>.</summary>
    private static void WriteRow(ReportOperation op, double longest, Utf8JsonWriter json)
    {
        string outcome = op.Outcome switch { OperationOutcome.Succeeded => "ok", OperationOutcome.Failed => "fail", _ => "run" };
        string exit = op.Outcome switch
        {
            OperationOutcome.Running => "running",
            OperationOutcome.Interrupted => "interrupted",
            _ => op.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "failed",
        };
        int width = longest > 0 && op.DurationMs is { } d ? (int)Math.Clamp(Math.Ceiling(d / longest * 100), 0, 100) : 0;
        json.WriteStartArray();
        json.WriteStringValue(Id(op.Id));
        json.WriteStringValue(Clean(op.Name));
        json.WriteStringValue(outcome);
        json.WriteStringValue(exit);
        json.WriteStringValue(op.DurationMs is { } ms ? Format.Duration(ms) : "");
        json.WriteNumberValue(width);
        json.WriteStringValue(Clean(string.Create(CultureInfo.InvariantCulture,
            $"{op.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC{(op.OffsetMs is { } off ? " (+" + Format.Duration(off) + ")" : "")}{(op.Cwd is { } cwd ? " · in " + cwd : "")}")));
        json.WriteEndArray();
    }

    /// <summary>
    /// An operation's body: <c>{"s": [stream…], "c": cast, "none": true}</c>; a stream is <c>{"l": label, "r": runs,
    /// "n": [notes]}</c> and a run is a string (plain text) or <c>[text, classes, http(s) link]</c>; a cast is
    /// <c>{"w": columns, "h": rows, "e": [[seconds, text]…]}</c>.
    /// </summary>
    private static void WriteOutputs(ReportSession s, ReportOperation op, ReportLimits limits, StyledOutput styles, Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (op.Outputs.Count > 0)
        {
            json.WriteStartArray("s");
            foreach (var output in op.Outputs)
            {
                json.WriteStartObject();
                if (op.Outputs.Count > 1) json.WriteString("l", output.Name == "stderr" ? "stderr" : "output");
                var notes = new List<string>();
                if (output.NotShown is { } why)
                {
                    notes.Add($"The {output.Name} ({Format.Bytes(output.TotalBytes)}) {why}. {ShowCommand(s, op)} shows it.");
                }
                else
                {
                    json.WriteStartArray("r");
                    // The pty stream ("output") is drawn at the height its recorder kept; anything else at the default.
                    int rows = output.Name == "output" && op.Timing?.Size is { } size ? size.Rows : Capture.TerminalRenderer.ScreenRows;
                    foreach (var run in styles.Render(output.Text, rows))
                    {
                        if (run.Classes.Length == 0 && run.Link is null)
                        {
                            json.WriteStringValue(run.Text);
                            continue;
                        }
                        json.WriteStartArray();
                        json.WriteStringValue(run.Text);
                        json.WriteStringValue(run.Classes);
                        if (run.Link is not null) json.WriteStringValue(Clean(run.Link));
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                    if (output.Cut)
                        notes.Add(string.Create(CultureInfo.InvariantCulture,
                            $"Showing the first {Format.Bytes(limits.OutputBytesPerOperation)} of {Format.Bytes(output.TotalBytes)} ({output.TotalBytes} bytes); {ShowCommand(s, op)} shows all of it."));
                }
                if (notes.Count > 0)
                {
                    json.WriteStartArray("n");
                    foreach (string note in notes) json.WriteStringValue(Clean(note));
                    json.WriteEndArray();
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        else if (op.Outcome is not (OperationOutcome.Running or OperationOutcome.Interrupted))
        {
            json.WriteBoolean("none", true);
        }
        if (op.Replay is { } cast)
        {
            json.WriteStartObject("c");
            json.WriteNumber("w", cast.Columns);
            json.WriteNumber("h", cast.Rows);
            json.WriteStartArray("e");
            foreach (var (time, text) in cast.Events)
            {
                json.WriteStartArray();
                json.WriteNumberValue(time);
                json.WriteStringValue(text);
                json.WriteEndArray();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static string ShowCommand(ReportSession s, ReportOperation op) => $"'cfsession show {s.Id[..Math.Min(8, s.Id.Length)]} --output {op.Id[..Math.Min(8, op.Id.Length)]}'";

    /// <summary>An id for an attribute or fragment: recorded ids are GUIDs; anything else is reduced to safe characters.</summary>
    private static string Id(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (char c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        return sb.ToString();
    }

    /// <summary>The text with lone surrogates (possible in a JSON-escaped command line) as U+FFFD, so it can be written as JSON.</summary>
    private static string Clean(string text)
    {
        int bad = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) { bad = i; break; }
        }
        if (bad < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { sb.Append(text[i]).Append(text[i + 1]); i++; }
            else sb.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
        }
        return sb.ToString();
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    /// <summary>
    /// JSON written for a data block. The writer's default encoder escapes <c>&lt; &gt; &amp; ' "</c> and every
    /// non-ASCII character as <c>\uXXXX</c>, so the text holds no <c>&lt;/script</c> and no <c>&lt;!--</c>.
    /// </summary>
    private sealed class JsonBuffer
    {
        private readonly MemoryStream _buffer = new();

        public JsonBuffer() => Json = new Utf8JsonWriter(_buffer);

        public Utf8JsonWriter Json { get; }

        public long Length
        {
            get
            {
                Json.Flush();
                return _buffer.Length;
            }
        }

        public void AppendTo(StringBuilder html)
        {
            Json.Flush();
            // The JSON is ASCII (the encoder escapes the rest): one char per byte.
            var bytes = _buffer.GetBuffer().AsSpan(0, (int)_buffer.Length);
            foreach (byte b in bytes) html.Append((char)b);
        }
    }
}
