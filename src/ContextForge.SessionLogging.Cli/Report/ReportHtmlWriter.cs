using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// Writes a <see cref="SessionReport"/> as one self-contained HTML page: every recorded text escaped, one inline
/// stylesheet and one inline script allowed by their sha256 in a Content-Security-Policy meta tag that allows
/// nothing else (<c>default-src 'none'</c>: no network request, no other script, no inline style attribute).
/// Each operation is a row (a link to its own <c>#op-&lt;id&gt;</c>) and a hidden body that opens on click (or, without
/// JavaScript, when it is the URL's target); no <c>&lt;details&gt;</c>, whose per-element shadow tree made a
/// 10,000-operation page three times slower to load. An output longer than <see cref="InlineOutputChars"/> rendered is kept as
/// a JSON string in a data block (<c>&lt;script type="application/json"&gt;</c>, never executed, cheap to parse) and
/// put in place when its operation opens, so a 10,000-operation page loads fast. The page reads without JavaScript
/// (short outputs inline; search, the failures filter and long outputs need it).
/// </summary>
internal static class ReportHtmlWriter
{
    /// <summary>Rendered outputs up to this many characters are inline in the page; longer ones load on open.</summary>
    public const int InlineOutputChars = 4096;

    public static string Write(SessionReport report)
    {
        var colours = new AnsiHtml();
        var body = new StringBuilder();
        var deferred = new List<string>();
        WriteBody(report, colours, body, deferred);
        WriteDeferred(deferred, body);
        string css = ReportPage.Stylesheet(colours.UsedColours);
        string script = ReportPage.Script;
        var html = new StringBuilder(body.Length + css.Length + script.Length + 2048);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy(css, script)).Append("\">\n");
        html.Append("<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta name=\"generator\" content=\"cfsession report\">\n<title>");
        AnsiHtml.AppendEscaped(html, Title(report));
        html.Append("</title>\n<style>").Append(css).Append("</style>\n</head>\n");
        html.Append(body);
        html.Append("<script>").Append(script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The policy: nothing from anywhere, except this page's own stylesheet and script, by hash.</summary>
    public static string ContentSecurityPolicy(string css, string script) =>
        $"default-src 'none'; script-src '{Sha256(script)}'; style-src '{Sha256(css)}'; img-src 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>A CSP hash source: <c>sha256-</c> and the base64 SHA-256 of the UTF-8 text.</summary>
    public static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Title(SessionReport report) => report.Sessions.Count == 1
        ? $"cfsession report: {report.Sessions[0].Name ?? report.Sessions[0].Id[..8]}"
        : $"cfsession report: {report.Sessions.Count} sessions";

    /// <summary>The long outputs' HTML as a JSON array of strings; <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> and quotes are \u-escaped, so the block cannot end early.</summary>
    private static void WriteDeferred(List<string> deferred, StringBuilder b)
    {
        if (deferred.Count == 0) return;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (string html in deferred) json.WriteStringValue(html);
            json.WriteEndArray();
        }
        b.Append("<script type=\"application/json\" id=\"outputs\">").Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append("</script>\n");
    }

