using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>
/// An ASCII keyword compared, ignoring ASCII case, at a position in text: four characters per 64-bit compare (letters
/// folded to lower case by OR-ing 0x20 where the keyword has a letter, every other character exact). The same answer
/// as <c>StartsWith(keyword, StringComparison.OrdinalIgnoreCase)</c> for an ASCII keyword: ordinal case folding maps no
/// non-ASCII character to an ASCII letter (tested), so only ASCII letters fold. The scan calls it at every candidate
/// position (about two million times per 222 MB of terminal output), where the general comparison was 6 % of its time.
/// </summary>
internal sealed class AsciiKeyword
{
    private readonly ulong[] _value;
    private readonly ulong[] _mask;
    private readonly ulong[] _fold;
    private readonly ulong[] _byteValue; // the same over bytes: eight characters per 64-bit compare
    private readonly ulong[] _byteMask;
    private readonly ulong[] _byteFold;

    public AsciiKeyword(string keyword)
    {
        if (keyword.Length == 0 || !System.Text.Ascii.IsValid(keyword)) throw new ArgumentException($"'{keyword}' is not a non-empty ASCII keyword.", nameof(keyword));
        Text = keyword;
        int chunks = (keyword.Length + 3) / 4;
        _value = new ulong[chunks];
        _mask = new ulong[chunks];
        _fold = new ulong[chunks];
        for (int i = 0; i < keyword.Length; i++)
        {
            char c = char.ToLowerInvariant(keyword[i]);
            int shift = 16 * (i % 4);
            _value[i / 4] |= (ulong)c << shift;
            _mask[i / 4] |= 0xFFFFUL << shift;
            if (char.IsAsciiLetterLower(c)) _fold[i / 4] |= 0x20UL << shift;
        }
        int byteChunks = (keyword.Length + 7) / 8;
        _byteValue = new ulong[byteChunks];
        _byteMask = new ulong[byteChunks];
        _byteFold = new ulong[byteChunks];
        for (int i = 0; i < keyword.Length; i++)
        {
            char c = char.ToLowerInvariant(keyword[i]);
            int shift = 8 * (i % 8);
            _byteValue[i / 8] |= (ulong)c << shift;
            _byteMask[i / 8] |= 0xFFUL << shift;
            if (char.IsAsciiLetterLower(c)) _byteFold[i / 8] |= 0x20UL << shift;
        }
    }

    /// <summary>The keyword as given.</summary>
    public string Text { get; }

    /// <summary>Its length in characters.</summary>
    public int Length => Text.Length;

    /// <summary>Whether <paramref name="s"/> holds the keyword at <paramref name="at"/>, ignoring ASCII case.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAt(ReadOnlySpan<char> s, int at)
    {
        if ((uint)at > (uint)s.Length || s.Length - at < Text.Length) return false;
        if (s.Length - at < 4 * _value.Length || !BitConverter.IsLittleEndian) return IsAtOneByOne(s[at..]);
        ref byte start = ref Unsafe.As<char, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(s), at));
        for (int i = 0; i < _value.Length; i++)
        {
            ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 8 * i));
            if (((w | _fold[i]) & _mask[i]) != _value[i]) return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="s"/> (bytes read as Latin-1) holds the keyword at <paramref name="at"/>, ignoring ASCII case.</summary>
    public bool IsAt(ReadOnlySpan<byte> s, int at)
    {
        if ((uint)at > (uint)s.Length || s.Length - at < Text.Length) return false;
        if (s.Length - at < 8 * _byteValue.Length || !BitConverter.IsLittleEndian) return IsAtOneByOne(s[at..]);
        ref byte start = ref Unsafe.Add(ref MemoryMarshal.GetReference(s), at);
        for (int i = 0; i < _byteValue.Length; i++)
        {
            ulong w = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 8 * i));
            if (((w | _byteFold[i]) & _byteMask[i]) != _byteValue[i]) return false;
        }
        return true;
    }

    /// <summary>Whether <paramref name="s"/> (chars, or bytes read as Latin-1) holds the keyword at <paramref name="at"/>, ignoring ASCII case, one character at a time.</summary>
    public bool IsAt<T>(ReadOnlySpan<T> s, int at) where T : unmanaged, IBinaryInteger<T> =>
        (uint)at <= (uint)s.Length && s.Length - at >= Text.Length && IsAtOneByOne(s[at..]);

    // One character at a time (bytes; or the last few chars of a text, where a 64-bit read would pass its end): the
    // lower-cased keyword's character, or its upper case for a letter. rest holds at least Text.Length items.
    private bool IsAtOneByOne<T>(ReadOnlySpan<T> rest) where T : unmanaged, IBinaryInteger<T>
    {
        for (int i = 0; i < Text.Length; i++)
        {
            int k = (int)(ushort)(_value[i / 4] >> (16 * (i % 4)));
            int c = int.CreateTruncating(rest[i]);
            if (c != k && !(char.IsAsciiLetterLower((char)k) && c == k - 32)) return false;
        }
        return true;
    }
}
