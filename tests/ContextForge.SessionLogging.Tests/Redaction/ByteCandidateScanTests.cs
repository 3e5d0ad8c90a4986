using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using System.Text;
using ContextForge.SessionLogging.Redaction;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>
/// The scan's vector paths (AVX-512: one 64-byte vector; AVX2: two of 32; Vector128 on SSSE3 or arm64: four of 16, and
/// with the software shuffle where neither exists) give the same masks, and those of a byte-at-a-time reference, at every offset of text full of needles and secrets.
/// </summary>
public sealed class ByteCandidateScanTests
{
    private delegate void MasksPath(in ByteCandidateScan.Tables tables, ref byte at, out ulong tokens, out ulong fingerprints, Span<byte> buckets);

    // The paths this machine can run, each with its name.
    private static List<(string Name, MasksPath Masks)> Paths()
    {
        var paths = new List<(string, MasksPath)>();
        if (Avx512BW.IsSupported) paths.Add(("AVX-512", ByteCandidateScan.Masks512));
        if (Avx2.IsSupported) paths.Add(("AVX2", ByteCandidateScan.Masks256));
        if (Ssse3.IsSupported || AdvSimd.Arm64.IsSupported) paths.Add(("Vector128", ByteCandidateScan.Masks128));
        paths.Add(("Vector128 with the software shuffle", ByteCandidateScan.Masks128Software)); // x64 without SSSE3: runs anywhere
        return paths;
    }

    // Every built-in rule's samples (as printed and upper-cased), every needle in both cases, then all 256 byte values.
    private static byte[] Text()
    {
        var samples = new SecretSamples(31);
        var text = new StringBuilder();
        foreach (var p in samples.OneOfEach()) text.Append(p.Line).Append('\n').Append(p.Line.ToUpperInvariant()).Append(" \t");
        foreach (string needle in BuiltInRules.WordNeedles) text.Append(needle).Append(needle.ToUpperInvariant()).Append("_-q~ ");
        return [.. Encoding.Latin1.GetBytes(text.ToString()), .. Enumerable.Range(0, 256).Select(i => (byte)i)];
    }

    [Fact]
    public void The_avx512_avx2_and_vector128_masks_are_equal_at_every_offset()
    {
        var paths = Paths();
        if (paths.Count < 2) return; // one path only on this machine: nothing to compare
        byte[] bytes = Text();
        var tables = ByteCandidateScan.NeedleTables;
        Span<byte> first = stackalloc byte[64];
        Span<byte> other = stackalloc byte[64];
        int withFingerprints = 0;
        for (int at = 0; at + 64 + ByteCandidateScan.Overhang <= bytes.Length; at++)
        {
            paths[0].Masks(in tables, ref bytes[at], out ulong tokens, out ulong fingerprints, first);
            foreach (var (name, masks) in paths.Skip(1))
            {
                masks(in tables, ref bytes[at], out ulong otherTokens, out ulong otherFingerprints, other);
                Assert.True(tokens == otherTokens, $"{name} token mask differs from {paths[0].Name} at {at}");
                Assert.True(fingerprints == otherFingerprints, $"{name} fingerprints differ from {paths[0].Name} at {at}");
                if (fingerprints != 0) Assert.True(first.SequenceEqual(other), $"{name} bucket bits differ from {paths[0].Name} at {at}");
            }
            if (fingerprints != 0) withFingerprints++;
        }
        Assert.True(withFingerprints > 1000, $"{withFingerprints} windows with a candidate");
        Assert.Equal(Avx512BW.IsSupported, ByteCandidateScan.UsesAvx512);
    }

