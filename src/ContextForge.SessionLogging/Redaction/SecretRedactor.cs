using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>One pattern of redaction.json: its name (used in <c>[REDACTED:name]</c>) and its regular expression.</summary>
/// <param name="Name">A short snake_case name.</param>
/// <param name="Pattern">The expression; when it has a group named <c>secret</c>, only that group is replaced.</param>
/// <param name="Keywords">Optional: a line holding none of these (compared ignoring case) is not examined.</param>
internal sealed record SecretPattern(string Name, string Pattern, IReadOnlyList<string>? Keywords = null);

/// <summary>How many secrets a redactor replaced, by rule id.</summary>
internal sealed class RedactionTally
{
    private readonly SortedDictionary<string, int> _byPattern = new(StringComparer.Ordinal);

    /// <summary>Replacements made.</summary>
    public int Count { get; private set; }

    /// <summary>Lines longer than the line bound whose tail was stored without redaction.</summary>
    public int UnredactedLongLines { get; set; }

    /// <summary>Replacements per rule id (the name in <c>[REDACTED:id]</c>), sorted by id.</summary>
    public IReadOnlyDictionary<string, int> ByPattern => _byPattern;

    /// <summary>Counts one replacement by <paramref name="pattern"/>.</summary>
    public void Add(string pattern)
    {
        Count++;
        _byPattern[pattern] = _byPattern.GetValueOrDefault(pattern) + 1;
    }

    /// <summary>A copy of the counts so far.</summary>
    public RedactionTally Copy()
    {
        var copy = new RedactionTally();
        copy.AddAll(this);
        return copy;
    }

    /// <summary>What was counted after <paramref name="earlier"/> (a <see cref="Copy"/> of this tally) was taken.</summary>
    public RedactionTally Since(RedactionTally earlier)
    {
        var since = new RedactionTally { UnredactedLongLines = UnredactedLongLines - earlier.UnredactedLongLines };
        foreach (var (id, n) in _byPattern)
        {
            int added = n - earlier._byPattern.GetValueOrDefault(id);
            if (added <= 0) continue;
            since.Count += added;
            since._byPattern[id] = added;
        }
        return since;
    }

    /// <summary>Adds every count of <paramref name="other"/> (the streams of one run into one total).</summary>
    public void AddAll(RedactionTally other)
    {
        foreach (var (id, n) in other._byPattern)
        {
            Count += n;
            _byPattern[id] = _byPattern.GetValueOrDefault(id) + n;
        }
        UnredactedLongLines += other.UnredactedLongLines;
    }
}

/// <summary>
/// Replaces secrets with <c>[REDACTED:&lt;rule id&gt;]</c> before anything is written: journal fields, captured
/// output (line by line, see <see cref="LineRedactor"/>), blobs, samples, and so the index and provider events.
/// The built-in rules (<see cref="BuiltInRules.All"/>) are listed in docs/redaction.md; users add rules in
/// <c>&lt;data root&gt;/redaction.json</c> and in gitleaks' format in <c>redaction.toml</c> or a file given to
/// <see cref="Load(string, string?, out IReadOnlyList{string})"/>. Text is never dropped: only the secret part of a
/// match is replaced, and bytes are handled as Latin-1 (one char per byte) so bytes outside matches stay exactly as
/// they were.
/// </summary>
/// <remarks>
/// How a text is scanned: one vectorised <see cref="SearchValues{T}"/> scan for the keywords of every rule finds the
/// candidate positions; at each, only the built-in rules with a keyword there are tried, anchored (<c>\G</c>) at that
/// position. Specific rules first, over the whole text; then user rules; then the generic rules over the result, so a
/// known token keeps its own name and a generic rule never rewrites a <c>[REDACTED:...]</c>.
/// </remarks>
internal sealed class SecretRedactor
{
    /// <summary>The file in the data root with extra patterns (this project's format).</summary>
    public const string ConfigFileName = "redaction.json";

    /// <summary>The file in the data root with rules in gitleaks' TOML format.</summary>
    public const string TomlFileName = GitleaksConfig.DefaultFileName;

    /// <summary>The largest redaction.json read (a resource limit on user-controlled input, shared with milestones.json).</summary>
    public const int MaxConfigBytes = InputLimits.MaxConfigFileBytes;

    /// <summary>The match timeout of a user rule (a built-in rule is linear in its input).</summary>
    internal static readonly TimeSpan UserRuleTimeout = TimeSpan.FromSeconds(2);

    // A keyword of an anchored rule, with what MayTryAt needs of the rule (read without going to _rules).
    private readonly record struct KeywordEntry(AsciiKeyword Keyword, int Rule, RulePrecheck? Precheck);

    private readonly record struct Edit(int Start, int Length, string Id);

    private readonly SecretRule[] _rules;
    private readonly int[] _secretGroup; // per rule: the secret's group number, or -1 for the whole match
    private readonly SearchValues<string>? _userNeedles; // the keywords of the user rules; null when there is none
    private readonly bool _userEveryLine; // a user rule without keywords: every text is examined
    // The word needles in two sets of at most 10: .NET's vectorised multi-string search (Teddy) is several times faster
    // on two such sets than on one set of all of them, whose buckets fill up (measured: benchmarks/results/capture-speed.md).
    private static readonly SearchValues<string> s_wordsA = SearchValues.Create(BuiltInRules.WordNeedles[..BuiltInRules.FirstNeedleSet], StringComparison.OrdinalIgnoreCase);
    private static readonly SearchValues<string> s_wordsB = SearchValues.Create(BuiltInRules.WordNeedles[BuiltInRules.FirstNeedleSet..], StringComparison.OrdinalIgnoreCase);
    private readonly (int Offset, AsciiKeyword Keyword)[] _offsets; // the keywords of the anchored rules that start after their match
    // Per _offsets entry: where in the keyword its first character that is not a token character is, or -1 (RunMayMatch).
    private readonly int[] _offsetBreaks;
    // MayHoldKeyword's tables: per position 0-2 of a run (256 entries each), the buckets whose keywords may have that byte
    // there. Buckets 0-62 hold the keywords of _byPrefix by their first two characters, bucket 63 (OffsetBucket) those
    // of _offsets a run of MinRun can hold, at _offsetShifts from its start.
    private readonly ulong[] _runKeywords = new ulong[3 * 256];
    private readonly int[] _offsetShifts;
    private const ulong OffsetBucket = 1UL << 63;
    private static readonly AsciiKeyword s_sshpass = new("sshpass");
    private static readonly SearchValues<string> s_lookBack = SearchValues.Create(BuiltInRules.LookBackNeedles, StringComparison.OrdinalIgnoreCase);
    private static readonly SearchValues<char> s_tokenChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    private static readonly SearchValues<byte> s_tokenBytes = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"u8);
    private readonly KeywordEntry[]?[] _byPrefix = new KeywordEntry[128 * 128][]; // by the first two characters, lower-cased
    private readonly ulong[] _hasPrefix = new ulong[128 * 128 / 64]; // a bit per _byPrefix entry that is set (2 KiB: stays in L1)
    private readonly bool _prefilter;
    private readonly IReadOnlyList<RuleAllowlist> _allowlists;
    private readonly Regex _privateKeyEnd = BuiltInRules.PrivateKeyEnd();

