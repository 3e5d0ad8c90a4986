using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ContextForge.SessionLogging.Tests.Report;

/// <summary>The data blocks of a written report, read back: rows by operation id and each operation's body.</summary>
internal sealed partial class ReportPageData
{
    private readonly Dictionary<string, (JsonElement Row, JsonElement Body)> _operations = new(StringComparer.Ordinal);

    public IReadOnlyList<string> OperationIds { get; }

    private ReportPageData(List<string> ids) => OperationIds = ids;

    public static ReportPageData Parse(string html)
    {
        var rows = JsonDocument.Parse(RowsBlock().Match(html).Groups[1].Value).RootElement;
        var chunks = OutputBlocks().Matches(html).ToDictionary(m => m.Groups[1].Value, m => JsonDocument.Parse(m.Groups[2].Value).RootElement);
        var ids = new List<string>();
        var data = new ReportPageData(ids);
        foreach (Match list in Lists().Matches(html))
        {
            int first = int.Parse(list.Groups[2].Value, CultureInfo.InvariantCulture), count = int.Parse(list.Groups[3].Value, CultureInfo.InvariantCulture);
            var chunk = chunks[list.Groups[1].Value];
            Assert.Equal(count, chunk.GetArrayLength());
            for (int i = 0; i < count; i++)
            {
                var row = rows[first + i];
                string id = row[0].GetString()!;
                ids.Add(id);
                data._operations[id] = (row, chunk[i]);
            }
        }
        Assert.Equal(rows.GetArrayLength(), ids.Count);
        return data;
    }

    /// <summary>The row: <c>[id, command, class, exit, duration, bar width, details]</c>.</summary>
    public JsonElement Row(string id) => _operations[id].Row;

    public JsonElement Body(string id) => _operations[id].Body;

    /// <summary>The text of an operation's shown outputs, runs joined.</summary>
    public string Text(string id) => string.Concat(Runs(id).Select(r => r.Text));

    /// <summary>Every run of an operation's outputs: text, classes ("" when plain), link.</summary>
    public IEnumerable<(string Text, string Classes, string? Link)> Runs(string id)
    {
        var body = Body(id);
        if (!body.TryGetProperty("s", out var streams)) yield break;
        foreach (var stream in streams.EnumerateArray())
        {
            if (!stream.TryGetProperty("r", out var runs)) continue;
            foreach (var run in runs.EnumerateArray())
            {
                if (run.ValueKind == JsonValueKind.String) yield return (run.GetString()!, "", null);
                else yield return (run[0].GetString()!, run[1].GetString()!, run.GetArrayLength() > 2 ? run[2].GetString() : null);
            }
        }
    }

    /// <summary>The notes under an operation's outputs (cuts, outputs left out).</summary>
    public IEnumerable<string> Notes(string id)
    {
        var body = Body(id);
        if (!body.TryGetProperty("s", out var streams)) return [];
        return streams.EnumerateArray().Where(s => s.TryGetProperty("n", out _)).SelectMany(s => s.GetProperty("n").EnumerateArray().Select(n => n.GetString()!)).ToList();
    }

    [GeneratedRegex("<script type=\"application/json\" id=\"rows\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex RowsBlock();

    [GeneratedRegex("<script type=\"application/json\" id=\"out-(\\d+)\">(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex OutputBlocks();

    [GeneratedRegex("<ol class=\"ops pending\" data-chunk=\"(\\d+)\" data-first=\"(\\d+)\" data-count=\"(\\d+)\"></ol>")]
    private static partial Regex Lists();
}
