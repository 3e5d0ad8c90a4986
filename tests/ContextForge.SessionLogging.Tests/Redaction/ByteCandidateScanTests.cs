using System.Runtime.Intrinsics.X86;
using System.Text;
using ContextForge.SessionLogging.Redaction;

namespace ContextForge.SessionLogging.Tests.Redaction;

/// <summary>The scan's two vector paths (AVX-512: one 64-byte vector; AVX2: two of 32) give the same masks.</summary>
public sealed class ByteCandidateScanTests
{
    [Fact]
    public void The_avx512_masks_equal_the_avx2_masks_at_every_offset()
    {
        if (!Avx512BW.IsSupported || !Avx2.IsSupported) return; // one path only on this machine: nothing to compare
        var samples = new SecretSamples(31);
        var text = new StringBuilder();
        foreach (var p in samples.OneOfEach()) text.Append(p.Line).Append('\n').Append(p.Line.ToUpperInvariant()).Append(" \t");
        foreach (string needle in BuiltInRules.WordNeedles) text.Append(needle).Append(needle.ToUpperInvariant()).Append("_-q~ ");
        byte[] bytes = [.. Encoding.Latin1.GetBytes(text.ToString()), .. Enumerable.Range(0, 256).Select(i => (byte)i)];
        var tables = ByteCandidateScan.NeedleTables;
        Span<byte> wide = stackalloc byte[64];
        Span<byte> narrow = stackalloc byte[64];
        int withFingerprints = 0;
        for (int at = 0; at + 64 + ByteCandidateScan.Overhang <= bytes.Length; at++)
        {
            ByteCandidateScan.Masks512(in tables, ref bytes[at], out ulong tokens512, out ulong fingerprints512, wide);
            ByteCandidateScan.Masks256(in tables, ref bytes[at], out ulong tokens256, out ulong fingerprints256, narrow);
            Assert.Equal(tokens256, tokens512);
            Assert.Equal(fingerprints256, fingerprints512);
            if (fingerprints256 == 0) continue;
            withFingerprints++;
            Assert.True(wide.SequenceEqual(narrow), $"bucket bits differ at {at}");
        }
        Assert.True(withFingerprints > 1000, $"{withFingerprints} windows with a candidate");
        Assert.True(ByteCandidateScan.UsesAvx512);
    }
}
