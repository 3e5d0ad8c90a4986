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
/// nothing.</item>
/// </list>
/// Each line loses its trailing blanks; lines end with <c>\n</c>. <see cref="Lines"/> gives the same lines from a stream
/// read in pieces, each as soon as nothing later in the stream can change it, so a reader can stop early.
/// </summary>
internal static class TerminalRenderer
{
    /// <summary>The screen height cursor addressing (CUP) and erase-display are relative to.</summary>
    public const int ScreenRows = 24;

    private const int TabWidth = 8;
    private const int MaxParameter = 10_000;  // larger cursor moves are clamped: a hostile stream cannot allocate
    private const int MaxColumns = 4096;      // a cursor never moves right beyond this column

    /// <summary>The text the screen showed for <paramref name="bytes"/> (UTF-8, invalid sequences as U+FFFD).</summary>
    public static string Render(ReadOnlySpan<byte> bytes) => Render(Encoding.UTF8.GetString(bytes));

    /// <summary>The text the screen showed for <paramref name="text"/> (already decoded).</summary>
    public static string Render(string text)
    {
        if (string.IsNullOrEmpty(text)) return string.Empty;
        var terminal = new Terminal();
        terminal.Feed(text, final: true);
        return terminal.Text();
    }

    /// <summary>
    /// The lines of <see cref="Render(string)"/> over the concatenation of <paramref name="pieces"/> (a final empty
    /// line after the last newline left out), each given once no later piece can change it: a line is final when
    /// it and a non-empty line at or below it have scrolled off the screen. Reading stops when the caller does.
    /// </summary>
    public static IEnumerable<string> Lines(IEnumerable<string> pieces)
    {
        var terminal = new Terminal();
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

    private sealed class Screen
    {
        public readonly List<List<string?>> Lines = [[]];
        public int Row;
        public int Column;
        public int Top; // the first line of the visible screen; the ones above scrolled off
        public bool Alternate; // no scrollback: clearing it erases
        private (int Row, int Column) _saved; // the row on the screen (from its top), as a terminal saves it

        public List<string?> Line
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
            if (Row >= Top + ScreenRows) Top = Row - ScreenRows + 1;
        }

        public void NewLine() => MoveTo(Row + 1, 0);

        public void SaveCursor() => _saved = (Row - Top, Column);

        public void RestoreCursor() => MoveTo(Top + _saved.Row, _saved.Column);
    }

    private sealed class Terminal
    {
        private Screen _main = new();
        private Screen? _alternate;
        private Screen S => _alternate ?? _main;

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

        private static string LineText(List<string?> cells)
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
        private static void Append(StringBuilder text, List<string?> cells)
        {
            int start = text.Length;
            foreach (string? cell in cells)
            {
                if (cell is null) text.Append(' ');
                else text.Append(cell);
            }
            int end = text.Length;
            while (end > start && text[end - 1] == ' ') end--;
            text.Length = end;
        }

        /// <summary>
        /// Draws <paramref name="text"/>; returns how much of it was used. Unless <paramref name="final"/>, an escape
        /// sequence or surrogate pair cut at the end is left for the next piece (drawn as a whole, as in one piece).
        /// </summary>
        public int Feed(string text, bool final)
        {
            int i = 0;
            while (i < text.Length)
            {
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
                while (prev >= 0 && string.IsNullOrEmpty(line[prev])) prev--;
                if (prev >= 0 && width == 0) line[prev] += glyph;
                return;
            }
            if (s.Column >= MaxColumns) return;
            Put(line, s.Column, glyph);
            if (width == 2) Put(line, s.Column + 1, string.Empty); // the right half of a wide character
            s.Column += width;
        }

        // Writes one cell; overwriting half of a wide character blanks its other half.
        private static void Put(List<string?> line, int column, string cell)
        {
            while (line.Count <= column) line.Add(null);
            if (line[column] is { Length: 0 } && column > 0) line[column - 1] = null; // was a right half
            else if (line[column] is { Length: > 0 } && column + 1 < line.Count && line[column + 1] is { Length: 0 }) line[column + 1] = null; // was a left half
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
                case ']': case 'P': case 'X': case '^': case '_': return SkipString(text, i + 1);
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
            // RIS: the screen is cleared (what scrolled off stays, like ED 2).
            _alternate = null;
            ClearScreen(_main);
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
                case 'B': case 'e': s.MoveTo(Math.Min(s.Top + ScreenRows - 1, s.Row + n), s.Column); break;
                case 'C': case 'a': s.MoveTo(s.Row, s.Column + n); break;
                case 'D': s.MoveTo(s.Row, s.Column - n); break;
                case 'E': s.MoveTo(Math.Min(s.Top + ScreenRows - 1, s.Row + n), 0); break;
                case 'F': s.MoveTo(Math.Max(s.Top, s.Row - n), 0); break;
                case 'G': case '`': s.MoveTo(s.Row, n - 1); break;
                case 'd': s.MoveTo(s.Top + Math.Min(n, ScreenRows) - 1, s.Column); break;
                case 'H': case 'f':
                    s.MoveTo(s.Top + Math.Min(n, ScreenRows) - 1, (count > 1 ? Math.Max(1, p[1]) : 1) - 1);
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
                    if (s.Column < line.Count) line.InsertRange(s.Column, Enumerable.Repeat<string?>(null, Math.Min(n, MaxColumns)));
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
                    _alternate = new Screen { Alternate = true };
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

        private static void Blank(List<string?> line, int from, int to)
        {
            to = Math.Min(to, line.Count);
            if (from > 0 && from < line.Count && line[from] is { Length: 0 }) line[from - 1] = null;
            for (int c = Math.Max(0, from); c < to; c++) line[c] = null;
            if (to < line.Count && to > 0 && line[to] is { Length: 0 }) line[to] = null;
        }

        // Erasing from a wide character's right half blanks its left half too.
        private static void Unsplit(List<string?> line, int column)
        {
            if (column > 0 && column < line.Count && line[column] is { Length: 0 }) line[column - 1] = null;
        }

        private static readonly string[] Ascii = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();
    }
}
