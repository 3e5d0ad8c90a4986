using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Journal;

/// <summary>
/// The end of a segment as a writer that continues it needs it: where its complete lines end (a torn tail after that
/// is an interrupted write), and the SHA-256 and sequence number of its last complete line. Reads backwards from the
/// end in chunks, and the last line forwards once (hashed as it streams), so memory does not grow with the line.
/// </summary>
internal readonly record struct JournalTail(long CompleteLength, string Hash, long Sequence)
{
    private const int Chunk = 64 * 1024;

    public static JournalTail Read(SafeFileHandle handle, long length)
    {
        if (length == 0) return new(0, JournalLine.GenesisHash, 0);
        byte[] buffer = new byte[Chunk];
        // The end of the complete lines: just after the last newline.
        long completeLength = LastNewlineBefore(handle, length, buffer) + 1;
        if (completeLength == 0) return new(0, JournalLine.GenesisHash, 0);
        long lineStart = completeLength - 1 == 0 ? 0 : LastNewlineBefore(handle, completeLength - 1, buffer) + 1;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long sequence = 0;
        bool first = true;
        for (long at = lineStart; at < completeLength - 1;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(Chunk, completeLength - 1 - at)), at);
            if (read <= 0) break;
            if (first) sequence = SequenceOf(buffer.AsSpan(0, read));
            first = false;
            hash.AppendData(buffer, 0, read);
            at += read;
        }
        return new(completeLength, Convert.ToHexStringLower(hash.GetHashAndReset()), sequence);
    }

    /// <summary>The position of the last <c>\n</c> before <paramref name="end"/>, or -1.</summary>
    private static long LastNewlineBefore(SafeFileHandle handle, long end, byte[] buffer)
    {
        while (end > 0)
        {
            long from = Math.Max(0, end - buffer.Length);
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)(end - from)), from);
            if (read <= 0) return -1;
            int newline = buffer.AsSpan(0, read).LastIndexOf((byte)'\n');
            if (newline >= 0) return from + newline;
            end = from;
        }
        return -1;
    }

    /// <summary>The top-level <c>seq</c> of a line from its first bytes (the header comes first); 0 when it cannot be read.</summary>
    private static long SequenceOf(ReadOnlySpan<byte> head)
    {
        var reader = new Utf8JsonReader(head, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return 0;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject) return 0;
                if (reader.TokenType != JsonTokenType.PropertyName) return 0;
                bool isSeq = reader.ValueTextEquals(JournalLine.Sequence);
                if (!reader.Read()) return 0;
                if (isSeq) return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long seq) ? seq : 0;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip()) return 0;
            }
        }
        catch (JsonException)
        {
        }
        return 0;
    }
}
