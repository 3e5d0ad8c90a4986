using ContextForge.SessionLogging.Records;

namespace ContextForge.SessionLogging.Tests.Records;

/// <summary>Every value a caller hands the library is recorded faithfully, as the same JSON everywhere (journal, provider, trace).</summary>
public sealed class FieldValuesTests
{
    private sealed record Build(string Target, int Warnings);

    private static string Json(object? value) => FieldValues.From("v", value).Json;

    /// <summary>A recorded string value (its JSON text escapes characters such as '+', as every journal line does).</summary>
    private static string Text(object? value) => FieldValues.From("v", value).ToJsonNode()!.GetValue<string>();

    [Fact]
    public void A_DateTimeOffset_keeps_its_offset_and_UTC_is_written_with_Z()
    {
        Assert.Equal("2026-01-02T03:04:05.1230000+02:00", Text(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 123, TimeSpan.FromHours(2))));
        Assert.Equal("2026-01-02T03:04:05.0000000Z", Text(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
    }

    [Fact]
    public void An_unspecified_DateTime_is_written_as_given_without_a_zone_and_a_UTC_one_with_Z()
    {
        Assert.Equal("\"2026-01-02T03:04:05.0000000\"", Json(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Unspecified)));
        Assert.Equal("\"2026-01-02T03:04:05.0000000Z\"", Json(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)));
    }

    [Fact]
    public void A_TimeSpan_is_an_ISO_8601_duration()
    {
        Assert.Equal("\"PT1.5S\"", Json(TimeSpan.FromSeconds(1.5)));
        Assert.Equal("\"P1DT2H\"", Json(TimeSpan.FromHours(26)));
    }

    [Fact]
    public void A_decimal_keeps_its_digits()
    {
        Assert.Equal("1.10", Json(1.10m));
        Assert.Equal("12345678901234567890123456.78", Json(12345678901234567890123456.78m));
    }

    [Fact]
    public void Collections_become_arrays_and_dictionaries_objects()
    {
        Assert.Equal("[1,2,3]", Json(new List<int> { 1, 2, 3 }));
        Assert.Equal("{\"a\":1,\"b\":[\"x\"]}", Json(new Dictionary<string, object?> { ["a"] = 1, ["b"] = new[] { "x" } }));
        Assert.Equal(ContextForge.SessionLogging.Telemetry.UnifiedFieldEncoder.Json, FieldValues.From("v", new[] { 1 }).ProviderType);
    }

    [Fact]
    public void Records_and_anonymous_objects_become_objects_of_their_properties()
    {
        Assert.Equal("{\"Target\":\"api\",\"Warnings\":3}", Json(new Build("api", 3)));
        Assert.Equal("{\"Pages\":12,\"Ok\":true}", Json(new { Pages = 12, Ok = true }));
    }

    [Fact]
    public void An_unsupported_value_is_refused_naming_its_type_never_recorded_as_a_type_name()
    {
        var ex = Assert.Throws<NotSupportedException>(() => Json(new Action(() => { })));
        Assert.Contains("System.Action", ex.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => Json(new object()));
    }
}
