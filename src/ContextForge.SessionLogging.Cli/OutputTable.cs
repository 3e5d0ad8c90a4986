using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ContextForge.SessionLogging.Cli;

/// <summary>
/// One value of a listing in its two forms: what a person sees in a terminal table (short id, local time, coloured
/// exit code) and what a program reads from a pipe or a <c>--format</c> template (full id, UTC ISO 8601 time, the
/// number as recorded).
/// </summary>
internal readonly record struct Cell(IRenderable Rich, string Plain)
{
    /// <summary>Text shown as it is in both forms (control characters made visible).</summary>
    public static Cell Text(string? text) => new(TerminalText.Of(text ?? ""), text ?? "");

    /// <summary>Text with a missing value shown as <c>-</c>.</summary>
    public static Cell TextOrDash(string? text) => string.IsNullOrEmpty(text) ? Text("-") : Text(text);

    /// <summary>An id: its first 8 characters on a terminal (any unique prefix is accepted), in full otherwise.</summary>
    public static Cell Id(string? id) => string.IsNullOrEmpty(id) ? Text("-") : new(TerminalText.Of(id.Length > 8 ? id[..8] : id), id);

    /// <summary>A time: local <c>yyyy-MM-dd HH:mm:ss</c> on a terminal, the recorded UTC ISO 8601 text otherwise.</summary>
    public static Cell Time(DateTimeOffset time) =>
        new(TerminalText.Of(time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)), Sessions.SessionManager.FormatTime(time));

    /// <summary>A time given as recorded text.</summary>
    public static Cell Time(string? iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) ? new(TerminalText.Of(Format.Time(iso)), iso!) : Text("-");

    /// <summary>A duration: human units on a terminal, milliseconds as a number otherwise.</summary>
    public static Cell Duration(double? ms) => ms is { } d ? new(TerminalText.Of(Format.Duration(d)), d.ToString("0.###", CultureInfo.InvariantCulture)) : Text("-");

    /// <summary>A count or other integer.</summary>
    public static Cell Number(long n) => Text(n.ToString(CultureInfo.InvariantCulture));

    /// <summary>Spectre markup on a terminal, the given text otherwise.</summary>
    public static Cell Markup(string markup, string plain) => new(new Spectre.Console.Markup(markup), plain);
}

/// <summary>A listing column: its name (also its <c>--format</c> placeholder), alignment, and whether it may wrap.</summary>
internal sealed record OutputColumn(string Name, Justify Justify = Justify.Left, bool NoWrap = false, bool Hidden = false);

/// <summary>
/// A listing that renders as a table on a terminal and as one tab-separated line per record otherwise (no header,
/// no wrapping or cutting, full ids, tabs and newlines inside a value shown as <c>␉</c> and <c>␤</c>), or through a
/// <c>--format</c> template whose <c>{column}</c> placeholders take the plain values. Hidden columns only serve
/// templates.
/// </summary>
internal sealed class OutputTable(params OutputColumn[] columns)
{
    private readonly List<Cell[]> _rows = [];

    public IReadOnlyList<OutputColumn> Columns => columns;

    public int Count => _rows.Count;

    /// <summary>The terminal table's border.</summary>
    public TableBorder Border { get; init; } = TableBorder.Simple;

    public void Add(params Cell[] cells)
    {
        if (cells.Length != columns.Length) throw new ArgumentException($"expected {columns.Length} cells, got {cells.Length}", nameof(cells));
        _rows.Add(cells);
    }