    private SecretRedactor(IEnumerable<SecretRule> rules, bool usePrefilter = true, IReadOnlyList<RuleAllowlist>? allowlists = null)
    {
        // Specific before user before generic; the order within each group is kept.
        _rules = [.. rules.Where(r => r.Anchored && !r.Generic), .. rules.Where(r => !r.Anchored), .. rules.Where(r => r.Anchored && r.Generic)];
        _secretGroup = [.. _rules.Select(r => r.SecretGroup > 0 ? r.SecretGroup : r.SecretGroup == 0 ? -1 : r.Regex.GroupNumberFromName("secret"))];
        _allowlists = allowlists ?? [];
        _prefilter = usePrefilter;
        var lists = new Dictionary<int, List<KeywordEntry>>();
        for (int i = 0; i < _rules.Length; i++)
        {
            if (!_rules[i].Anchored) continue;
            foreach (string k in _rules[i].Keywords)
            {
                if (k.Length < 2 || PrefixKey(k[0], k[1]) is not int key) continue;
                if (!lists.TryGetValue(key, out var list)) lists[key] = list = [];
                list.Add(new(new AsciiKeyword(k), i, _rules[i].Precheck));
            }
        }
        foreach (var (key, list) in lists)
        {
            _byPrefix[key] = [.. list.OrderBy(e => e.Rule)];
            _hasPrefix[key >> 6] |= 1UL << (key & 63);
        }
        var user = _rules.Where(r => !r.Anchored).ToList();
        _userEveryLine = !usePrefilter || user.Any(r => r.Keywords.Count == 0);
        _userNeedles = user.Count == 0 || _userEveryLine ? null
            : SearchValues.Create([.. user.SelectMany(r => r.Keywords).Distinct(StringComparer.OrdinalIgnoreCase)], StringComparison.OrdinalIgnoreCase);
        _offsets = [.. _rules.Where(r => r.Anchored && r.KeywordOffset > 0).SelectMany(r => r.Keywords.Select(k => (r.KeywordOffset, new AsciiKeyword(k))))];
        _offsetBreaks = [.. _offsets.Select(o => o.Keyword.Text.AsSpan().IndexOfAnyExcept(s_tokenChars))];
        // An offset keyword with a character that is not a token character must end the run there (RunMayMatch): Azure's
        // "Q~" at 4 + 1, which a run of MinRun never does.
        var reachable = Enumerable.Range(0, _offsets.Length).Where(i => _offsetBreaks[i] < 0 || _offsets[i].Offset + _offsetBreaks[i] >= BuiltInRules.MinRun).ToList();
        _offsetShifts = [.. reachable.Select(i => _offsets[i].Offset).Distinct().Order()];
        var buckets = new List<string>[63];
        for (int i = 0; i < buckets.Length; i++) buckets[i] = [];
        var prefixes = lists.Values.SelectMany(list => list.Select(e => e.Keyword.Text.ToLowerInvariant()))
            .Select(k => k.Length > 3 ? k[..3] : k).Distinct(StringComparer.Ordinal);
        foreach (var group in prefixes.GroupBy(k => k[..2]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
            buckets.MinBy(b => b.Count)!.AddRange(group);
        for (int bucket = 0; bucket < buckets.Length; bucket++)
            foreach (string keyword in buckets[bucket]) AddRunKeyword(keyword, 1UL << bucket);
        foreach (int i in reachable) AddRunKeyword(_offsets[i].Keyword.Text, OffsetBucket);
    }

    // Admits keyword's first three characters (either case; every byte past its end) into the bucket of bit.
    private void AddRunKeyword(string keyword, ulong bit)
    {
        for (int k = 0; k < 3; k++)
        {
            if (k >= keyword.Length)
            {
                for (int b = 0; b < 256; b++) _runKeywords[256 * k + b] |= bit;
                continue;
            }
            _runKeywords[256 * k + char.ToLowerInvariant(keyword[k])] |= bit;
            _runKeywords[256 * k + char.ToUpperInvariant(keyword[k])] |= bit;
        }
    }


    /// <summary>The built-in rules only.</summary>
    public static SecretRedactor BuiltIn { get; } = new(BuiltInRules.All);

    /// <summary>The built-in rules tried at every position of every line (what the keyword prefilter must never change).</summary>
    internal static SecretRedactor BuiltInWithoutPrefilter() => new(BuiltInRules.All, usePrefilter: false);

    /// <summary>The ids of the rules in use, in the order they are tried.</summary>
    public IEnumerable<string> PatternNames => _rules.Select(r => r.Id);

    /// <summary>The rules in use, in the order they are tried.</summary>
    internal IReadOnlyList<SecretRule> Rules => _rules;

    /// <summary>False when <paramref name="text"/> cannot contain a secret any rule in use matches.</summary>
    public bool MayContainSecret(ReadOnlySpan<char> text) => IndexOfCandidate(text) >= 0;

    /// <summary>
    /// A position at or after which, in the same line, a rule could match (a word needle, a run of token characters,
    /// a user rule's keyword), or -1 when no rule can match anywhere in <paramref name="text"/>; 0 when every text is examined.
    /// </summary>
    internal int IndexOfCandidate(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return -1;
        if (_userEveryLine) return 0;
        int word = IndexOfWord(text);
        int run = FindRun(word < 0 ? text : text[..word], 0);
        int first = run >= 0 ? run : word;
        if (_userNeedles is not null)
        {
            int user = text.IndexOfAny(_userNeedles);
            if (user >= 0 && (first < 0 || user < first)) first = user;
        }
        return first;
    }

    /// <summary>
    /// The smallest index at or after <paramref name="from"/> where <see cref="BuiltInRules.MinRun"/> token characters
    /// ([A-Za-z0-9_-]) follow, or -1: 64 characters at a time as a bit mask, whose runs of 16 set bits four shifts find.
    /// </summary>
    internal static int FindRun(ReadOnlySpan<char> s, int from) => FindRun(s, from, out _);

    /// <summary>
    /// <see cref="FindRun(ReadOnlySpan{char}, int)"/>, also giving where the run ends (the index of the first character
    /// after it, or the length of <paramref name="s"/>): read from the same bit mask when the run ends inside it.
    /// </summary>
    internal static int FindRun(ReadOnlySpan<char> s, int from, out int end)
    {
        const int Min = BuiltInRules.MinRun;
        int i = from;
        if (Vector128.IsHardwareAccelerated)
        {
            ref ushort start = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(s));
            while (i + 64 <= s.Length)
            {
                ulong m = TokenMask64(ref Unsafe.Add(ref start, i));
                ulong r = m & (m >> 1);
                r &= r >> 2;
                r &= r >> 4;
                r &= r >> 8;
                r &= (1UL << (64 - Min + 1)) - 1; // a run starting in the last 15 positions is found by the next window
                if (r != 0)
                {
                    int b = BitOperations.TrailingZeroCount(r);
                    int length = BitOperations.TrailingZeroCount(~(m >> b)); // 64 - b when the run reaches the window's end
                    end = b + length < 64 ? i + b + length : RunEnd(s, i + 64);
                    return i + b;
                }
                i += 64 - Min + 1;
            }
        }
        int run = 0;
        for (int j = i; j < s.Length; j++)
        {
            if (IsTokenChar(s[j]))
            {
                if (++run == Min)
                {
                    end = RunEnd(s, j + 1);
                    return j - Min + 1;
                }
            }
            else run = 0;
        }
        end = -1;
        return -1;
    }

    // The first index at or after from that is not a token character, or s.Length.
    private static int RunEnd(ReadOnlySpan<char> s, int from)
    {
        if (from >= s.Length) return s.Length;
        int past = s[from..].IndexOfAnyExcept(s_tokenChars);
        return past < 0 ? s.Length : from + past;
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static ulong TokenMask64(ref ushort at)
    {
        if (Vector256.IsHardwareAccelerated) return TokenMask64Wide(ref at);
        ulong mask = 0;
        var caseBit = Vector128.Create((ushort)0x20);
        var a = Vector128.Create((ushort)'a');
        var zero = Vector128.Create((ushort)'0');
        var letters = Vector128.Create((ushort)26);
        var digits = Vector128.Create((ushort)10);
        var underscore = Vector128.Create((ushort)'_');
        var dash = Vector128.Create((ushort)'-');
        for (int k = 0; k < 8; k++)
        {
            var v = Vector128.LoadUnsafe(ref at, (nuint)(k * 8));
            var token = Vector128.LessThan((v | caseBit) - a, letters) | Vector128.LessThan(v - zero, digits)
                | Vector128.Equals(v, underscore) | Vector128.Equals(v, dash);
            mask |= (ulong)token.ExtractMostSignificantBits() << (k * 8);
        }
        return mask;
    }

    // TokenMask64 with 16 characters per vector (AVX2): half the instructions of the 8-wide loop.
    private static ulong TokenMask64Wide(ref ushort at)
    {
        ulong mask = 0;
        var caseBit = Vector256.Create((ushort)0x20);
        var a = Vector256.Create((ushort)'a');
        var zero = Vector256.Create((ushort)'0');
        var letters = Vector256.Create((ushort)26);
        var digits = Vector256.Create((ushort)10);
        var underscore = Vector256.Create((ushort)'_');
        var dash = Vector256.Create((ushort)'-');
        for (int k = 0; k < 4; k++)
        {
            var v = Vector256.LoadUnsafe(ref at, (nuint)(k * 16));
            var token = Vector256.LessThan((v | caseBit) - a, letters) | Vector256.LessThan(v - zero, digits)
                | Vector256.Equals(v, underscore) | Vector256.Equals(v, dash);
            mask |= (ulong)token.ExtractMostSignificantBits() << (k * 16);
        }
        return mask;
    }

    // Whether a run at runStart follows an assignment (= : >) or a '.' or '$' (after at most 4 spaces or quotes):
    // then a keyword up to LookBack characters before it may name it (a provider's variable, "SG.", "hvs.").
    // The text is chars, or captured bytes (Latin-1: byte b is char b; the characters tested are ASCII).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FollowsAssignment<T>(ReadOnlySpan<T> s, int runStart) where T : unmanaged, IBinaryInteger<T>
    {
        for (int i = runStart - 1, skipped = 0; i >= 0 && skipped <= 4; i--, skipped++)
        {
            int c = int.CreateTruncating(s[i]);
            if (c is '=' or ':' or '>' or '.' or '$') return true;
            if (c is not (' ' or '\t' or '"' or '\'' or '`')) return false;
        }
        return false;
    }

    /// <summary>Replaces every secret in <paramref name="text"/>; counts them in <paramref name="tally"/>.</summary>
    public string Redact(string text, RedactionTally? tally)
    {
        if (string.IsNullOrEmpty(text)) return text;
        return Redact(text.AsSpan(), tally) ?? text;
    }

    /// <summary>
    /// The redacted text, or null when nothing in <paramref name="text"/> is a secret. <paramref name="capturedBytes"/>:
    /// the text is captured bytes read as Latin-1 (the capture path), where a generic rule's secret must be text
    /// (<see cref="IsText"/>), not a stretch of binary output.
    /// </summary>
    internal string? Redact(ReadOnlySpan<char> text, RedactionTally? tally, bool capturedBytes = false)
    {
        if (!MayContainSecret(text)) return null;
        try
        {
            var edits = new List<Edit>();
            string? current = AnchoredPass(text, generic: false, edits, capturedBytes);
            current = UnanchoredPass(current, text, edits) ?? current;
            current = AnchoredPass(current is null ? text : current.AsSpan(), generic: true, edits, capturedBytes) ?? current;
            if (tally is not null)
            {
                foreach (var e in edits) tally.Add(e.Id);
            }
            return current;
        }
        catch (RegexMatchTimeoutException)
        {
            tally?.Add("timeout");
            return "[REDACTED:timeout]";
        }
    }

    // Tries the anchored rules of one pass at each candidate position; returns the text with the secrets replaced, or null.
    private string? AnchoredPass(ReadOnlySpan<char> s, bool generic, List<Edit> allEdits, bool capturedBytes)
    {
        var state = new PassState { Generic = generic, Found = -1, CapturedBytes = capturedBytes };
        if (!_prefilter)
        {
            for (int pos = 0; pos < s.Length; pos++)
            {
                if (pos < state.ResumeAt) continue;
                for (int i = 0; i < _rules.Length; i++)
                {
                    if (_rules[i].Generic != generic || !_rules[i].Anchored) continue;
                    if (TryMatch(i, s, pos, ref state)) break;
                }
            }
        }
        else Scan(s, ref state);
        if (state.Edits is null) return null;
        allEdits.AddRange(state.Edits);
        return Apply(s, state.Edits);
    }

    /// <summary>
    /// Where the first secret of <paramref name="s"/> may be: the position of the first match of any rule (either
    /// pass), or -1 when there is none; with user rules in use, the first candidate position. The capture path calls
    /// this over a block of whole lines and redacts only the line it points into.
    /// </summary>
    internal int IndexOfFirstMatch(ReadOnlySpan<char> s, bool capturedBytes = false)
    {
        if (!_prefilter || _userEveryLine || _userNeedles is not null) return IndexOfCandidate(s);
        var state = new PassState { Probe = true, Found = -1, CapturedBytes = capturedBytes };
        Scan(s, ref state);
        return state.Found;
    }

    /// <summary>
    /// The capture path's probe over a block of captured bytes (read as Latin-1: char i is byte i), one line at a time:
    /// the position in <paramref name="bytes"/> of the first match of any rule within its line, or -1. The candidate
    /// positions come from one vectorised pass over the bytes (<see cref="ByteCandidateScan"/>); a run of token
    /// characters that no rule could start at, follow or hold (checked on the bytes) is passed over, and only the lines
    /// holding the other candidates are widened into <paramref name="chars"/> (scratch, at least as long as the bytes)
    /// and checked there, each seen as <see cref="Redact(ReadOnlySpan{char}, RedactionTally?, bool)"/> sees it when the
    /// line is redacted alone. Without the vector pass the whole block is widened and scanned as chars. Either way the
    /// line holding the position returned is widened: the caller redacts it from <paramref name="chars"/> as it is.
    /// </summary>
    internal int IndexOfFirstMatch(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        if (!_prefilter || _userEveryLine || _userNeedles is not null || !ByteCandidateScan.IsSupported)
        {
            Encoding.Latin1.GetChars(bytes, chars);
            return IndexOfFirstMatch(chars[..bytes.Length], capturedBytes: true);
        }
        var state = new PassState { Probe = true, Found = -1, CapturedBytes = true };
        ScanBytes(bytes, chars, ref state);
        return state.Found;
    }

    // The line of a block whose candidates are being checked: [Start, End), End past its '\n' (or the block's end),
    // widened into the chars when entered. Lines are entered in order; one with no candidate to check is never widened.
    private ref struct CandidateLine(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private readonly Span<char> _chars = chars;
        public int Start;
        public int End;

        // The line holding position p as chars (p - Start in it); widened and entered when p is past the current one.
        public ReadOnlySpan<char> Enter(int p, ref PassState state)
        {
            if (p >= End)
            {
                int back = _bytes[End..p].LastIndexOf((byte)'\n');
                Start = back < 0 ? End : End + back + 1;
                int ahead = _bytes[p..].IndexOf((byte)'\n');
                End = ahead < 0 ? _bytes.Length : p + ahead + 1;
                Encoding.Latin1.GetChars(_bytes[Start..End], _chars[Start..End]);
                state.Text = null; // a rule's groups are read from the string of this line
            }
            return _chars[Start..End];
        }
    }

    // Scan's candidate positions found over bytes, 64 at a time: word needles (fingerprint, then checked) and starts of
    // maximal runs of at least MinRun token characters (from the token masks of this window and the next), in order;
    // each checked within its line.
    private void ScanBytes(ReadOnlySpan<byte> bytes, Span<char> chars, ref PassState state)
    {
        var tables = ByteCandidateScan.NeedleTables;
        Span<byte> buckets = stackalloc byte[64];
        Span<byte> nextBuckets = stackalloc byte[64];
        Span<byte> tail = stackalloc byte[64 + ByteCandidateScan.Overhang];
        int n = bytes.Length;
        var line = new CandidateLine(bytes, chars);
        ref byte start = ref MemoryMarshal.GetReference(bytes);
        LoadMasks(in tables, bytes, 0, tail, buckets, out ulong tokens, out ulong fingerprints);
        ulong previousTop = 0; // the token bit of the byte before the window
        var lookBacks = ByteCandidateScan.LookBackTables;
        ulong lookBackMask = 0, lookBackBefore = 0; // the look-back fingerprints of the window at lookBackWindow and the one before
        int lookBackWindow = int.MinValue;
        for (int w = 0; w < n && state.Found < 0; w += 64)
        {
            ulong nextTokens, nextFingerprints;
            if (w + 128 + ByteCandidateScan.Overhang <= n)
                ByteCandidateScan.Masks(in tables, ref Unsafe.Add(ref start, w + 64), out nextTokens, out nextFingerprints, nextBuckets);
            else LoadMasks(in tables, bytes, w + 64, tail, nextBuckets, out nextTokens, out nextFingerprints);
            // Runs of MinRun (16) token characters starting in this window, over this window and the next (128 bits):
            // four shift-and steps, written out (the loop's branch cost 4 % of the scan).
            ulong lo = tokens, hi = nextTokens;
            lo &= (lo >> 1) | (hi << 63);
            hi &= hi >> 1;
            lo &= (lo >> 2) | (hi << 62);
            hi &= hi >> 2;
            lo &= (lo >> 4) | (hi << 60);
            hi &= hi >> 4;
            lo &= (lo >> 8) | (hi << 56);
            ulong runStarts = lo & ~((tokens << 1) | previousTop);
            ulong events = fingerprints | runStarts;
            while (events != 0)
            {
                int b = BitOperations.TrailingZeroCount(events);
                ulong bit = 1UL << b;
                events &= events - 1;
                int p = w + b;
                if ((fingerprints & bit) != 0 && p < n && ByteCandidateScan.IsNeedleAt(bytes, p, buckets[b]) && WordMayMatch(bytes, p))
                {
                    OnWord(line.Enter(p, ref state), p - line.Start, ref state);
                    if (state.Found >= 0) break;
                }
                if ((runStarts & bit) != 0)
                {
                    // A run that follows an assignment may be named by a look-back needle before it: its fingerprints in
                    // this window and the one before, computed when the first such run of the window needs them.
                    bool lookBack = false;
                    if (FollowsAssignment(bytes, p))
                    {
                        if (lookBackWindow != w)
                        {
                            lookBackBefore = lookBackWindow == w - 64 ? lookBackMask : LookBackMaskAt(bytes, w - 64, in lookBacks);
                            lookBackMask = LookBackMaskAt(bytes, w, in lookBacks);
                            lookBackWindow = w;
                        }
                        lookBack = (LookBackNear(lookBackMask, lookBackBefore) & bit) != 0;
                    }
                    if (!lookBack && !MayHoldKeyword(bytes, p)) continue;
                    int runEnd = RunEndFrom(bytes, w, b, tokens, nextTokens);
                    if (RunMayMatch(bytes, p, runEnd, lookBack))
                    {
                        OnRun(line.Enter(p, ref state), p - line.Start, runEnd - line.Start, ref state, lookBack);
                        if (state.Found >= 0) break;
                    }
                }
            }
            previousTop = tokens >> 63;
            tokens = nextTokens;
            fingerprints = nextFingerprints;
            var swap = buckets;
            buckets = nextBuckets;
            nextBuckets = swap;
        }
        if (state.Found >= 0) state.Found += line.Start;
    }

    // Whether OnWord could match at the word needle at p: TryAt's keywords and prechecks at the positions OnWord tries,
    // on the bytes (RulePrecheck.At over bytes is true wherever it is on the needle's line). Most needle hits are code
    // or logs that name a token ("CancellationToken token)", "GET http://host/api/..."): they stop here, before their
    // line is widened to chars (a third of the scan went to those lines).
    private bool WordMayMatch(ReadOnlySpan<byte> bytes, int p)
    {
        if (MayTryAt(bytes, p)) return true;
        if (bytes[p] is (byte)'_' or (byte)'-') return MayTryAt(bytes, p + 1);
        return s_sshpass.IsAt(bytes, p) && MayTryAt(bytes, p + 3);
    }

    // Whether TryAt at q could try a rule's regex: an anchored rule's keyword there whose precheck (if any) passes on the bytes.
    private bool MayTryAt(ReadOnlySpan<byte> bytes, int q)
    {
        if (q + 1 >= bytes.Length || EntriesAt((char)bytes[q], (char)bytes[q + 1]) is not { } entries) return false;
        RulePrecheck? failed = null; // a precheck shared by two rules (url_password, sentry_dsn) is run once
        foreach (var e in entries)
        {
            if (!e.Keyword.IsAt(bytes, q)) continue;
            if (e.Precheck is not { } precheck) return true;
            if (precheck == failed) continue;
            if (precheck.At(bytes, q)) return true;
            failed = precheck;
        }
        return false;
    }

    // Whether a keyword of _byPrefix may start at the run at p, or one of the offset keywords at its offset from it: the
    // first three bytes there in a common bucket of _runKeywords (about 0.2 % of the runs of the benchmark corpus; a
    // run costs 3 table reads here, where RunEndFrom and RunMayMatch cost it about 40 ns). p + MinRun <= bytes.Length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool MayHoldKeyword(ReadOnlySpan<byte> bytes, int p)
    {
        ref ulong table = ref MemoryMarshal.GetArrayDataReference(_runKeywords);
        ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(bytes), p);
        if ((Unsafe.Add(ref table, at) & Unsafe.Add(ref table, 256 + Unsafe.Add(ref at, 1)) & Unsafe.Add(ref table, 512 + Unsafe.Add(ref at, 2))) != 0) return true;
        foreach (int shift in _offsetShifts)
        {
            int q = p + shift;
            if (q + 2 >= bytes.Length) return true; // near the end of the block: not worth a closer look
            ref byte o = ref Unsafe.Add(ref at, shift);
            if ((Unsafe.Add(ref table, o) & Unsafe.Add(ref table, 256 + Unsafe.Add(ref o, 1)) & Unsafe.Add(ref table, 512 + Unsafe.Add(ref o, 2)) & OffsetBucket) != 0) return true;
        }
        return false;
    }

    // The look-back fingerprints of the 64 bytes at `at` (zero-padded past the block's end; none before its start).
    private static ulong LookBackMaskAt(ReadOnlySpan<byte> bytes, int at, in ByteCandidateScan.Tables lookBacks)
    {
        if (at < 0 || at >= bytes.Length) return 0;
        if (at + 64 + ByteCandidateScan.Overhang <= bytes.Length) return ByteCandidateScan.FingerprintMask(in lookBacks, ref Unsafe.AsRef(in bytes[at]));
        Span<byte> padded = stackalloc byte[64 + ByteCandidateScan.Overhang];
        padded.Clear();
        bytes[at..].CopyTo(padded);
        return ByteCandidateScan.FingerprintMask(in lookBacks, ref padded[0]);
    }

    // Bit p set when a look-back fingerprint starts in the LookBack (64) bytes before byte p of a window: before p in
    // the window (mask), or at or after p in the one before (before).
    internal static ulong LookBackNear(ulong mask, ulong before)
    {
        const int OneWindow = 1 / (BuiltInRules.LookBack == 64 ? 1 : 0); // a compile error if LookBack is not one window
        _ = OneWindow;
        ulong afterFirst = mask == 0 ? 0 : ~0UL << BitOperations.TrailingZeroCount(mask) << 1;
        ulong upToLast = before == 0 ? 0 : ~0UL >> BitOperations.LeadingZeroCount(before);
        return afterFirst | upToLast;
    }

    // Whether OnRun could try a rule for the run of token bytes [run, runEnd): a keyword of a rule at its start (its
    // first two bytes) or at a rule's keyword offset inside it, or an assignment before it (then the look-back needles
    // are searched). Most runs (file names, identifiers, hashes: 1.5 million in the 222 MB benchmark corpus) are none.
    // lookBack false: no look-back needle starts before the run, so an assignment before it alone tries nothing.
    private bool RunMayMatch(ReadOnlySpan<byte> bytes, int run, int runEnd, bool lookBack)
    {
        if (HasKeywordAt(bytes, run) || (lookBack && FollowsAssignment(bytes, run))) return true;
        for (int i = 0; i < _offsets.Length; i++)
        {
            var (offset, keyword) = _offsets[i];
            // A keyword with a character that is not a token character (Azure's "Q~") can only be where that character
            // ends the run: checked before the comparison, which every run would otherwise pay.
            if (run + offset > runEnd || (_offsetBreaks[i] >= 0 && run + offset + _offsetBreaks[i] != runEnd)) continue;
            if (keyword.IsAt(bytes, run + offset)) return true;
        }
        return false;
    }

    // Whether a keyword of an anchored rule starts at q (TryAt would try a rule there): the prefix table by its first
    // two bytes (ASCII, letters lower-cased), then the keywords of that entry.
    private bool HasKeywordAt(ReadOnlySpan<byte> bytes, int q)
    {
        if (q + 1 >= bytes.Length || EntriesAt((char)bytes[q], (char)bytes[q + 1]) is not { } entries) return false;
        foreach (var e in entries)
        {
            if (e.Keyword.IsAt(bytes, q)) return true;
        }
        return false;
    }

    // The masks of the window at w: read in place when its bytes and the overhang are there, else from a zero-padded
    // copy (a zero byte is neither a token character nor part of a needle); all zero past the end.
    private static void LoadMasks(in ByteCandidateScan.Tables tables, ReadOnlySpan<byte> bytes, int w, Span<byte> tail, Span<byte> buckets, out ulong tokens, out ulong fingerprints)
    {
        if (w + 64 + ByteCandidateScan.Overhang <= bytes.Length)
        {
            ByteCandidateScan.Masks(in tables, ref Unsafe.Add(ref MemoryMarshal.GetReference(bytes), w), out tokens, out fingerprints, buckets);
            return;
        }
        if (w >= bytes.Length)
        {
            tokens = fingerprints = 0;
            return;
        }
        tail.Clear();
        bytes[w..].CopyTo(tail);
        ByteCandidateScan.Masks(in tables, ref MemoryMarshal.GetReference(tail), out tokens, out fingerprints, buckets);
    }

    // The end of the run starting at bit b of the window at w: from the two windows' token masks, or past them by search.
    private static int RunEndFrom(ReadOnlySpan<byte> s, int w, int b, ulong tokens, ulong nextTokens)
    {
        ulong lo = b == 0 ? tokens : (tokens >> b) | (nextTokens << (64 - b));
        int length = BitOperations.TrailingZeroCount(~lo);
        if (length < 64) return Math.Min(w + b + length, s.Length);
        ulong hi = nextTokens >> b;
        int more = BitOperations.TrailingZeroCount(~hi);
        if (more < 64 - b) return Math.Min(w + b + 64 + more, s.Length);
        int from = Math.Min(w + 128, s.Length);
        int past = s[from..].IndexOfAnyExcept(s_tokenBytes);
        return past < 0 ? s.Length : from + past;
    }

    // Visits the candidate positions in order: word needles, and for each run of token characters its start, the
    // keyword offsets from it and, after an assignment, the LookBack characters before it.
    private void Scan(ReadOnlySpan<char> s, ref PassState state)
    {
        int wordA = s.IndexOfAny(s_wordsA), wordB = s.IndexOfAny(s_wordsB);
        int word = MinFound(wordA, wordB);
        int run = FindRun(s, 0, out int runEnd);
        while ((word >= 0 || run >= 0) && state.Found < 0)
        {
            if (word >= 0 && (run < 0 || word <= run))
            {
                OnWord(s, word, ref state);
                int next = Math.Max(word + 1, state.ResumeAt);
                if (wordA >= 0 && wordA < next) wordA = IndexOfAnyFrom(s, next, s_wordsA);
                if (wordB >= 0 && wordB < next) wordB = IndexOfAnyFrom(s, next, s_wordsB);
                word = MinFound(wordA, wordB);
            }
            else
            {
                OnRun(s, run, runEnd, ref state);
                int next = Math.Max(runEnd, state.ResumeAt);
                run = next >= s.Length ? -1 : FindRun(s, next, out runEnd);
            }
        }
    }

    // A word needle at word: the rules with a keyword there.
    private void OnWord(ReadOnlySpan<char> s, int word, ref PassState state)
    {
        TryAt(s, word, ref state, offsetRulesOnly: false);
        // "_key", "-key", "_pass", "-pass": the keyword is one further; "sshpass": three further.
        if (s[word] is '_' or '-') TryAt(s, word + 1, ref state, offsetRulesOnly: false);
        else if (s_sshpass.IsAt(s, word)) TryAt(s, word + 3, ref state, offsetRulesOnly: false);
    }

    // A run of token characters from run to runEnd: a keyword before it (after an assignment), at its start, or at an offset.
    // lookBack false: no look-back needle starts in the LookBack characters before the run (ScanBytes' fingerprints).
    private void OnRun(ReadOnlySpan<char> s, int run, int runEnd, ref PassState state, bool lookBack = true)
    {
        if (lookBack && FollowsAssignment(s, run))
        {
            int from = Math.Max(state.ResumeAt, run - BuiltInRules.LookBack);
            while (from < run && state.Found < 0)
            {
                int k = s[from..run].IndexOfAny(s_lookBack);
                if (k < 0) break;
                TryAt(s, from + k, ref state, offsetRulesOnly: false);
                from = Math.Max(from + k + 1, state.ResumeAt);
            }
        }
        TryAt(s, run, ref state, offsetRulesOnly: false);
        foreach (var (offset, keyword) in _offsets)
        {
            // A keyword at an offset inside the run (mailchimp's -us after 32 hex digits, New Relic's NRAL after 36)
            // or just past its end (Azure's Q~): a shorter run cannot hold it.
            if (run + offset > runEnd || run + offset >= s.Length) continue;
            if (keyword.IsAt(s, run + offset))
                TryAt(s, run + offset, ref state, offsetRulesOnly: true);
        }
    }

    // The first word needle of either set in text, or -1.
    private static int IndexOfWord(ReadOnlySpan<char> text) => MinFound(text.IndexOfAny(s_wordsA), text.IndexOfAny(s_wordsB));

    private static int IndexOfAnyFrom(ReadOnlySpan<char> s, int from, SearchValues<string> values)
    {
        if (from >= s.Length) return -1;
        int i = s[from..].IndexOfAny(values);
        return i < 0 ? -1 : from + i;
    }

    private static int MinFound(int a, int b) => a < 0 ? b : b < 0 ? a : Math.Min(a, b);

    private struct PassState
    {
        public bool Generic;
        public bool Probe; // any rule of either pass; stop at the first match (Found)
        public bool CapturedBytes; // the text is captured bytes read as Latin-1
        public int Found;
        public int ResumeAt; // a match may not start inside an earlier one
        public string? Text; // the text as a string, made once when a rule needs its groups
        public List<Edit>? Edits;
    }

    // The index of two ASCII characters in _byPrefix (letters lower-cased), or null.
    // The keywords starting with the characters a, b (ignoring ASCII case), or null: the 2 KiB bit table first, which
    // answers most candidate positions without reading the 128 KiB table of entries.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private KeywordEntry[]? EntriesAt(char a, char b)
    {
        if ((a | b) >= 128) return null;
        int key = (LowerAscii(a) << 7) | LowerAscii(b);
        return (_hasPrefix[key >> 6] & (1UL << (key & 63))) != 0 ? _byPrefix[key] : null;
    }

    private static int? PrefixKey(char a, char b) => a < 128 && b < 128 ? (LowerAscii(a) << 7) | LowerAscii(b) : null;

    // An ASCII character with 'A'-'Z' lower-cased (what char.ToLowerInvariant does below 128), without a branch.
    private static int LowerAscii(char c) => c | ((uint)(c - 'A') < 26 ? 0x20 : 0);

    // Tries, at position q, every rule of the pass with a keyword there (a rule with an offset starts before it).
    private void TryAt(ReadOnlySpan<char> s, int q, ref PassState state, bool offsetRulesOnly)
    {
        if (q < state.ResumeAt) return;
        if (q + 1 >= s.Length || EntriesAt(s[q], s[q + 1]) is not { } entries) return;
        int lastRule = -1;
        foreach (var e in entries)
        {
            var rule = _rules[e.Rule];
            if (e.Rule == lastRule || (!state.Probe && rule.Generic != state.Generic) || !rule.Anchored || (offsetRulesOnly && rule.KeywordOffset == 0)) continue;
            if (!e.Keyword.IsAt(s, q)) continue;
            lastRule = e.Rule;
            int start = q - rule.KeywordOffset;
            if (start < state.ResumeAt) continue;
            if (rule.Precheck is { } precheck && !precheck.At(s, q)) continue;
            if (TryMatch(e.Rule, s, start, ref state)) return;
        }
    }

    private bool TryMatch(int ruleIndex, ReadOnlySpan<char> s, int start, ref PassState state)
    {
        var rule = _rules[ruleIndex];
        var matches = rule.Regex.EnumerateMatches(s, start);
        if (!matches.MoveNext() || matches.Current.Index != start) return false;
        var m = matches.Current;
        int secretStart = m.Index, secretLength = m.Length;
        if (_secretGroup[ruleIndex] >= 0)
        {
            state.Text ??= s.ToString();
            var full = rule.Regex.Match(state.Text, start);
            if (!full.Success || full.Index != start) return false;
            var group = full.Groups[_secretGroup[ruleIndex]];
            if (group.Success) (secretStart, secretLength) = (group.Index, group.Length);
        }
        if (!Accepts(rule, s.Slice(secretStart, secretLength), s.Slice(m.Index, m.Length))) return false;
        if (state.CapturedBytes && rule.Generic && !IsText(s.Slice(secretStart, secretLength))) return false;
        if (state.Probe)
        {
            state.Found = start;
            return true;
        }
        (state.Edits ??= []).Add(new Edit(secretStart, secretLength, rule.Id));
        state.ResumeAt = Math.Max(m.Index + m.Length, start + 1);
        return true;
    }

    private bool Accepts(SecretRule rule, ReadOnlySpan<char> secret, ReadOnlySpan<char> match)
    {
        if (secret.IsEmpty && !rule.AllowEmptySecret) return false;
        // Never a second replacement over a first one (a generic rule over a specific rule's marker).
        if (match.Contains("[REDACTED:", StringComparison.Ordinal)) return false;
        // Built-in rules also want two character classes; a user rule's entropy means what it means in gitleaks.
        if (rule.MinEntropy > 0 && !(rule.Anchored ? LooksRandom(secret, rule.MinEntropy) : Entropy(secret) >= rule.MinEntropy)) return false;
        foreach (var a in rule.Allowlists)
        {
            if (a.Allows(secret, match)) return false;
        }
        foreach (var a in _allowlists)
        {
            if (a.Allows(secret, match)) return false;
        }
        return true;
    }

    /// <summary>
    /// Whether captured bytes (read as Latin-1, one char per byte) are text: no control character (C0, DEL), and bytes
    /// 0x80-0xFF only in well-formed UTF-8 sequences. A generic rule's secret (<c>pwd: VALUE</c>, <c>scheme://u:VALUE@</c>)
    /// must be: in random binary output, a value of 8 or more bytes after "pwd:" is otherwise a match about once per
    /// GiB (benchmarks/RedactionScan fuzz), and CI once saw one in a random 1 MiB chunk.
    /// </summary>
    internal static bool IsText(ReadOnlySpan<char> latin1)
    {
        for (int i = 0; i < latin1.Length; i++)
        {
            char c = latin1[i];
            if (c < 0x20 || c == 0x7F) return false;
            if (c < 0x80) continue;
            int continuation = c is >= (char)0xC2 and <= (char)0xDF ? 1 : c is >= (char)0xE0 and <= (char)0xEF ? 2 : c is >= (char)0xF0 and <= (char)0xF4 ? 3 : -1;
            if (continuation < 0 || i + continuation >= latin1.Length) return false;
            for (int k = 1; k <= continuation; k++)
            {
                if (latin1[i + k] is < (char)0x80 or > (char)0xBF) return false;
            }
            i += continuation;
        }
        return true;
    }

    private static string Apply(ReadOnlySpan<char> s, List<Edit> edits)
    {
        var sb = new StringBuilder(s.Length + edits.Count * 24);
        int at = 0;
        foreach (var e in edits)
        {
            sb.Append(s[at..e.Start]).Append("[REDACTED:").Append(e.Id).Append(']');
            at = e.Start + e.Length;
        }
        return sb.Append(s[at..]).ToString();
    }

    // User rules, unanchored, one after the other over the whole text.
    private string? UnanchoredPass(string? current, ReadOnlySpan<char> original, List<Edit> allEdits)
    {
        string? text = current;
        for (int i = 0; i < _rules.Length; i++)
        {
            var rule = _rules[i];
            if (rule.Anchored) continue;
            var view = text is null ? original : text.AsSpan();
            if (rule.Keywords.Count > 0 && !ContainsAnyKeyword(view, rule.Keywords)) continue;
            if (!rule.Regex.IsMatch(view)) continue;
            string source = text ?? original.ToString();
            int group = _secretGroup[i];
            var edits = new List<Edit>();
            foreach (Match m in rule.Regex.Matches(source))
            {
                var target = group >= 0 && m.Groups[group].Success ? (System.Text.RegularExpressions.Capture)m.Groups[group] : m;
                if (edits.Count > 0 && target.Index < edits[^1].Start + edits[^1].Length) continue;
                if (!Accepts(rule, target.ValueSpan, m.ValueSpan)) continue;
                edits.Add(new Edit(target.Index, target.Length, rule.Id));
            }
            if (edits.Count == 0) continue;
            allEdits.AddRange(edits);
            text = Apply(source, edits);
        }
        return ReferenceEquals(text, current) ? null : text;
    }

    private static bool ContainsAnyKeyword(ReadOnlySpan<char> text, IReadOnlyList<string> keywords)
    {
        foreach (string k in keywords)
        {
            if (text.Contains(k, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>
    /// The built-in rules plus <c>&lt;dataRoot&gt;/redaction.json</c> and <c>&lt;dataRoot&gt;/redaction.toml</c>, with
    /// <paramref name="error"/> holding the notices (one line each, joined by a newline) or null.
    /// </summary>
    public static SecretRedactor Load(string dataRoot, out string? error)
    {
        var redactor = Load(dataRoot, rulesFile: null, out var notices);
        error = notices.Count == 0 ? null : string.Join('\n', notices);
        return redactor;
    }

    /// <summary>
    /// The redactor for a run: the built-in rules, the patterns of <c>&lt;dataRoot&gt;/redaction.json</c>
    /// (<c>{"patterns":[{"name":"internal_ticket_token","regex":"TKT-[0-9a-f]{32}"}]}</c>), and the gitleaks-format
    /// rules of <paramref name="rulesFile"/> (the <c>--rules FILE</c> option) or, without it, of
    /// <c>&lt;dataRoot&gt;/redaction.toml</c>. Never throws: each problem is one line in <paramref name="notices"/>
    /// naming the file and line (a malformed redaction.json is ignored whole; a bad TOML rule is skipped alone).
    /// </summary>
    public static SecretRedactor Load(string dataRoot, string? rulesFile, out IReadOnlyList<string> notices)
    {
        var messages = new List<string>();
        notices = messages;
        var extra = LoadJson(Path.Combine(dataRoot, ConfigFileName), messages);
        string tomlPath = rulesFile ?? Path.Combine(dataRoot, TomlFileName);
        GitleaksConfig? toml = rulesFile is not null || File.Exists(tomlPath) ? GitleaksConfig.Load(tomlPath, messages) : null;
        if (extra.Count == 0 && (toml is null || toml.IsEmpty)) return BuiltIn;
        var builtIn = BuiltInRules.All.Where(r => toml is null || !toml.DisabledRules.Any(r.IsNamed));
        var json = extra.Select(p => new SecretRule
        {
            Id = p.Name, Description = "redaction.json", Keywords = p.Keywords ?? [], Regex = UserRegex(p.Pattern),
        });
        return new SecretRedactor([.. builtIn, .. json, .. toml?.Rules ?? []], allowlists: toml?.Allowlists);
    }

    /// <summary>A user rule's regex: linear-time NonBacktracking where the pattern allows it, else backtracking with a timeout.</summary>
    internal static Regex UserRegex(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking, UserRuleTimeout);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, UserRuleTimeout);
        }
    }

    private static List<SecretPattern> LoadJson(string path, List<string> notices)
    {
        if (!File.Exists(path)) return [];
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxConfigBytes)
            {
                notices.Add($"{path}: larger than {MaxConfigBytes} bytes; using the built-in redaction patterns only");
                return [];
            }
            return ParseConfig(File.ReadAllBytes(path), path);
        }
        catch (RedactionConfigException ex)
        {
            notices.Add($"{ex.Message}; using the built-in redaction patterns only");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            notices.Add($"{path}: cannot be read ({ex.Message}); using the built-in redaction patterns only");
        }
        return [];
    }

