using System.Text;
using Wcwidth;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Turns the bytes a program wrote to a terminal into the text the screen showed, for search, history and the
/// index (the stored bytes stay exact). A pure function over a small terminal model:
/// <list type="bullet">
/// <item>printable text is written at the cursor, overwriting what was there; wide characters take two cells
/// (Wcwidth), combining characters join the cell before; invalid UTF-8 becomes U+FFFD;</item>
/// <item>CR returns to column 0 (a progress bar that redraws its line leaves its last state); LF starts the next line
/// at column 0 (the pty's ONLCR does the same for the terminal, and pipe output has bare LF); backspace moves left;
/// a tab moves to the next multiple of 8 (the gap reads as spaces);</item>
/// <item>erase in line (EL 0/1/2), erase in display (ED 0/1/2; ED 2 and 3 clear the screen, the lines that scrolled
/// off stay), erase/delete/insert characters (ECH, DCH, ICH), cursor moves (CUU, CUD, CUF, CUB, CNL, CPL, CHA,
/// VPA, CUP/HVP, RI, IND, NEL, save/restore), relative to a screen of <see cref="ScreenRows"/> rows whose top
/// follows the output (a saved cursor is a place on the screen, as a terminal keeps it: restoring it never reaches a
/// line that scrolled off); lines are never wrapped (the width is unknown, so a logical line stays one line);</item>
/// <item>the alternate screen (private modes 47, 1047, 1049: vim, less, top) is drawn apart and dropped when the
/// program leaves it, as the terminal does: the searchable text of such a command is what stays on the main screen;
/// a stream that ends on the alternate screen keeps that screen's final state;</item>
/// <item>colours and other attributes (SGR), OSC, DCS, APC, PM and SOS strings, modes and other controls show
/// nothing; <see cref="RenderStyled"/> keeps SGR attributes and OSC 8 link targets with each cell (the HTML report
/// uses it, so the report and the index share one terminal model).</item>
/// </list>
/// Each line loses its trailing blanks; lines end with <c>\n</c>. <see cref="Lines"/> gives the same lines from a stream
/// read in pieces, each as soon as nothing later in the stream can change it, so a reader can stop early.
/// </summary>
internal static class TerminalRenderer
{
    /// <summary>The screen height cursor addressing (CUP) and erase-display are relative to, when the recording kept none.</summary>
    public const int ScreenRows = 24;

    private const int TabWidth = 8;
    private const int MaxParameter = 10_000;  // larger cursor moves are clamped: a hostile stream cannot allocate
    private const int MaxColumns = 4096;      // a cursor never moves right beyond this column
    // Blank cells a stream may make the model allocate by moving the cursor right and printing ("\e[4000C" then one
    // character, per line): past this many (64 MiB of cells), the rest of the stream is not rendered. Ordinary output
    // pads a few cells per line; a hostile one could otherwise take gigabytes from the index or the report.
    private const long MaxPaddingCells = 4_000_000;

    /// <summary>The text the screen showed for <paramref name="bytes"/> (UTF-8, invalid sequences as U+FFFD).</summary>
    public static string Render(ReadOnlySpan<byte> bytes) => Render(Encoding.UTF8.GetString(bytes));

    /// <summary>
    /// The text a screen of <paramref name="rows"/> rows showed for <paramref name="bytes"/> (the recorded height: a
    /// program that redraws a taller screen from its top, as top does, then overwrites its previous frame).
    /// </summary>
    public static string Render(ReadOnlySpan<byte> bytes, int rows) => Render(Encoding.UTF8.GetString(bytes), rows);

    /// <summary>The text the screen showed for <paramref name="text"/> (already decoded).</summary>
    public static string Render(string text) => Render(text, ScreenRows);