    /// <summary>Writes the rows in the form the context asks for.</summary>
    public void Write(CliContext context, OutputTemplate? template = null)
    {
        if (template is not null)
        {
            var sb = new StringBuilder();
            foreach (var row in _rows) sb.Append(template.Render(name => row[Index(name)].Plain)).Append('\n');
            context.WriteRaw(sb.ToString());
            return;
        }
        if (!context.Terminal)
        {
            var sb = new StringBuilder();
            foreach (var row in _rows)
            {
                bool first = true;
                for (int i = 0; i < columns.Length; i++)
                {
                    if (columns[i].Hidden) continue;
                    if (!first) sb.Append('\t');
                    sb.Append(OneLine(row[i].Plain));
                    first = false;
                }
                sb.Append('\n');
            }
            context.WriteRaw(sb.ToString());
            return;
        }
        var table = new Table().Border(Border);
        var shown = Enumerable.Range(0, columns.Length).Where(i => !columns[i].Hidden).ToArray();
        foreach (int i in shown)
        {
            var c = new TableColumn(columns[i].Name) { Alignment = columns[i].Justify, NoWrap = columns[i].NoWrap };
            table.AddColumn(c);
        }
        foreach (var row in _rows) table.AddRow(shown.Select(i => row[i].Rich));
        context.Output.Write(table);
    }

    /// <summary>Parses a <c>--format</c> template against these columns (an unknown placeholder is a usage error).</summary>
    public OutputTemplate? Template(string? format) => format is null ? null : OutputTemplate.Parse(format, columns.Select(c => c.Name).ToList());

    private int Index(string name)
    {
        for (int i = 0; i < columns.Length; i++) if (columns[i].Name == name) return i;
        throw new ArgumentException($"no column {name}", nameof(name));
    }

    /// <summary>A value on one line: control characters visible, tab as <c>␉</c>, newline as <c>␤</c>; an empty value as <c>-</c>.</summary>
    internal static string OneLine(string value)
    {
        if (value.Length == 0) return "-";
        string visible = TerminalText.Visible(value);
        return visible.AsSpan().IndexOfAny('\t', '\n') < 0 ? visible : visible.Replace("\t", "␉", StringComparison.Ordinal).Replace("\n", "␤", StringComparison.Ordinal);
    }
}

/// <summary>
/// A <c>--format</c> template, as atuin has: <c>{name}</c> is a column's plain value (one line), <c>\t</c>, <c>\n</c>
/// and <c>\\</c> are a tab, a newline and a backslash, <c>{{</c> and <c>}}</c> are braces; everything else is literal.
/// </summary>
internal sealed class OutputTemplate
{
    private readonly List<(string? Literal, string? Name)> _parts;

    private OutputTemplate(List<(string?, string?)> parts) => _parts = parts;

    /// <summary>The <c>--format</c> option of a listing command.</summary>
    public static System.CommandLine.Option<string?> Option(string example) =>
        new("--format") { Description = $"Print each record through this template, e.g. \"{example}\" (placeholders: the columns in docs/cli.md)" };

    public static OutputTemplate Parse(string format, IReadOnlyList<string> names)
    {
        var parts = new List<(string?, string?)>();
        var literal = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '\\' && i + 1 < format.Length && format[i + 1] is 't' or 'n' or '\\')
            {
                literal.Append(format[++i] switch { 't' => '\t', 'n' => '\n', _ => '\\' });
            }
            else if (c == '{' && i + 1 < format.Length && format[i + 1] == '{') { literal.Append('{'); i++; }
            else if (c == '}' && i + 1 < format.Length && format[i + 1] == '}') { literal.Append('}'); i++; }
            else if (c == '{')
            {
                int end = format.IndexOf('}', i + 1);
                if (end < 0) throw new CliUsageException($"--format: unclosed '{{' at character {i + 1} (write '{{{{' for a brace)");
                string name = format[(i + 1)..end];
                if (!names.Contains(name))
                    throw new CliUsageException($"--format: unknown placeholder {Quantities.Quote("{" + name + "}")}; use {string.Join(", ", names.Select(n => "{" + n + "}"))}");
                if (literal.Length > 0) { parts.Add((literal.ToString(), null)); literal.Clear(); }
                parts.Add((null, name));
                i = end;
            }
            else literal.Append(c);
        }
        if (literal.Length > 0) parts.Add((literal.ToString(), null));
        return new OutputTemplate(parts);
    }

    public string Render(Func<string, string> value)
    {
        var sb = new StringBuilder();
        foreach (var (literal, name) in _parts) sb.Append(literal ?? OutputTable.OneLine(value(name!)));
        return sb.ToString();
    }
}