    /// <summary>Parses redaction.json; throws <see cref="RedactionConfigException"/> naming file and line, one printable line.</summary>
    internal static List<SecretPattern> ParseConfig(byte[] json, string path)
    {
        try
        {
            return ParseConfigEntries(json, path);
        }
        catch (RedactionConfigException ex) when (Events.PrintableText.Escape(ex.Message) != ex.Message)
        {
            // A pattern name such as "a\nb" was quoted with its raw newline (covered by the redaction-config fuzz target).
            throw new RedactionConfigException(Events.PrintableText.Escape(ex.Message));
        }
        catch (InvalidOperationException ex)
        {
            // A \ud800 escape without its low surrogate in a property name: System.Text.Json throws
            // InvalidOperationException on reading it.
            throw new RedactionConfigException($"{path}:1: a string holds an invalid \\u escape ({Events.PrintableText.Escape(ex.Message)})");
        }
    }

    private static List<SecretPattern> ParseConfigEntries(byte[] json, string path)
    {
        var list = new List<SecretPattern>();
        // Found by MutationFuzzTests: invalid UTF-8 inside a string made GetString() throw InvalidOperationException.
        char[] scratch = new char[json.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(json, scratch, out int bytesRead, out _, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
            throw new RedactionConfigException($"{path}:{1 + json.AsSpan(0, bytesRead).Count((byte)'\n')}: not valid UTF-8 (byte {bytesRead + 1})");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            throw new RedactionConfigException($"{path}:{(ex.LineNumber ?? 0) + 1}: not valid JSON ({FirstSentence(ex.Message)})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("patterns", out var patterns) || patterns.ValueKind != JsonValueKind.Array)
                throw new RedactionConfigException($"{path}:1: expected {{\"patterns\": [{{\"name\": ..., \"regex\": ...}}]}}");
            int index = 0;
            foreach (var p in patterns.EnumerateArray())
            {
                index++;
                int line = LineOfEntry(json, index);
                if (p.ValueKind != JsonValueKind.Object
                    || !p.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !p.TryGetProperty("regex", out var regex) || regex.ValueKind != JsonValueKind.String)
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} needs string fields \"name\" and \"regex\"");
                string n = name.GetString()!, r = regex.GetString()!;
                if (n.Length is 0 or > 64 || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} name '{n}' must be 1-64 letters, digits, '_' or '-'");
                if (r.Length is 0 or > 4096) throw new RedactionConfigException($"{path}:{line}: pattern {index} ({n}): regex must be 1-4096 characters");
                try
                {
                    _ = UserRegex(r);
                }
                catch (ArgumentException ex)
                {
                    throw new RedactionConfigException($"{path}:{line}: pattern {index} ({n}): invalid regex ({FirstSentence(ex.Message)})");
                }
                if (Regex.IsMatch(r, @"\(\?<(?!secret>)[A-Za-z]")) r = Regex.Replace(r, @"\(\?<(?![=!])(?!secret>)([A-Za-z][A-Za-z0-9_]*)>", "(?:");
                list.Add(new SecretPattern(n, r, Keywords(p)));
                if (list.Count > 256) throw new RedactionConfigException($"{path}:{line}: more than 256 patterns");
            }
        }
        return list;
    }

