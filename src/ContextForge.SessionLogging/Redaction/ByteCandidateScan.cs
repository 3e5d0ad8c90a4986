using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ContextForge.SessionLogging.Redaction;

/// <summary>
/// One vectorised pass over captured bytes (Latin-1, one byte per char) that finds, 64 bytes at a time, both kinds of
/// candidate position of the scan: where a word needle (<see cref="BuiltInRules.WordNeedles"/>, ignoring ASCII case)
/// may start, and where tokens characters ([A-Za-z0-9_-]) are. The needle test is a Teddy-style fingerprint: the
/// first three bytes at each position are looked up by nibble (<c>vpshufb</c>, 32 positions per AVX2 instruction) in
/// tables of 8 buckets of needles; a position whose three lookups share a bucket is a candidate, checked against that
/// bucket's needles. The token mask comes from the same loaded vectors. This replaces, on the capture path, two
/// <c>SearchValues</c> searches over widened chars that each restarted at every hit (see docs/redaction.md).
/// Where the CPU has AVX-512 (BW), the 64 bytes are one vector (<c>vpshufb</c> on 512 bits) instead of two of 32; where
/// it has neither AVX2 nor AVX-512, four vectors of 16 (<c>pshufb</c> on SSSE3, <c>tbl</c> on arm64): the portable path,
/// which the SDK's default NativeAOT instruction set (release archives, the tool package) and arm64 run. The results
/// are the same on every path (a test compares all three on one machine, and each with a scalar reference). The checks
/// are <c>IsSupported</c> tests: constant in a NativeAOT build for its instruction set (scripts/install.sh builds for
/// the machine it runs on), decided at start under the JIT. Only a CPU with no byte shuffle (x64 before SSSE3) uses
/// the char searches (<see cref="IsSupported"/>).
/// </summary>
internal static class ByteCandidateScan
{
    /// <summary>
    /// Whether this machine runs the vector pass (AVX2, AVX-512, SSSE3 or arm64 AdvSimd); otherwise the scan uses the
    /// char searches.
    /// </summary>
    public static bool IsSupported => Avx2.IsSupported || Ssse3.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>The vector path <see cref="Masks"/> takes here, for benchmark output: AVX-512, AVX2, SSSE3, AdvSimd or none.</summary>
    public static string PathName =>
        Avx512BW.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : Ssse3.IsSupported ? "SSSE3 (Vector128)" : AdvSimd.Arm64.IsSupported ? "AdvSimd (Vector128)" : "none";

    /// <summary>The bytes a window needs past its 64: the fingerprint reads three bytes at each position.</summary>
    public const int Overhang = 2;

    // The needles in 8 buckets. A bucket admits every mix of its needles' nibbles at each of the three positions, so
    // the grouping decides how many positions are false candidates: this one came from a search over groupings on
    // 8 MB of the realistic corpus (benchmarks/RedactionScan): 37,607 candidates where 30,500 hold a needle's first
    // three bytes, against 154,732 for a grouping by likeness.
    private static readonly string[][] s_buckets =
    [
        ["passw", "_pass"],
        ["token", "-key", "_key"],
        ["q~"],
        ["secret", "sig=", "acc"],
        ["sshpass", "pwd"],
        ["auth", "-----begin"],
        ["hooks.slack", "api", "://"],
        ["mysql", "cred", "-pass"],
    ];

    private static readonly byte[][][] s_bucketNeedles = [.. s_buckets.Select(b => b.Select(n => n.Select(c => (byte)char.ToLowerInvariant(c)).ToArray()).ToArray())];