    [Fact]
    public void Every_vector_path_gives_the_masks_of_a_byte_at_a_time_reference()
    {
        byte[] bytes = Text();
        var tables = ByteCandidateScan.NeedleTables;
        var paths = Paths();
        Span<byte> buckets = stackalloc byte[64];
        for (int at = 0; at + 64 + ByteCandidateScan.Overhang <= bytes.Length; at += 7)
        {
            ulong expectedTokens = 0, expectedFingerprints = 0;
            var expectedBuckets = new byte[64];
            for (int i = 0; i < 64; i++)
            {
                byte b = bytes[at + i];
                if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'-') expectedTokens |= 1UL << i;
                expectedBuckets[i] = (byte)(Entry(tables.Low0, tables.High0, b) & Entry(tables.Low1, tables.High1, bytes[at + i + 1]) & Entry(tables.Low2, tables.High2, bytes[at + i + 2]));
                if (expectedBuckets[i] != 0) expectedFingerprints |= 1UL << i;
            }
            foreach (var (name, masks) in paths)
            {
                masks(in tables, ref bytes[at], out ulong tokens, out ulong fingerprints, buckets);
                Assert.True(expectedTokens == tokens, $"{name} token mask at {at}: {tokens:X16}, expected {expectedTokens:X16}");
                Assert.True(expectedFingerprints == fingerprints, $"{name} fingerprints at {at}: {fingerprints:X16}, expected {expectedFingerprints:X16}");
                for (int i = 0; i < 64; i++)
                    if ((fingerprints >> i & 1) != 0) Assert.True(expectedBuckets[i] == buckets[i], $"{name} bucket bits at {at + i}");
            }
        }
    }

    [Fact]
    public void Every_needle_in_either_case_is_a_fingerprint_that_its_bucket_confirms_on_every_path()
    {
        var tables = ByteCandidateScan.NeedleTables;
        Span<byte> buckets = stackalloc byte[64];
        foreach (string needle in BuiltInRules.WordNeedles)
        {
            foreach (string spelled in new[] { needle.ToLowerInvariant(), needle.ToUpperInvariant() })
            {
                for (int offset = 0; offset < 64; offset += 13)
                {
                    byte[] bytes = new byte[128];
                    Array.Fill(bytes, (byte)' ');
                    Encoding.Latin1.GetBytes(spelled).CopyTo(bytes, offset);
                    foreach (var (name, masks) in Paths())
                    {
                        masks(in tables, ref bytes[0], out _, out ulong fingerprints, buckets);
                        Assert.True((fingerprints >> offset & 1) != 0, $"{name}: '{spelled}' at {offset} is not a candidate");
                        Assert.True(ByteCandidateScan.IsNeedleAt(bytes, offset, buckets[offset]), $"{name}: '{spelled}' at {offset} is not confirmed");
                    }
                }
            }
        }
    }

    [Fact]
    public void The_look_back_fingerprint_mask_is_every_paths_fingerprints_and_holds_every_look_back_needle()
    {
        var tables = ByteCandidateScan.LookBackTables;
        byte[] bytes = Text();
        Span<byte> buckets = stackalloc byte[64];
        for (int at = 0; at + 64 + ByteCandidateScan.Overhang <= bytes.Length; at += 5)
        {
            ulong expected = 0;
            for (int i = 0; i < 64; i++)
                if ((Entry(tables.Low0, tables.High0, bytes[at + i]) & Entry(tables.Low1, tables.High1, bytes[at + i + 1]) & Entry(tables.Low2, tables.High2, bytes[at + i + 2])) != 0)
                    expected |= 1UL << i;
            Assert.True(expected == ByteCandidateScan.FingerprintMask(in tables, ref bytes[at]), $"fingerprint mask at {at}");
            foreach (var (name, masks) in Paths())
            {
                masks(in tables, ref bytes[at], out _, out ulong fingerprints, buckets);
                Assert.True(expected == fingerprints, $"{name} look-back fingerprints at {at}");
            }
        }
        foreach (string needle in BuiltInRules.LookBackNeedles)
        {
            foreach (string spelled in new[] { needle.ToLowerInvariant(), needle.ToUpperInvariant() })
            {
                byte[] line = new byte[64 + ByteCandidateScan.Overhang + 16];
                Array.Fill(line, (byte)'~');
                Encoding.Latin1.GetBytes(spelled).CopyTo(line, 50);
                Assert.True((ByteCandidateScan.FingerprintMask(in tables, ref line[0]) >> 50 & 1) != 0, $"'{spelled}' is not a look-back fingerprint");
            }
        }
    }

    // The bucket bits of byte b at one fingerprint position: its low nibble's entry AND its high nibble's.
    private static int Entry(System.Runtime.Intrinsics.Vector256<byte> low, System.Runtime.Intrinsics.Vector256<byte> high, byte b) =>
        low[b & 15] & high[b >> 4];
}