    /// <summary>The first sentence of an exception message, on one line (for the one-line config errors).</summary>
    internal static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return (dot > 0 ? message[..dot] : message).ReplaceLineEndings(" ");
    }

    // The 1-based line where the index-th '{' after "patterns" opens (good enough to point at an entry).
    private static int LineOfEntry(byte[] json, int index)
    {
        int line = 1, seen = 0, depth = 0;
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (b == '\n') line++;
            if (inString)
            {
                if (b == '\\') i++;
                else if (b == '"') inString = false;
                continue;
            }
            if (b == '"') inString = true;
            else if (b == '{')
            {
                depth++;
                if (depth == 2 && ++seen == index) return line;
            }
            else if (b == '}') depth--;
        }
        return line;
    }

    private static string[]? Keywords(JsonElement entry) =>
        entry.TryGetProperty("keywords", out var k) && k.ValueKind == JsonValueKind.Array
            ? [.. k.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(s => s.Length > 0)]
            : null;

    /// <summary>Shannon entropy per character at least <paramref name="minBits"/>, and not a plain word or number.</summary>
    internal static bool LooksRandom(ReadOnlySpan<char> value, double minBits)
    {
        if (value.StartsWith("[REDACTED:", StringComparison.Ordinal)) return false;
        bool lower = false, upper = false, digit = false, other = false;
        foreach (char c in value)
        {
            if (char.IsAsciiLetterLower(c)) lower = true;
            else if (char.IsAsciiLetterUpper(c)) upper = true;
            else if (char.IsAsciiDigit(c)) digit = true;
            else other = true;
        }
        if (digit && !lower && !upper && !other) return false;
        // A generated secret mixes at least two of lower case, upper case and digits; words and names do not.
        if ((lower ? 1 : 0) + (upper ? 1 : 0) + (digit ? 1 : 0) < 2) return false;
        // Code, not a secret: a member access or call (process.env.API_KEY, getToken()) or a camelCase name, without a digit.
        if (!digit && (value.ContainsAny('.', '(') || IsCamelCaseName(value))) return false;
        return Entropy(value) >= minBits;
    }

    private static bool IsCamelCaseName(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || !char.IsAsciiLetterLower(value[0])) return false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (!char.IsAsciiLetter(c)) return false;
            if (char.IsAsciiLetterUpper(c) && (i + 1 >= value.Length || !char.IsAsciiLetterLower(value[i + 1]))) return false;
        }
        return true;
    }

    internal static bool LooksRandom(string value, double minBits) => LooksRandom(value.AsSpan(), minBits);

    internal static double Entropy(ReadOnlySpan<char> value)
    {
        if (value.Length == 0) return 0;
        Span<int> ascii = stackalloc int[128];
        var other = new Dictionary<char, int>();
        foreach (char c in value)
        {
            if (c < 128) ascii[c]++;
            else other[c] = other.GetValueOrDefault(c) + 1;
        }
        double h = 0;
        foreach (int n in ascii) h -= Term(n, value.Length);
        foreach (int n in other.Values) h -= Term(n, value.Length);
        return h;

        static double Term(int n, int length)
        {
            if (n == 0) return 0;
            double p = (double)n / length;
            return p * Math.Log2(p);
        }
    }

    internal static double Entropy(string value) => Entropy(value.AsSpan());

    /// <summary>A line-by-line redactor for one output stream (keeps the private-key state across lines).</summary>
    public LineRedactor CreateLineRedactor(int maxLineBytes = LineRedactor.DefaultMaxLineBytes) => new(this, maxLineBytes);

    internal bool EndsPrivateKey(string line, out int endIndex)
    {
        var m = _privateKeyEnd.Match(line);
        endIndex = m.Success ? m.Index + m.Length : -1;
        return m.Success;
    }

    internal static bool StartsPrivateKeyWithoutEnd(string redactedLine) =>
        redactedLine.Contains("[REDACTED:private_key]", StringComparison.Ordinal)
        && !redactedLine.Contains("-----END", StringComparison.Ordinal)
        && redactedLine.Contains("-----BEGIN", StringComparison.Ordinal);
}

