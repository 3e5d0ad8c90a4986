using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Tests.Journal;

/// <summary>
/// The managed SHA-256 the journal reader hashes a small read with (<see cref="LineHash"/>) gives the same digest as
/// the platform's <see cref="SHA256"/>: a hash-chain check must not depend on which of the two hashed a line.
/// </summary>
public sealed class LineHashTests
{
    [Fact]
    public void Managed_sha256_equals_the_platform_sha256_for_every_length_across_the_padding_boundaries()
    {
        var random = new Random(15);
        // 0-300 covers the empty input, one and two padding blocks (55/56 and 119/120 bytes), and several whole blocks.
        foreach (int length in Enumerable.Range(0, 301).Concat([1000, 4095, 4096, 65_429, 1 << 20]))
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            byte[] managed = new byte[ManagedSha256.HashSizeInBytes];
            ManagedSha256.HashData(data, managed);
            Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(managed), $"length {length}");
        }
    }

    [Fact]
    public void Managed_sha256_of_the_fips_180_examples_is_the_published_digest()
    {
        byte[] digest = new byte[32];
        ManagedSha256.HashData(Encoding.ASCII.GetBytes("abc"), digest);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digest));
        ManagedSha256.HashData(Encoding.ASCII.GetBytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), digest);
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Convert.ToHexStringLower(digest));
        ManagedSha256.HashData([], digest);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void Line_hash_is_the_lowercase_hex_sha256_before_and_after_the_managed_budget_is_spent()
    {
        byte[] line = Encoding.UTF8.GetBytes("{\"v\":2,\"event\":\"SessionStart\",\"ts\":\"2026-01-15T09:00:00Z\"}");
        string expected = Convert.ToHexStringLower(SHA256.HashData(line));
        Assert.Equal(expected, LineHash.Hex(line));
        // Past the budget (whatever this process hashed before) the platform hashes it: the same string.
        byte[] big = new byte[(int)LineHash.ManagedBudgetBytes + 1];
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), LineHash.Hex(big));
        Assert.Equal(expected, LineHash.Hex(line));
    }
}
