using System.Globalization;
using System.Text.Json;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// The columns the team store keeps beside a journal line's exact bytes, read from its top-level keys with one
/// forward pass (nested objects are skipped, except <c>provenance</c>'s <c>host</c> and <c>user</c>).
/// </summary>
internal sealed record PushedLine(long Seq, DateTime Timestamp, string Event, string? OperationName, string? SearchText,
    string? Host, string? User, IReadOnlyList<string> Blobs, PushedStreamRange? Range = null)
{
    /// <summary>Reads the columns of one journal line; null when the line has no readable <c>seq</c>, <c>ts</c> and <c>event</c> (not pushed, counted).</summary>
    public static PushedLine? Read(ReadOnlySpan<byte> line)
    {
        long? seq = null;
        DateTime? ts = null;
        string? name = null, operation = null, output = null, stderr = null, sample = null, host = null, user = null;
        List<string>? blobs = null;
        string? stream = null;
        long? streamOffset = null, streamLength = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string key = reader.GetString()!;
                reader.Read();
                switch (key)
                {
                    case "seq" when reader.TokenType == JsonTokenType.Number:
                        seq = reader.GetInt64();
                        break;
                    case "ts" when reader.TokenType == JsonTokenType.String:
                        if (DateTime.TryParseExact(reader.GetString(), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture,
                                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
                            ts = DateTime.SpecifyKind(t, DateTimeKind.Utc);
                        break;
                    case "event" when reader.TokenType == JsonTokenType.String:
                        name = reader.GetString();
                        break;
                    case "operation_name" when reader.TokenType == JsonTokenType.String:
                        operation = reader.GetString();
                        break;
                    case "output" when reader.TokenType == JsonTokenType.String:
                        output = reader.GetString();
                        break;
                    case "stderr" when reader.TokenType == JsonTokenType.String:
                        stderr = reader.GetString();
                        break;
                    case "output_sample" when reader.TokenType == JsonTokenType.String:
                        sample = reader.GetString();
                        break;
                    case "output_blob" or "stderr_blob" when reader.TokenType == JsonTokenType.String:
                        if (BlobName(reader.GetString()) is { } blob) (blobs ??= []).Add(blob);
                        break;
                    case "output_stream" when reader.TokenType == JsonTokenType.String:
                        stream = StreamName(reader.GetString());
                        break;
                    case "output_offset" when reader.TokenType == JsonTokenType.Number:
                        streamOffset = reader.TryGetInt64(out long at) ? at : null;
                        break;
                    case "output_length" when reader.TokenType == JsonTokenType.Number:
                        streamLength = reader.TryGetInt64(out long length) ? length : null;
                        break;
                    case "provenance" when reader.TokenType == JsonTokenType.StartObject:
                        int depth = reader.CurrentDepth;
                        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
                        {
                            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1) continue;
                            string inner = reader.GetString()!;
                            reader.Read();
                            if (reader.TokenType == JsonTokenType.String && inner == "host") host = reader.GetString();
                            else if (reader.TokenType == JsonTokenType.String && inner == "user") user = reader.GetString();
                            else reader.Skip();
                        }
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        if (seq is null || ts is null || name is null) return null;
        string? search = output is not null || stderr is not null ? string.Join('\n', new[] { output, stderr }.Where(s => !string.IsNullOrEmpty(s))) : sample;
        // PostgreSQL text holds no NUL: the search columns drop them (the line itself is stored as bytes, exactly).
        return new PushedLine(seq.Value, ts.Value, name, WithoutNul(operation), WithoutNul(search), WithoutNul(host), WithoutNul(user), blobs ?? (IReadOnlyList<string>)[],
            stream is not null && streamOffset is >= 0 && streamLength is > 0 ? new PushedStreamRange(stream, streamOffset.Value, streamLength.Value) : null);
    }

    private static string? WithoutNul(string? text) => text is not null && text.Contains('\0', StringComparison.Ordinal) ? text.Replace("\0", "", StringComparison.Ordinal) : text;

    /// <summary>The file name in <c>blobs/</c> of a reference <c>blobs/&lt;64 hex&gt;[.zst]</c>; null for anything else (never a path).</summary>
    public static string? BlobName(string? reference)
    {
        if (reference is null || !reference.StartsWith("blobs/", StringComparison.Ordinal)) return null;
        string name = reference["blobs/".Length..];
        string hex = name.EndsWith(".zst", StringComparison.Ordinal) ? name[..^4] : name;
        return hex.Length == 64 && hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f') ? name : null;
    }

    /// <summary>The operation id of a stream reference <c>streams/&lt;lowercase guid&gt;</c> (a shell's raw stream); null for anything else (never a path).</summary>
    public static string? StreamName(string? reference)
    {
        if (reference is null || !reference.StartsWith(Capture.BlobStore.StreamPrefix, StringComparison.Ordinal)) return null;
        string id = reference[Capture.BlobStore.StreamPrefix.Length..];
        return Guid.TryParseExact(id, "D", out var guid) && guid.ToString("D") == id ? id : null;
    }
}

/// <summary>
/// A shell command's output: <paramref name="Length"/> bytes at <paramref name="Offset"/> of the shell's stream file
/// <c>streams/&lt;Stream&gt;</c>. Pushed to <c>journal_blobs</c> under <see cref="Name"/>: a range never changes once its
/// capture line is written, while the stream file grows for as long as the shell runs.
/// </summary>
internal sealed record PushedStreamRange(string Stream, long Offset, long Length)
{
    /// <summary>The range's name in <c>journal_blobs</c>: <c>&lt;stream operation id&gt;@&lt;offset&gt;</c>.</summary>
    public string Name => Stream + "@" + Offset.ToString(CultureInfo.InvariantCulture);

    /// <summary>The range a <see cref="Name"/> stands for; null for any other text (never a path).</summary>
    public static (string Stream, long Offset)? Parse(string name)
    {
        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || PushedLine.StreamName(Capture.BlobStore.StreamPrefix + name[..at]) is not { } stream) return null;
        return long.TryParse(name.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long offset) ? (stream, offset) : null;
    }
}