/// <summary>redaction.json is malformed; the message names the file and line.</summary>
internal sealed class RedactionConfigException(string message) : Exception(message);

/// <summary>Redacts the string values of journal fields and records what was replaced as <c>redactions</c>.</summary>
internal static class FieldRedaction
{
    /// <summary>The field recording what redaction replaced: <c>{"count": n, "patterns": {"name": n}, "unredacted_long_lines": n}</c>.</summary>
    public const string RedactionsField = "redactions";

    // Output already redacted line by line as captured; redacting it again could change bytes the hash covers.
    private static readonly HashSet<string> s_alreadyRedacted = new(StringComparer.Ordinal)
    {
        Events.JournalFields.Output, Events.JournalFields.Stderr, Events.JournalFields.OutputSample, RedactionsField,
    };

    /// <summary>Redacts every string in <paramref name="fields"/> (nested too) except captured output, and records the counts.</summary>
    public static void Apply(System.Text.Json.Nodes.JsonObject fields, SecretRedactor redactor, params RedactionTally?[] streamTallies)
    {
        var tally = new RedactionTally();
        foreach (var key in fields.Select(kv => kv.Key).ToList())
        {
            if (s_alreadyRedacted.Contains(key)) continue;
            if (Redact(fields[key], redactor, tally) is { } replaced) fields[key] = replaced;
        }
        foreach (var t in streamTallies)
        {
            if (t is null) continue;
            foreach (var (name, n) in t.ByPattern) for (int i = 0; i < n; i++) tally.Add(name);
            tally.UnredactedLongLines += t.UnredactedLongLines;
        }
        if (tally.Count == 0 && tally.UnredactedLongLines == 0) return;
        var patterns = new System.Text.Json.Nodes.JsonObject();
        foreach (var (name, n) in tally.ByPattern) patterns[name] = n;
        var record = new System.Text.Json.Nodes.JsonObject { ["count"] = tally.Count, ["patterns"] = patterns };
        if (tally.UnredactedLongLines > 0) record["unredacted_long_lines"] = tally.UnredactedLongLines;
        fields[RedactionsField] = record;
    }

