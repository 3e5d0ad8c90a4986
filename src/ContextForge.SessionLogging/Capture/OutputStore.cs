using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// Puts a finished <see cref="CapturedOutput"/> where it belongs: inline in the journal line when it is small and
/// valid UTF-8, else in the session's <see cref="BlobStore"/> as <c>blobs/&lt;sha256&gt;.zst</c> (zstd; the hash is
/// over the exact bytes as captured).
/// </summary>
internal static class OutputStore
{
    public const string HashPrefix = "sha256:";

    /// <summary>Adds the stream's length, hash and content (inline or blob reference) to <paramref name="fields"/>.</summary>
    public static void Store(CapturedOutput output, string blobDirectory, JsonObject fields, string lengthField, string hashField, string inlineField, string blobField)
    {
        string hex = output.Complete();
        fields[lengthField] = output.Length;
        fields[hashField] = HashPrefix + hex;
        string? inline = output.TryGetInlineText();
        if (inline is not null)
        {
            fields[inlineField] = inline;
            return;
        }
        try
        {
            fields[blobField] = BlobStore.Store(output, blobDirectory, hex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            fields[blobField + "_error"] = $"output could not be stored: {ex.Message}";
        }
    }

    /// <summary>The event sample: the first 500 characters, ANSI stripped and line endings normalised.</summary>
    public static string Sample(CapturedOutput output)
    {
        string plain = AnsiText.ToPlain(output.Sample(4096));
        return plain.Length > SampleLength ? plain[..SampleLength] : plain;
    }

    /// <summary>The seed's sample size: the first 500 characters.</summary>
    public const int SampleLength = 500;
}