    /// <summary>The text a screen of <paramref name="rows"/> rows showed for <paramref name="text"/> (already decoded).</summary>
    public static string Render(string text, int rows)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        return IsPlainAscii(text) ? TrimLineEnds(text) : RenderOnModel(text, rows);
    }

    /// <summary>Renders on the terminal model, whatever the text holds (what <see cref="Render(string, int)"/> does for anything not plain).</summary>
    internal static string RenderOnModel(string text, int rows = ScreenRows)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var terminal = new Terminal(Math.Clamp(rows, 1, 1000), wrap: false);
        terminal.Feed(text, final: true);
        return terminal.Text();
    }

    /// <summary>
    /// Printable ASCII and LF only, no line past <see cref="MaxColumns"/>: the model would write each character in
    /// the next cell and start a line at each LF, so the screen is the text itself with each line's trailing blanks
    /// dropped. Most command output is such text; the index renders every capture it reads, so it skips the model.
    /// </summary>
    private static bool IsPlainAscii(string text)
    {
        int lineLength = 0;
        foreach (char c in text)
        {
            if (c == '\n') lineLength = 0;
            else if (c is < ' ' or > '~' || ++lineLength > MaxColumns) return false;
        }
        return true;
    }

    private static string TrimLineEnds(string text)
    {
        if (!text.Contains(" \n", StringComparison.Ordinal) && !text.EndsWith(' ')) return text;
        var result = new StringBuilder(text.Length);
        int start = 0;
        while (start <= text.Length)
        {
            int newline = text.IndexOf('\n', start);
            int end = newline < 0 ? text.Length : newline;
            result.Append(text.AsSpan(start, end - start).TrimEnd(' '));
            if (newline < 0) break;
            result.Append('\n');
            start = newline + 1;
        }
        return result.ToString();
    }

    /// <summary>
    /// The lines of <see cref="Render(string, int)"/> over the concatenation of <paramref name="pieces"/> (a final empty
    /// line after the last newline left out), each given once no later piece can change it: a line is final when
    /// it and a non-empty line at or below it have scrolled off the screen. Reading stops when the caller does.
    /// </summary>
    public static IEnumerable<string> Lines(IEnumerable<string> pieces, int rows = ScreenRows)
    {
        var terminal = new Terminal(Math.Clamp(rows, 1, 1000), wrap: false);
        string pending = string.Empty;
        int given = 0;
        foreach (string piece in pieces)
        {
            string text = pending.Length == 0 ? piece : pending + piece;
            int used = terminal.Feed(text, final: false);
            pending = text[used..];
            for (int final = terminal.FinalLines(); given < final; given++) yield return terminal.MainLine(given);
        }
        terminal.Feed(pending, final: true);
        var rest = terminal.LinesFrom(given);
        int count = rest.Count;
        if (given + count > 1 && count > 0 && rest[count - 1].Length == 0) count--; // the text ends with a newline
        for (int i = 0; i < count; i++) yield return rest[i];
    }

    /// <summary>
    /// The screen <paramref name="text"/> left, as runs of text with one style each (newlines are in the text, with the
    /// default style). Unlike <see cref="Render(string)"/>, a line longer than <see cref="WrapColumns"/> columns wraps
    /// (soft: the runs carry no newline there, so a long line's text comes out whole) instead of being cut. The
    /// screen is <paramref name="rows"/> high: the height the recorder kept, so cursor addressing lands where it did.
    /// </summary>
    public static IReadOnlyList<StyledRun> RenderStyled(string text, int rows = ScreenRows)
    {
        if (string.IsNullOrEmpty(text)) return [];
        var terminal = new Terminal(Math.Clamp(rows, 1, 1000), wrap: true);
        terminal.Feed(text, final: true);
        return terminal.Runs();
    }

    /// <summary>The width at which <see cref="RenderStyled"/> wraps a line (the widest a cursor may go).</summary>
    public const int WrapColumns = MaxColumns;

    // A cell: its glyph (null blank, "" the right half of a wide character) and its style's index in the terminal's table.
    private readonly record struct Cell(string? Glyph, int Style)
    {
        public static readonly Cell Blank = new(null, 0);
    }

    private sealed class Screen(int rows)
    {
        public readonly int Rows = rows;
        public readonly List<List<Cell>> Lines = [[]];
        public readonly HashSet<int> SoftWrapped = []; // rows that continue on the next row (wrapped, not ended)
        public int Row;
        public int Column;
        public int Top; // the first line of the visible screen; the ones above scrolled off
        public bool Alternate; // no scrollback: clearing it erases
        private (int Row, int Column) _saved; // the row on the screen (from its top), as a terminal saves it

        public List<Cell> Line
        {
            get
            {
                while (Lines.Count <= Row) Lines.Add([]);
                return Lines[Row];
            }
        }

        public void MoveTo(int row, int column)
        {
            Row = Math.Max(0, row);
            Column = Math.Clamp(column, 0, MaxColumns);
            while (Lines.Count <= Row) Lines.Add([]);
            if (Row >= Top + Rows) Top = Row - Rows + 1;
        }

        public void NewLine() => MoveTo(Row + 1, 0);

        public void SaveCursor() => _saved = (Row - Top, Column);

        public void RestoreCursor() => MoveTo(Top + _saved.Row, _saved.Column);
    }

    private sealed class Terminal
    {
        private readonly int _rows;
        private readonly bool _wrap;
        private long _padding; // blank cells allocated by cursor jumps so far (bounded by MaxPaddingCells)
        private Screen _main;

        public Terminal(int rows, bool wrap)
        {
            _rows = rows;
            _wrap = wrap;
            _main = new Screen(rows);
        }
        private Screen? _alternate;
        private Screen S => _alternate ?? _main;

        // Styles in use: index 0 is the default; cells hold an index, so a line costs no more than before.
        private readonly List<TerminalStyle> _styles = [TerminalStyle.Default];
        private readonly Dictionary<TerminalStyle, int> _styleIndex = new() { [TerminalStyle.Default] = 0 };
        private TerminalStyle _style = TerminalStyle.Default;
        private int _current;

        private void SetStyle(TerminalStyle style)
        {
            _style = style;
            if (!_styleIndex.TryGetValue(style, out _current))
            {
                _current = _styles.Count;
                _styles.Add(style);
                _styleIndex[style] = _current;
            }
        }

        public List<StyledRun> Runs()
        {
            var runs = new List<StyledRun>();
            var text = new StringBuilder();
            int style = 0;
            void Flush()
            {
                if (text.Length > 0) runs.Add(new StyledRun(text.ToString(), _styles[style]));
                text.Clear();
            }
            void Add(string s, int cellStyle)
            {
                if (cellStyle != style) { Flush(); style = cellStyle; }
                text.Append(s);
            }
            void Screen(Screen screen)
            {
                for (int i = 0; i < screen.Lines.Count; i++)
                {
                    var line = screen.Lines[i];
                    bool soft = screen.SoftWrapped.Contains(i) && i + 1 < screen.Lines.Count;
                    int end = line.Count;
                    if (!soft) while (end > 0 && line[end - 1].Glyph is null) end--;
                    for (int c = 0; c < end; c++)
                    {
                        var cell = line[c];
                        if (cell.Glyph is null) Add(" ", 0);
                        else if (cell.Glyph.Length > 0) Add(cell.Glyph, cell.Style);
                    }
                    if (!soft && i + 1 < screen.Lines.Count) Add("\n", 0);
                }
            }
            Screen(_main);
            if (_alternate is not null)
            {
                Add("\n", 0);
                Screen(_alternate);
            }
            Flush();
            return runs;
        }

        /// <summary>
        /// How many lines of the main screen no later input can change: the cursor never goes above the screen's top,
        /// and the top only moves up (a cleared screen) to just below the last line that holds anything.
        /// </summary>
        public int FinalLines()
        {
            for (int r = Math.Min(_main.Top, _main.Lines.Count) - 1; r >= 0; r--)
            {
                if (_main.Lines[r].Count > 0) return r + 1;
            }
            return 0;
        }

        public string MainLine(int row) => LineText(_main.Lines[row]);

        /// <summary>The lines of <see cref="Text"/> from main-screen line <paramref name="row"/> on.</summary>
        public List<string> LinesFrom(int row)
        {
            var lines = new List<string>();
            for (int r = row; r < _main.Lines.Count; r++) lines.Add(LineText(_main.Lines[r]));
            if (_alternate is not null) lines.AddRange(_alternate.Lines.Select(LineText));
            return lines;
        }

        private static string LineText(List<Cell> cells)
        {
            var text = new StringBuilder();
            Append(text, cells);
            return text.ToString();
        }

        public string Text()
        {
            var text = new StringBuilder();
            Append(text, _main);
            if (_alternate is not null)
            {
                // The stream ended while a program had the alternate screen: what it showed last is what was seen.
                text.Append('\n');
                Append(text, _alternate);
            }
            return text.ToString();
        }

        private static void Append(StringBuilder text, Screen screen)
        {
            for (int i = 0; i < screen.Lines.Count; i++)
            {
                if (i > 0) text.Append('\n');
                Append(text, screen.Lines[i]);
            }
        }

        // One line's cells, without its trailing blanks.
        private static void Append(StringBuilder text, List<Cell> cells)
        {
            int start = text.Length;
            foreach (var cell in cells)
            {
                if (cell.Glyph is null) text.Append(' ');
                else text.Append(cell.Glyph);
            }
            int end = text.Length;
            while (end > start && text[end - 1] == ' ') end--;
            text.Length = end;
        }

        /// <summary>
        /// Draws <paramref name="text"/>; returns how much of it was used. Unless <paramref name="final"/>, an escape
        /// sequence or surrogate pair cut at the end is left for the next piece (drawn as a whole, as in one piece).
        /// Past the padding budget the rest is used up without being drawn.
        /// </summary>
        public int Feed(string text, bool final)
        {
            int i = 0;
            while (i < text.Length)
            {
                if (_padding > MaxPaddingCells) return text.Length;
                char c = text[i];
                if (c == '\x1B')
                {
                    if (!final && IsCut(text, i)) return i;
                    i = Escape(text, i + 1);
                    continue;
                }
                if (c < ' ' || c == '\x7F')
                {
                    Control(c);
                    i++;
                    continue;
                }
                if (c is >= '\x80' and <= '\x9F')
                {
                    i++; // C1 controls (as characters) show nothing
                    continue;
                }
                var status = Rune.DecodeFromUtf16(text.AsSpan(i), out Rune rune, out int used);
                if (status == System.Buffers.OperationStatus.NeedMoreData && !final) return i;
                if (status != System.Buffers.OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar;
                    used = 1;
                }
                Print(rune);
                i += used;
            }
            return i;
        }

        /// <summary>True when the escape sequence at <paramref name="esc"/> is not complete in <paramref name="text"/> (the parse below would run off its end).</summary>
        private static bool IsCut(string text, int esc)
        {
            int i = esc + 1;
            if (i >= text.Length) return true;
            switch (text[i])
            {
                case '[':
                    i++;
                    while (i < text.Length && text[i] is >= ' ' and <= '?') i++;
                    return i >= text.Length;
                case ']': case 'P': case 'X': case '^': case '_':
                    for (i++; i < text.Length; i++)
                    {
                        if (text[i] is '\x07' or '\x9C') return false;
                        if (text[i] == '\x1B') return i + 1 >= text.Length;
                    }
                    return true;
                case '(': case ')': case '*': case '+': case '-': case '.': case '/': case '#': case '%': case ' ':
                    return i + 1 >= text.Length;
                default:
                    return false;
            }
        }

        private void Control(char c)
        {
            var s = S;
            switch (c)
            {
                case '\r': s.Column = 0; break;
                case '\n': case '\v': case '\f': s.NewLine(); break;
                case '\b': s.Column = Math.Max(0, s.Column - 1); break;
                case '\t': s.Column = Math.Min(MaxColumns, (s.Column / TabWidth + 1) * TabWidth); break;
            }
        }

        private void Print(Rune rune)
        {
            var s = S;
            bool ascii = rune.Value < 128;
            int width = ascii ? 1 : UnicodeCalculator.GetWidth(rune.Value); // printable ASCII (controls were handled)
            string glyph = ascii ? Ascii[rune.Value] : rune.ToString();
            var line = s.Line;
            if (width <= 0)
            {
                // A combining mark (or another zero-width character) joins the cell before the cursor.
                int prev = Math.Min(s.Column, line.Count) - 1;
                while (prev >= 0 && string.IsNullOrEmpty(line[prev].Glyph)) prev--;
                if (prev >= 0 && width == 0) line[prev] = line[prev] with { Glyph = line[prev].Glyph + glyph };
                return;
            }
            if (!_wrap && s.Column >= MaxColumns) return;
            if (_wrap && s.Column + width > MaxColumns)
            {
                // As a terminal this wide would: the line continues on the next row (a soft wrap, no newline).
                s.SoftWrapped.Add(s.Row);
                s.NewLine();
                line = s.Line;
            }
            Put(line, s.Column, new Cell(glyph, _current));
            if (width == 2) Put(line, s.Column + 1, new Cell(string.Empty, _current)); // the right half of a wide character
            s.Column += width;
        }

        // Writes one cell; overwriting half of a wide character blanks its other half. Blank cells a cursor jump leaves
        // are counted against the padding budget.
        private void Put(List<Cell> line, int column, Cell cell)
        {
            if (line.Count < column) _padding += column - line.Count;
            while (line.Count <= column) line.Add(Cell.Blank);
            if (line[column].Glyph is { Length: 0 } && column > 0) line[column - 1] = Cell.Blank; // was a right half
            else if (line[column].Glyph is { Length: > 0 } && column + 1 < line.Count && line[column + 1].Glyph is { Length: 0 }) line[column + 1] = Cell.Blank; // was a left half
            line[column] = cell;
        }

        private int Escape(string text, int i)
        {
            if (i >= text.Length) return i;
            char c = text[i];
            var s = S;
            switch (c)
            {
                case '[': return Csi(text, i + 1);
                case ']': return Osc(text, i + 1);
                case 'P': case 'X': case '^': case '_': return SkipString(text, i + 1);
                case '(': case ')': case '*': case '+': case '-': case '.': case '/': case '#': case '%': case ' ':
                    return Math.Min(text.Length, i + 2); // a charset designation or similar: one more byte
                case '7': s.SaveCursor(); return i + 1;
                case '8': s.RestoreCursor(); return i + 1;
                case 'D': s.MoveTo(s.Row + 1, s.Column); return i + 1;
                case 'E': s.NewLine(); return i + 1;
                case 'M': s.MoveTo(Math.Max(s.Top, s.Row - 1), s.Column); return i + 1;
                case 'c': Reset(); return i + 1;
                default: return i + 1;
            }
        }

        private void Reset()
        {
            // RIS: the screen is cleared (what scrolled off stays, like ED 2), attributes and link reset.
            _alternate = null;
            ClearScreen(_main);
            SetStyle(TerminalStyle.Default);
        }

        // OSC: only 8 (hyperlink) changes what is drawn: the target is kept with the cells (the report decides which it links).
        private int Osc(string text, int i)
        {
            int end = SkipString(text, i);
            if (end - i >= 2 && text[i] == '8' && text[i + 1] == ';')
            {
                int bodyEnd = end;
                if (bodyEnd > i && text[bodyEnd - 1] is '\x07' or '\x9C') bodyEnd--;
                else if (bodyEnd - i >= 2 && text[bodyEnd - 1] == '\\' && text[bodyEnd - 2] == '\x1B') bodyEnd -= 2;
                else if (bodyEnd > i && text[bodyEnd - 1] == '\x1B') bodyEnd--;
                else if (bodyEnd == text.Length) return end; // unterminated: nothing
                int semi = text.IndexOf(';', i + 2, bodyEnd - i - 2);
                string uri = semi < 0 ? "" : text[(semi + 1)..bodyEnd];
                SetStyle(_style with { Link = uri.Length == 0 ? null : uri });
            }
            return end;
        }

        // OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \).
        private static int SkipString(string text, int i)
        {
            while (i < text.Length)
            {
                char c = text[i];
                if (c == '\x07') return i + 1;
                if (c == '\x1B') return i + 1 < text.Length && text[i + 1] == '\\' ? i + 2 : i + 1;
                if (c == '\x9C') return i + 1;
                i++;
            }
            return i;
        }

        private int Csi(string text, int i)
        {
            int start = i;
            while (i < text.Length && text[i] is >= '0' and <= '?') i++;
            int parametersEnd = i;
            while (i < text.Length && text[i] is >= ' ' and <= '/') i++;
            if (i >= text.Length) return i;
            char final = text[i];
            if (final is < '@' or > '~') return i; // malformed: the character is shown as text
            var parameters = text.AsSpan(start, parametersEnd - start);
            bool isPrivate = parameters.Length > 0 && parameters[0] is '?' or '>' or '<' or '=';
            if (parametersEnd != i) return i + 1; // intermediates: nothing this model draws
            if (final == 'm' && !isPrivate)
            {
                SetStyle(TerminalStyle.Apply(_style, parameters));
                return i + 1;
            }
            if (isPrivate)
            {
                if (parameters[0] == '?' && final is 'h' or 'l') PrivateMode(parameters[1..], final == 'h');
                return i + 1;
            }
            Span<int> p = stackalloc int[4];
            int count = Parameters(parameters, p);
            int n = Math.Max(1, p[0]);
            var s = S;
            switch (final)
            {
                case 'A': s.MoveTo(Math.Max(s.Top, s.Row - n), s.Column); break;
                case 'B': case 'e': s.MoveTo(Math.Min(s.Top + s.Rows - 1, s.Row + n), s.Column); break;
                case 'C': case 'a': s.MoveTo(s.Row, s.Column + n); break;
                case 'D': s.MoveTo(s.Row, s.Column - n); break;
                case 'E': s.MoveTo(Math.Min(s.Top + s.Rows - 1, s.Row + n), 0); break;
                case 'F': s.MoveTo(Math.Max(s.Top, s.Row - n), 0); break;
                case 'G': case '`': s.MoveTo(s.Row, n - 1); break;
                case 'd': s.MoveTo(s.Top + Math.Min(n, s.Rows) - 1, s.Column); break;
                case 'H': case 'f':
                    s.MoveTo(s.Top + Math.Min(n, s.Rows) - 1, (count > 1 ? Math.Max(1, p[1]) : 1) - 1);
                    break;
                case 'K': EraseInLine(s, p[0]); break;
                case 'J': EraseInDisplay(s, p[0]); break;
                case 'X': Blank(s.Line, s.Column, s.Column + n); break;
                case 'P':
                {
                    var line = s.Line;
                    if (s.Column < line.Count) line.RemoveRange(s.Column, Math.Min(n, line.Count - s.Column));
                    break;
                }
                case '@':
                {
                    var line = s.Line;
                    if (s.Column < line.Count) line.InsertRange(s.Column, Enumerable.Repeat(Cell.Blank, Math.Min(n, MaxColumns)));
                    if (line.Count > MaxColumns) line.RemoveRange(MaxColumns, line.Count - MaxColumns);
                    break;
                }
                case 's': s.SaveCursor(); break;
                case 'u': s.RestoreCursor(); break;
            }
            return i + 1;
        }

        private static int Parameters(ReadOnlySpan<char> text, Span<int> values)
        {
            values.Clear();
            int count = 0, value = 0;
            bool any = false;
            foreach (char c in text)
            {
                if (c is >= '0' and <= '9')
                {
                    value = Math.Min(MaxParameter, value * 10 + (c - '0'));
                    any = true;
                }
                else if (c is ';' or ':')
                {
                    if (count < values.Length) values[count] = value;
                    count++;
                    value = 0;
                }
            }
            if (any || count > 0)
            {
                if (count < values.Length) values[count] = value;
                count++;
            }
            return count;
        }

        private void PrivateMode(ReadOnlySpan<char> parameters, bool set)
        {
            foreach (var range in parameters.Split(';'))
            {
                var mode = parameters[range];
                if (mode is not ("47" or "1047" or "1049")) continue;
                if (set && _alternate is null)
                {
                    if (mode is "1049") _main.SaveCursor();
                    _alternate = new Screen(_rows) { Alternate = true };
                }
                else if (!set && _alternate is not null)
                {
                    _alternate = null;
                    if (mode is "1049") _main.RestoreCursor();
                }
            }
        }

        private static void EraseInLine(Screen s, int mode)
        {
            var line = s.Line;
            switch (mode)
            {
                case 0: if (s.Column < line.Count) { Unsplit(line, s.Column); line.RemoveRange(s.Column, line.Count - s.Column); } break;
                case 1: Blank(line, 0, s.Column + 1); break;
                case 2: line.Clear(); break;
            }
        }

        private static void EraseInDisplay(Screen s, int mode)
        {
            switch (mode)
            {
                case 0:
                    EraseInLine(s, 0);
                    for (int r = s.Row + 1; r < s.Lines.Count; r++) s.Lines[r].Clear();
                    break;
                case 1:
                    for (int r = s.Top; r < s.Row && r < s.Lines.Count; r++) s.Lines[r].Clear();
                    Blank(s.Line, 0, s.Column + 1);
                    break;
                case 2: case 3:
                    ClearScreen(s);
                    break;
            }
        }

        // The visible screen goes blank and the cursor stays where it is on it; the lines above it stay (scrolled off),
        // and so do the lines on it that had text: a cleared screen's text was shown, and is kept for search.
        private static void ClearScreen(Screen s)
        {
            if (s.Alternate)
            {
                for (int r = s.Top; r < s.Lines.Count; r++) s.Lines[r].Clear();
                return;
            }
            int rowOnScreen = s.Row - s.Top;
            int used = s.Lines.Count;
            while (used > 0 && s.Lines[used - 1].Count == 0) used--;
            s.Top = used;
            s.MoveTo(s.Top + rowOnScreen, s.Column);
        }

        private static void Blank(List<Cell> line, int from, int to)
        {
            to = Math.Min(to, line.Count);
            if (from > 0 && from < line.Count && line[from].Glyph is { Length: 0 }) line[from - 1] = Cell.Blank;
            for (int c = Math.Max(0, from); c < to; c++) line[c] = Cell.Blank;
            if (to < line.Count && to > 0 && line[to].Glyph is { Length: 0 }) line[to] = Cell.Blank;
        }

        // Erasing from a wide character's right half blanks its left half too.
        private static void Unsplit(List<Cell> line, int column)
        {
            if (column > 0 && column < line.Count && line[column].Glyph is { Length: 0 }) line[column - 1] = Cell.Blank;
        }

        private static readonly string[] Ascii = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();
    }
}