    // Returns a replacement for a string value that changed; containers are redacted in place (null returned).
    private static System.Text.Json.Nodes.JsonNode? Redact(System.Text.Json.Nodes.JsonNode? node, SecretRedactor redactor, RedactionTally tally)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonValue v when v.TryGetValue(out string? s):
                string r = redactor.Redact(s, tally);
                return ReferenceEquals(r, s) || r == s ? null : System.Text.Json.Nodes.JsonValue.Create(r);
            case System.Text.Json.Nodes.JsonObject o:
                foreach (var key in o.Select(kv => kv.Key).ToList())
                {
                    if (Redact(o[key], redactor, tally) is { } replaced) o[key] = replaced;
                }
                return null;
            case System.Text.Json.Nodes.JsonArray a:
                for (int i = 0; i < a.Count; i++)
                {
                    if (Redact(a[i], redactor, tally) is { } replaced) a[i] = replaced;
                }
                return null;
            default:
                return null;
        }
    }

    private static readonly System.Text.RegularExpressions.Regex s_secretOption = new(
        @"^--?(?i:password|passwd|pass|pwd|token|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)$",
        System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private static readonly HashSet<string> s_attachedDashP = new(StringComparer.Ordinal) { "mysql", "mysqldump", "mysqladmin", "mariadb", "mariadb-dump", "mysqlimport", "mysqlshow", "mysqlcheck" };

    /// <summary>
    /// The arguments of a recorded command with option values redacted: the argument after <c>--password</c>,
    /// <c>--token</c>, <c>-p</c>... (separate-argument form) and, for the MySQL/MariaDB clients, <c>-pVALUE</c>.
    /// (<c>--password=VALUE</c> and secrets inside arguments are caught by the patterns when the fields are redacted.)
    /// </summary>
    public static IReadOnlyList<string> Arguments(string program, IReadOnlyList<string> arguments, RedactionTally tally)
    {
        string name = Path.GetFileName(program);
        bool mysqlLike = s_attachedDashP.Contains(name);
        var result = new List<string>(arguments.Count);
        for (int i = 0; i < arguments.Count; i++)
        {
            string a = arguments[i];
            if (i > 0 && s_secretOption.IsMatch(arguments[i - 1]) && a.Length > 0 && !a.StartsWith('-'))
            {
                tally.Add("password_argument");
                result.Add("[REDACTED:password_argument]");
            }
            else if (mysqlLike && a.Length > 2 && a.StartsWith("-p", StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal))
            {
                tally.Add("password_argument");
                result.Add("-p[REDACTED:password_argument]");
            }
            else result.Add(a);
        }
        return result;
    }
}