    // Per fingerprint position (0, 1, 2): a 32-byte table (the 16 entries twice, vpshufb looks up within each 128-bit
    // lane) by low nibble and one by high nibble; entry n holds the bits of the buckets with a needle whose byte at
    // that position (either case) has that nibble. A needle shorter than 3 bytes admits every byte past its end.
    /// <summary>The six nibble tables, copied into a local by the caller once per scan (kept in registers).</summary>
    internal readonly struct Tables(Vector256<byte> low0, Vector256<byte> high0, Vector256<byte> low1, Vector256<byte> high1, Vector256<byte> low2, Vector256<byte> high2)
    {
        public readonly Vector256<byte> Low0 = low0, High0 = high0, Low1 = low1, High1 = high1, Low2 = low2, High2 = high2;

        // The 16 entries alone, for the 128-bit path (pshufb, tbl).
        public readonly Vector128<byte> Narrow0Low = low0.GetLower(), Narrow0High = high0.GetLower(),
            Narrow1Low = low1.GetLower(), Narrow1High = high1.GetLower(),
            Narrow2Low = low2.GetLower(), Narrow2High = high2.GetLower();

        // The token characters by nibble, for the 128-bit path: entry h (0-7) of TokenHigh is bit h, entry l of TokenLow
        // has bit h when byte 16h+l is a token character; a byte is one when its two entries share a bit. Two lookups
        // on the nibbles the fingerprint already has, where SSE has no unsigned byte compare for the range tests.
        public readonly Vector128<byte> TokenLow = TokenTable(low: true), TokenHigh = TokenTable(low: false);

        private static Vector128<byte> TokenTable(bool low)
        {
            Span<byte> entries = stackalloc byte[16];
            for (int h = 0; h < 8; h++)
            {
                if (!low) { entries[h] = (byte)(1 << h); continue; }
                for (int l = 0; l < 16; l++)
                {
                    char c = (char)(16 * h + l);
                    if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-') entries[l] |= (byte)(1 << h);
                }
            }
            return Vector128.Create<byte>(entries);
        }

        // The same tables over 512 bits (vpshufb on AVX-512 also looks up within each 128-bit lane).
        public readonly Vector512<byte> Wide0Low = Vector512.Create(low0, low0), Wide0High = Vector512.Create(high0, high0),
            Wide1Low = Vector512.Create(low1, low1), Wide1High = Vector512.Create(high1, high1),
            Wide2Low = Vector512.Create(low2, low2), Wide2High = Vector512.Create(high2, high2);
    }

    /// <summary>Whether <see cref="Masks"/> takes the 64 bytes as one AVX-512 vector (else two AVX2 vectors or four of 128 bits).</summary>
    public static bool UsesAvx512 => Avx512BW.IsSupported;

    /// <summary>The nibble tables of the needles.</summary>
    public static Tables NeedleTables { get; }

    /// <summary>
    /// The nibble tables of <see cref="BuiltInRules.LookBackNeedles"/> for <see cref="FingerprintMask"/>, grouped by first
    /// letter (the largest group first, into the emptiest of 8 buckets): in the realistic corpus 0.09 % of positions are
    /// candidates.
    /// </summary>
    public static Tables LookBackTables { get; }

    static ByteCandidateScan()
    {
        NeedleTables = TablesOf(s_buckets);
        if (s_buckets.SelectMany(b => b).Order(StringComparer.OrdinalIgnoreCase).SequenceEqual(BuiltInRules.WordNeedles.Order(StringComparer.OrdinalIgnoreCase)) is false)
            throw new InvalidOperationException("ByteCandidateScan's buckets must hold exactly BuiltInRules.WordNeedles.");
        var lookBack = new List<string>[8];
        for (int i = 0; i < lookBack.Length; i++) lookBack[i] = [];
        foreach (var group in BuiltInRules.LookBackNeedles.GroupBy(n => char.ToLowerInvariant(n[0])).OrderByDescending(g => g.Count()).ThenBy(g => g.Key))
            lookBack.MinBy(b => b.Count)!.AddRange(group);
        LookBackTables = TablesOf(lookBack);
    }

