using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ContextForge.SessionLogging.Query;

/// <summary>Full-text search over captured output. JSON: <c>{schema_version, query, count, results}</c>.</summary>
public sealed class SearchDocument
{
    internal SearchDocument(string query, IReadOnlyList<string> terms, IReadOnlyList<SearchResult> results)
    {
        Query = query;
        Terms = terms;
        Results = results;
    }

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>The text searched for.</summary>
    public string Query { get; }

    /// <summary>The words of <see cref="Query"/>, each matched as a literal term (not part of the JSON form).</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Terms { get; }

    /// <summary>How many operations matched.</summary>
    public int Count => Results.Count;

    /// <summary>The matching operations, newest first.</summary>
    public IReadOnlyList<SearchResult> Results { get; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}

/// <summary>One operation whose output holds every word: the event as history gives it, plus <c>matches</c>.</summary>
[JsonConverter(typeof(JsonObjectDocumentConverter<SearchResult>))]
public sealed class SearchResult : IJsonObjectDocument
{
    private readonly Lazy<IReadOnlyList<LineMatch>> _matches;

    internal SearchResult(EventDocument operation, Func<IReadOnlyList<LineMatch>> matches)
    {
        Operation = operation;
        _matches = new Lazy<IReadOnlyList<LineMatch>>(matches);
    }

    /// <summary>The operation's capture event.</summary>
    public EventDocument Operation { get; }

    /// <summary>Its matching lines, with context (its output is read the first time they are asked for, not before).</summary>
    public IReadOnlyList<LineMatch> Matches => _matches.Value;

    JsonObject IJsonObjectDocument.ToJsonObject()
    {
        var o = Operation.ToJsonObject();
        o["matches"] = QueryJson.ToNode(Matches);
        return o;
    }
}

/// <summary>A matching line of one output stream, with the lines around it: <c>{stream, line_number, text, before, after}</c>.</summary>
public sealed class LineMatch
{
    internal LineMatch(string streamName, long lineNumber, string text, IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        StreamName = streamName;
        LineNumber = lineNumber;
        Text = text;
        Before = before;
        After = after;
    }

    /// <summary><c>output</c> or <c>stderr</c>.</summary>
    [JsonPropertyName("stream")]
    public string StreamName { get; }

    /// <summary>The 1-based line number in that output (ANSI stripped, CRLF normalised).</summary>
    public long LineNumber { get; }

    /// <summary>The line.</summary>
    public string Text { get; }

    /// <summary>The lines before it (context).</summary>
    public IReadOnlyList<string> Before { get; }

    /// <summary>The lines after it (context).</summary>
    public IReadOnlyList<string> After { get; }
}
