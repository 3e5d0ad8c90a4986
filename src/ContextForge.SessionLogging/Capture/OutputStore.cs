using ContextForge.SessionLogging.Records;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Puts a finished <see cref="CapturedOutput"/> where it belongs: inline in the journal line when it is small and
/// valid UTF-8, else in the session's <see cref="BlobStore"/> as <c>blobs/&lt;sha256&gt;.zst</c> (zstd; the hash is
/// over the exact bytes as captured).
/// </summary>
internal static class OutputStore
{
    public const string HashPrefix = "sha256:";

    /// <summary>Finishes the stream and stores it: its length, hash and content (inline, or a blob reference, or why the blob failed).</summary>
    public static OutputStorage Store(CapturedOutput output, string blobDirectory)
    {
        string hex = output.Complete();
        long? received = output.Truncated ? output.ReceivedLength : null;
        if (output.StreamFilePath is { } streamFile)
        {
            // A shell's whole stream: it stays in its raw stream file, which its commands' ranges point into.
            return new OutputStorage(output.Length, HashPrefix + hex, null, null,
                output.SpillError is { } streamError ? $"output could not be stored: {streamError}" : null, output.Truncated, received)
            {
                StreamReference = output.SpillError is null ? BlobStore.StreamReference(Path.GetFileName(streamFile)) : null,
                StreamOffset = output.SpillError is null ? 0 : null,
            };
        }
        string? inline = output.TryGetInlineText();
        if (inline is not null) return new OutputStorage(output.Length, HashPrefix + hex, inline, null, null, output.Truncated, received);
        try
        {
            return new OutputStorage(output.Length, HashPrefix + hex, null, BlobStore.Store(output, blobDirectory, hex), null, output.Truncated, received);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Free the disk the partial blob holds before the capture record is journaled, so the record fits.
            output.DiscardSpill();
            return new OutputStorage(output.Length, HashPrefix + hex, null, null, $"output could not be stored: {ex.Message}", output.Truncated, received);
        }
    }

    /// <summary>
    /// A command's output as a range of its shell's stream file (<paramref name="streamReference"/>): its length and
    /// hash are those of the range's stored bytes.
    /// </summary>
    public static OutputStorage Range(CapturedRange range, string streamReference) =>
        new(range.Length, HashPrefix + range.HashHex, null, null, range.StoreError is { } error ? $"output could not be stored: {error}" : null, range.Truncated && range.Length == 0, null)
        {
            StreamReference = range.StoreError is null ? streamReference : null,
            StreamOffset = range.StoreError is null ? range.Offset : null,
        };

    /// <summary>The event sample of a range: its first 500 characters, ANSI stripped and line endings normalised.</summary>
    public static string Sample(CapturedRange range)
    {
        string text = System.Text.Encoding.UTF8.GetString(range.Head);
        string plain = AnsiText.ToPlain(text.Length > 4096 ? text[..4096] : text);
        return plain.Length > SampleLength ? plain[..SampleLength] : plain;
    }

    /// <summary>The event sample: the first 500 characters, ANSI stripped and line endings normalised.</summary>
    public static string Sample(CapturedOutput output)
    {
        string plain = AnsiText.ToPlain(output.Sample(4096));
        return plain.Length > SampleLength ? plain[..SampleLength] : plain;
    }

    /// <summary>The event sample of an operation whose streams were kept apart: stdout's sample, then stderr's, 500 characters in all.</summary>
    public static string Sample(CapturedOutput primary, CapturedOutput? stderr)
    {
        string sample = Sample(primary);
        if (stderr is null || sample.Length >= SampleLength) return sample;
        string both = sample + Sample(stderr);
        return both.Length > SampleLength ? both[..SampleLength] : both;
    }

    /// <summary>The provider contract's sample size: the first 500 characters.</summary>
    public const int SampleLength = 500;
}