    // The nibble tables of up to 8 buckets of ASCII needles (letters in either case; a needle shorter than 3 admits every
    // byte past its end).
    private static Tables TablesOf(IReadOnlyList<IReadOnlyList<string>> buckets)
    {
        var low = new byte[3, 16];
        var high = new byte[3, 16];
        for (int bucket = 0; bucket < buckets.Count; bucket++)
        {
            byte bit = (byte)(1 << bucket);
            foreach (string needle in buckets[bucket])
            {
                for (int k = 0; k < 3; k++)
                {
                    if (k >= needle.Length)
                    {
                        for (int n = 0; n < 16; n++) { low[k, n] |= bit; high[k, n] |= bit; }
                        continue;
                    }
                    foreach (char c in new[] { char.ToLowerInvariant(needle[k]), char.ToUpperInvariant(needle[k]) })
                    {
                        low[k, c & 15] |= bit;
                        high[k, c >> 4] |= bit;
                    }
                }
            }
        }
        var tables = new Vector256<byte>[6];
        for (int k = 0; k < 3; k++)
        {
            var l = new byte[32];
            var h = new byte[32];
            for (int n = 0; n < 32; n++) { l[n] = low[k, n & 15]; h[n] = high[k, n & 15]; }
            tables[2 * k] = Vector256.Create(l);
            tables[2 * k + 1] = Vector256.Create(h);
        }
        return new Tables(tables[0], tables[1], tables[2], tables[3], tables[4], tables[5]);
    }

    /// <summary>
    /// The fingerprints alone of the 64 bytes at <paramref name="at"/> (which must have <see cref="Overhang"/> readable
    /// bytes past them): bit i set when a needle of <paramref name="tables"/> may start at byte i. The same bits as
    /// <see cref="Masks"/>' fingerprints on every path; computed only where the scan needs them (the look-back needles
    /// before a run that follows an assignment).
    /// </summary>
    public static ulong FingerprintMask(in Tables tables, ref byte at)
    {
        if (Avx512BW.IsSupported)
        {
            var nibble = Vector512.Create((byte)0x0F);
            var found = Lookup512(Vector512.LoadUnsafe(ref at), tables.Wide0Low, tables.Wide0High, nibble)
                & Lookup512(Vector512.LoadUnsafe(ref at, 1), tables.Wide1Low, tables.Wide1High, nibble)
                & Lookup512(Vector512.LoadUnsafe(ref at, 2), tables.Wide2Low, tables.Wide2High, nibble);
            return ~Vector512.Equals(found, Vector512<byte>.Zero).ExtractMostSignificantBits();
        }
        Span<byte> buckets = stackalloc byte[64];
        ulong fingerprints;
        if (Avx2.IsSupported) Masks256(in tables, ref at, out _, out fingerprints, buckets);
        else Masks128(in tables, ref at, out _, out fingerprints, buckets);
        return fingerprints;
    }

    /// <summary>
    /// The masks of the 64 bytes at <paramref name="at"/> (which must have <see cref="Overhang"/> readable bytes past
    /// them): bit i of <paramref name="tokens"/> is set when byte i is a token character, bit i of
    /// <paramref name="fingerprints"/> when a needle's first three bytes may start at byte i; the lookup result per byte
    /// (its bucket bits) goes to <paramref name="buckets"/> (64 bytes), always, on every path (a branch on the data
    /// mispredicted).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Masks(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets)
    {
        if (Avx512BW.IsSupported) Masks512(in tables, ref at, out tokens, out fingerprints, buckets);
        else if (Avx2.IsSupported) Masks256(in tables, ref at, out tokens, out fingerprints, buckets);
        else Masks128(in tables, ref at, out tokens, out fingerprints, buckets);
    }