    private static void WriteBody(SessionReport report, AnsiHtml ansi, StringBuilder b, List<string> deferred)
    {
        int operations = report.Sessions.Sum(s => s.Operations.Count);
        int failed = report.Sessions.Sum(s => s.FailedOperationCount);
        b.Append("<body>\n<header>\n<h1>");
        AnsiHtml.AppendEscaped(b, Title(report));
        b.Append("</h1>\n<p class=\"muted\">");
        AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
            $"{report.Selection}: {report.Sessions.Count} session(s), {operations} operation(s), {failed} failed. Generated {report.GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC. Each output is cut at {Format.Bytes(report.Limits.OutputBytesPerOperation)}; the report holds at most {Format.Bytes(report.Limits.OutputBudgetBytes)} of output."));
        b.Append("</p>\n");
        if (report.OperationsWithOutputLeftOut > 0)
        {
            b.Append("<p class=\"note\" id=\"budget-note\">");
            AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
                $"The output of {report.OperationsWithOutputLeftOut} operation(s) is left out: the report's output budget of {Format.Bytes(report.Limits.OutputBudgetBytes)} was spent. 'cfsession show SESSION --output OPERATION' shows any of them."));
            b.Append("</p>\n");
        }
        b.Append("<div class=\"controls\"><input type=\"search\" id=\"search\" placeholder=\"Search commands and outputs\" aria-label=\"Search commands and outputs\"><label><input type=\"checkbox\" id=\"only-failed\"> only failures</label><span id=\"search-count\" class=\"muted\"></span></div>\n");
        if (failed > 0)
        {
            b.Append("<nav class=\"failures\"><strong>Failures:</strong> ");
            foreach (var op in report.Sessions.SelectMany(s => s.Operations).Where(o => o.Outcome == OperationOutcome.Failed))
            {
                b.Append("<a href=\"#op-").Append(Id(op.Id)).Append("\">");
                AnsiHtml.AppendEscaped(b, Shorten(op.Name, 40));
                b.Append(" (").Append(op.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "failed").Append(")</a>");
            }
            b.Append("</nav>\n");
        }
        b.Append("</header>\n<main>\n");
        foreach (var session in report.Sessions) WriteSession(session, report.Limits, ansi, b, deferred);
        b.Append("</main>\n");
    }

    private static void WriteSession(ReportSession s, ReportLimits limits, AnsiHtml ansi, StringBuilder b, List<string> deferred)
    {
        b.Append("<section class=\"session\" id=\"session-").Append(Id(s.Id)).Append("\">\n<h2>");
        AnsiHtml.AppendEscaped(b, s.Name ?? s.Id);
        b.Append("</h2>\n<p class=\"meta\">");
        AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
            $"{s.Id} · {s.Type ?? "session"} · {s.Status ?? "unknown"}{(s.StartTime is { } t ? $" · started {t.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "")}{(s.DurationMs is { } d ? " · " + Format.Duration(d) : "")} · {s.Operations.Count} operation(s), {s.FailedOperationCount} failed, {s.Achievements.Count} achievement(s)"));
        b.Append("</p>\n");
        if (s.Achievements.Count > 0)
        {
            b.Append("<h3>Achievements and milestones</h3>\n<ul class=\"achievements\">\n");
            foreach (var a in s.Achievements)
            {
                b.Append("<li><strong>");
                AnsiHtml.AppendEscaped(b, a.MilestoneName is { } m ? "milestone " + m : a.Id);
                b.Append("</strong> <span class=\"muted\">");
                AnsiHtml.AppendEscaped(b, a.Type);
                b.Append("</span> ");
                AnsiHtml.AppendEscaped(b, a.Description);
                if (a.EvidenceJson is { Length: > 0 } evidence && evidence != "{}")
                {
                    b.Append(" <code>");
                    AnsiHtml.AppendEscaped(b, evidence);
                    b.Append("</code>");
                }
                b.Append("</li>\n");
            }
            b.Append("</ul>\n");
        }
        b.Append("<h3>Operations</h3>\n<ol class=\"ops\">\n");
        double longest = s.Operations.Select(o => o.DurationMs ?? 0).DefaultIfEmpty(0).Max();
        foreach (var op in s.Operations) WriteOperation(s, op, longest, limits, ansi, b, deferred);
        b.Append("</ol>\n</section>\n");
    }

    private static void WriteOperation(ReportSession s, ReportOperation op, double longest, ReportLimits limits, AnsiHtml ansi, StringBuilder b, List<string> deferred)
    {
        string outcome = op.Outcome switch { OperationOutcome.Succeeded => "ok", OperationOutcome.Failed => "fail", _ => "run" };
        string exit = op.Outcome switch
        {
            OperationOutcome.Running => "running",
            OperationOutcome.Interrupted => "interrupted",
            _ => op.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "failed",
        };
        int width = longest > 0 && op.DurationMs is { } d ? (int)Math.Clamp(Math.Ceiling(d / longest * 100), 0, 100) : 0;
        b.Append("<li class=\"op ").Append(outcome).Append("\" id=\"op-").Append(Id(op.Id)).Append("\"><a class=\"row\" href=\"#op-").Append(Id(op.Id)).Append("\"><span class=\"exit\">").Append(exit)
            .Append("</span><span class=\"name\">");
        AnsiHtml.AppendEscaped(b, op.Name);
        b.Append("</span><span class=\"dur\">").Append(op.DurationMs is { } ms ? Format.Duration(ms) : "").Append("</span><span class=\"bar\"><span class=\"w")
            .Append(width).Append("\"></span></span></a><div class=\"body\">\n<p class=\"meta\"><a href=\"#op-").Append(Id(op.Id)).Append("\">").Append(Id(op.Id)).Append("</a>");
        AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
            $" · {op.Timestamp.UtcDateTime:yyyy-MM-dd HH:mm:ss.fff} UTC{(op.OffsetMs is { } off ? " (+" + Format.Duration(off) + ")" : "")}{(op.Cwd is { } cwd ? " · in " + cwd : "")}"));
        if (op.Timing is { } timing)
            AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture, $" · pty timing recorded ({timing.Chunks.Count} chunks over {timing.TotalSeconds:0.0} s); replay is not bundled in this build"));
        b.Append("</p>\n");
        foreach (var output in op.Outputs)
        {
            if (op.Outputs.Count > 1) b.Append("<p class=\"stream\">").Append(output.Name == "stderr" ? "stderr" : "output").Append("</p>\n");
            if (output.NotShown is { } why)
            {
                b.Append("<p class=\"note\">");
                AnsiHtml.AppendEscaped(b, $"The {output.Name} ({Format.Bytes(output.TotalBytes)}) {why}. {ShowCommand(s, op)} shows it.");
                b.Append("</p>\n");
                continue;
            }
            var rendered = new StringBuilder();
            ansi.Render(output.Text, rendered);
            if (rendered.Length <= InlineOutputChars)
            {
                b.Append("<pre class=\"out\">").Append(rendered).Append("</pre>\n");
            }
            else
            {
                b.Append("<pre class=\"out\" data-out=\"").Append(deferred.Count.ToString(CultureInfo.InvariantCulture)).Append("\"></pre><noscript><p class=\"note\">");
                AnsiHtml.AppendEscaped(b, $"This output ({Format.Bytes(output.TotalBytes)}) is shown with JavaScript; {ShowCommand(s, op)} prints it.");
                b.Append("</p></noscript>\n");
                deferred.Add(rendered.ToString());
            }
            if (output.Cut)
            {
                b.Append("<p class=\"note\">");
                AnsiHtml.AppendEscaped(b, string.Create(CultureInfo.InvariantCulture,
                    $"Showing the first {Format.Bytes(limits.OutputBytesPerOperation)} of {Format.Bytes(output.TotalBytes)} ({output.TotalBytes} bytes); {ShowCommand(s, op)} shows all of it."));
                b.Append("</p>\n");
            }
        }
        if (op.Outputs.Count == 0 && op.Outcome is not (OperationOutcome.Running or OperationOutcome.Interrupted)) b.Append("<p class=\"meta\">no output</p>\n");
        b.Append("</div></li>\n");
    }

    private static string ShowCommand(ReportSession s, ReportOperation op) => $"'cfsession show {s.Id[..8]} --output {op.Id[..8]}'";

    /// <summary>An id for an attribute or fragment: recorded ids are GUIDs; anything else is reduced to safe characters.</summary>
    private static string Id(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (char c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_');
        return sb.ToString();
    }

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