    /// <summary><see cref="Masks"/> with one AVX-512 vector of 64 bytes (needs <see cref="Avx512BW"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Masks512(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets)
    {
        var nibble = Vector512.Create((byte)0x0F);
        var v0 = Vector512.LoadUnsafe(ref at);
        var v1 = Vector512.LoadUnsafe(ref at, 1);
        var v2 = Vector512.LoadUnsafe(ref at, 2);
        var token = Vector512.LessThan((v0 | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)26))
            | Vector512.LessThan(v0 - Vector512.Create((byte)'0'), Vector512.Create((byte)10))
            | Vector512.Equals(v0, Vector512.Create((byte)'_')) | Vector512.Equals(v0, Vector512.Create((byte)'-'));
        tokens = token.ExtractMostSignificantBits();
        var found = Lookup512(v0, tables.Wide0Low, tables.Wide0High, nibble) & Lookup512(v1, tables.Wide1Low, tables.Wide1High, nibble)
            & Lookup512(v2, tables.Wide2Low, tables.Wide2High, nibble);
        fingerprints = ~Vector512.Equals(found, Vector512<byte>.Zero).ExtractMostSignificantBits();
        found.StoreUnsafe(ref MemoryMarshal.GetReference(buckets)); // always: a branch on the data mispredicted (10 % of the scan)
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Lookup512(Vector512<byte> v, Vector512<byte> low, Vector512<byte> high, Vector512<byte> nibble) =>
        Avx512BW.Shuffle(low, v & nibble) & Avx512BW.Shuffle(high, Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);

    /// <summary><see cref="Masks"/> with two AVX2 vectors of 32 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Masks256(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets)
    {
        var a = Fingerprint(in tables, ref at, 0, out uint t0);
        var b = Fingerprint(in tables, ref at, 32, out uint t1);
        tokens = t0 | ((ulong)t1 << 32);
        uint f0 = ~Vector256.Equals(a, Vector256<byte>.Zero).ExtractMostSignificantBits();
        uint f1 = ~Vector256.Equals(b, Vector256<byte>.Zero).ExtractMostSignificantBits();
        fingerprints = f0 | ((ulong)f1 << 32);
        a.StoreUnsafe(ref MemoryMarshal.GetReference(buckets));
        b.StoreUnsafe(ref MemoryMarshal.GetReference(buckets), 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Fingerprint(in Tables tables, ref byte at, nuint offset, out uint tokens)
    {
        var nibble = Vector256.Create((byte)0x0F);
        var v0 = Vector256.LoadUnsafe(ref at, offset);
        var v1 = Vector256.LoadUnsafe(ref at, offset + 1);
        var v2 = Vector256.LoadUnsafe(ref at, offset + 2);
        var token = Vector256.LessThan((v0 | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26))
            | Vector256.LessThan(v0 - Vector256.Create((byte)'0'), Vector256.Create((byte)10))
            | Vector256.Equals(v0, Vector256.Create((byte)'_')) | Vector256.Equals(v0, Vector256.Create((byte)'-'));
        tokens = token.ExtractMostSignificantBits();
        return Lookup(v0, tables.Low0, tables.High0, nibble) & Lookup(v1, tables.Low1, tables.High1, nibble) & Lookup(v2, tables.Low2, tables.High2, nibble);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Lookup(Vector256<byte> v, Vector256<byte> low, Vector256<byte> high, Vector256<byte> nibble) =>
        Avx2.Shuffle(low, v & nibble) & Avx2.Shuffle(high, Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);

    /// <summary>
    /// <see cref="Masks"/> with four vectors of 16 bytes: the portable path (SSSE3 <c>pshufb</c>, arm64 <c>tbl</c>;
    /// <c>Vector128.Shuffle</c> elsewhere, correct but slow). Each 16-byte part's bucket bits are stored as soon as they
    /// are known, without a branch, so no part is kept in a register for a conditional store at the end.
    /// </summary>
    /// <remarks>
    /// The SDK's default x64 NativeAOT instruction set (.NET 10: x86-64-v1) has SSE2 only: SSSE3 is used behind a
    /// run-time test of <see cref="Ssse3.IsSupported"/>. One test per window here, not one per lookup: a test at each
    /// lookup, whose other branch called the software shuffle, made the compiler keep every vector on the stack (the
    /// masks alone: 2.0 against 5.3 GB/s on 222 MB, benchmarks/results/redaction-scan.md).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Masks128(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets)
    {
        if (Ssse3.IsSupported) Masks128<Ssse3Lookup>(in tables, ref at, out tokens, out fingerprints, buckets);
        else if (AdvSimd.Arm64.IsSupported) Masks128<ArmLookup>(in tables, ref at, out tokens, out fingerprints, buckets);
        else Masks128<SoftwareLookup>(in tables, ref at, out tokens, out fingerprints, buckets);
    }

    /// <summary><see cref="Masks128"/> with the software shuffle, as an x64 CPU without SSSE3 runs it (for the tests).</summary>
    internal static void Masks128Software(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets) =>
        Masks128<SoftwareLookup>(in tables, ref at, out tokens, out fingerprints, buckets);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Masks128<TLookup>(in Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets)
        where TLookup : struct, ITableLookup
    {
        ref byte into = ref MemoryMarshal.GetReference(buckets);
        _ = buckets[63];
        var f0 = Fingerprint128<TLookup>(in tables, ref at, 0, out uint t0);
        f0.StoreUnsafe(ref into);
        var f1 = Fingerprint128<TLookup>(in tables, ref at, 16, out uint t1);
        f1.StoreUnsafe(ref into, 16);
        var f2 = Fingerprint128<TLookup>(in tables, ref at, 32, out uint t2);
        f2.StoreUnsafe(ref into, 32);
        var f3 = Fingerprint128<TLookup>(in tables, ref at, 48, out uint t3);
        f3.StoreUnsafe(ref into, 48);
        tokens = ~(t0 | ((ulong)t1 << 16) | ((ulong)t2 << 32) | ((ulong)t3 << 48));
        fingerprints = ~(Vector128.Equals(f0, Vector128<byte>.Zero).ExtractMostSignificantBits()
            | ((ulong)Vector128.Equals(f1, Vector128<byte>.Zero).ExtractMostSignificantBits() << 16)
            | ((ulong)Vector128.Equals(f2, Vector128<byte>.Zero).ExtractMostSignificantBits() << 32)
            | ((ulong)Vector128.Equals(f3, Vector128<byte>.Zero).ExtractMostSignificantBits() << 48));
    }

    // The bucket bits of the 16 positions at offset, and (inverted: bit i set when byte i is NOT one) their token mask.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Fingerprint128<TLookup>(in Tables tables, ref byte at, nuint offset, out uint notTokens)
        where TLookup : struct, ITableLookup
    {
        var nibble = Vector128.Create((byte)0x0F);
        var v0 = Vector128.LoadUnsafe(ref at, offset);
        var v1 = Vector128.LoadUnsafe(ref at, offset + 1);
        var v2 = Vector128.LoadUnsafe(ref at, offset + 2);
        var low = v0 & nibble;
        var high = Vector128.ShiftRightLogical(v0.AsUInt16(), 4).AsByte() & nibble;
        notTokens = Vector128.Equals(TLookup.Lookup(tables.TokenLow, low) & TLookup.Lookup(tables.TokenHigh, high), Vector128<byte>.Zero).ExtractMostSignificantBits();
        return TLookup.Lookup(tables.Narrow0Low, low) & TLookup.Lookup(tables.Narrow0High, high)
            & Lookup128<TLookup>(v1, tables.Narrow1Low, tables.Narrow1High, nibble) & Lookup128<TLookup>(v2, tables.Narrow2Low, tables.Narrow2High, nibble);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Lookup128<TLookup>(Vector128<byte> v, Vector128<byte> low, Vector128<byte> high, Vector128<byte> nibble)
        where TLookup : struct, ITableLookup =>
        TLookup.Lookup(low, v & nibble) & TLookup.Lookup(high, Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & nibble);

    /// <summary>
    /// Entry index[i] of a 16-byte table, for indices 0-15 (nibbles), where <c>pshufb</c>, <c>tbl</c> and
    /// <c>Vector128.Shuffle</c> agree (they differ only past 15). <c>Vector128.ShuffleUnsafe</c>, which would pick the
    /// instruction itself, is not public in .NET 10.
    /// </summary>
    private interface ITableLookup
    {
        static abstract Vector128<byte> Lookup(Vector128<byte> table, Vector128<byte> index);
    }

    // Reached only behind Ssse3.IsSupported (Masks128).
    private readonly struct Ssse3Lookup : ITableLookup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Lookup(Vector128<byte> table, Vector128<byte> index) => Ssse3.Shuffle(table, index);
    }

    // Reached only behind AdvSimd.Arm64.IsSupported (Masks128).
    private readonly struct ArmLookup : ITableLookup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Lookup(Vector128<byte> table, Vector128<byte> index) => AdvSimd.Arm64.VectorTableLookup(table, index);
    }

    private readonly struct SoftwareLookup : ITableLookup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<byte> Lookup(Vector128<byte> table, Vector128<byte> index) => Vector128.Shuffle(table, index);
    }

    /// <summary>
    /// Whether a needle of the buckets in <paramref name="bucketBits"/> starts at <paramref name="at"/> of
    /// <paramref name="s"/> (ASCII letters compared ignoring case, as <c>OrdinalIgnoreCase</c> compares them in Latin-1).
    /// </summary>
    public static bool IsNeedleAt(ReadOnlySpan<byte> s, int at, byte bucketBits)
    {
        var rest = s[at..];
        ulong word = rest.Length >= 8 ? Unsafe.ReadUnaligned<ulong>(ref MemoryMarshal.GetReference(rest)) : 0;
        while (bucketBits != 0)
        {
            int bucket = BitOperations.TrailingZeroCount(bucketBits);
            bucketBits &= (byte)(bucketBits - 1);
            foreach (var needle in s_bucketPrefixes[bucket])
            {
                // The first (up to) 8 bytes in one compare: letters folded to lower case by OR-ing 0x20 where the
                // needle has a letter (only 'A'-'Z' and 'a'-'z' then give a needle letter), the rest exact.
                if (rest.Length >= 8 ? ((word | needle.Fold) & needle.Mask) != needle.Value : !StartsWithIgnoringAsciiCase(rest, needle.Bytes)) continue;
                if (needle.Bytes.Length <= 8 || StartsWithIgnoringAsciiCase(rest, needle.Bytes)) return true;
            }
        }
        return false;
    }

    private sealed record Prefix(byte[] Bytes, ulong Value, ulong Mask, ulong Fold);

    private static readonly Prefix[][] s_bucketPrefixes = [.. s_bucketNeedles.Select(b => b.Select(PrefixOf).ToArray())];

    private static Prefix PrefixOf(byte[] lower)
    {
        ulong value = 0, mask = 0, fold = 0;
        for (int k = 0; k < Math.Min(8, lower.Length); k++)
        {
            value |= (ulong)lower[k] << (8 * k);
            mask |= 0xFFUL << (8 * k);
            if (lower[k] is >= (byte)'a' and <= (byte)'z') fold |= 0x20UL << (8 * k);
        }
        return new Prefix(lower, value, mask, fold);
    }

    private static bool StartsWithIgnoringAsciiCase(ReadOnlySpan<byte> s, byte[] lowerNeedle)
    {
        if (s.Length < lowerNeedle.Length) return false;
        for (int k = 0; k < lowerNeedle.Length; k++)
        {
            byte c = s[k], n = lowerNeedle[k];
            if (c != n && !(n is >= (byte)'a' and <= (byte)'z' && c == n - 32)) return false;
        }
        return true;
    }
}
