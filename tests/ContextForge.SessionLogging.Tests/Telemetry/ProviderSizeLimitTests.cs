using ContextForge.SessionLogging.Records;
using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Xunit.Abstractions;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>
/// Resource limits on provider events (docs/reliability.md, "Resource limits"): ETW and EventPipe drop an event
/// over 64 KB whole and EventSource says nothing (measured here: a 65,452-byte payload arrives over EventPipe, a
/// 65,588-byte one does not), so a long string field is cut to <see cref="InputLimits.MaxProviderStringChars"/>
/// characters ending in the truncation marker, the provider sink counts the event in Truncated, and the journal keeps
/// the whole value.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class ProviderSizeLimitTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Long(int length) => string.Create(length, 0, static (span, _) =>
    {
        for (int i = 0; i < span.Length; i++) span[i] = (char)('a' + i % 26);
    });

    [Fact]
    public void A_description_over_the_limit_reaches_an_EventListener_cut_with_the_marker_is_counted_as_truncated_and_verifies_as_a_match()
    {
        string description = Long(100_000);
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests" });
        string id;
        SinkStatistics provider;
        using (var session = manager.Start("limits"))
        {
            id = session.Id;
            session.LogAchievement("tests_passed", description);
            session.LogAchievement("tests_passed", "short");
            provider = session.SinkStatistics.Single(s => s.Name == "provider");
        }

        var mine = listener.Named("AchievementLogged").Where(e => (string?)e.Payload![3] == id).ToList();
        Assert.Equal(2, mine.Count);
        string sent = (string)mine[0].Payload![2]!;
        Assert.Equal(InputLimits.MaxProviderStringChars, sent.Length);
        Assert.EndsWith(InputLimits.TruncationMarker, sent, StringComparison.Ordinal);
        Assert.Equal(description[..(InputLimits.MaxProviderStringChars - InputLimits.TruncationMarker.Length)], sent[..^InputLimits.TruncationMarker.Length]);
        Assert.Equal("short", (string)mine[1].Payload![2]!);
        Assert.Equal(1, provider.Truncated);
        Assert.Equal(0, provider.Dropped);
        Assert.Equal(provider.Received, provider.Stored);

        // The journal keeps the whole description.
        var journaled = JournalFiles.ReadSession(_dir.Path, id).Events.First(e => e.Name == SessionEventNames.AchievementLogged);
        Assert.Equal(description, journaled.GetString(JournalFields.Description));
        // verify expects the same cut value in a trace, so a cut string is a match, not a field mismatch.
        Assert.Equal(sent, SessionLogging.Tracing.ProviderProjection.ExpectedFields(journaled)![JournalFields.Description]!.GetValue<string>());
    }

    [Fact]
    public async Task A_description_over_the_limit_arrives_over_EventPipe_cut_with_the_marker()
    {
        string description = Long(100_000);
        await using EventPipeRecorder recorder = await EventPipeRecorder.StartAsync(
            Environment.ProcessId, SessionLoggingEventSource.ProviderName, EventLevel.Verbose, 0xF);
        await EventPipeRecorder.WaitUntilAsync(() => SessionLoggingEventSource.Log.IsEnabled(), Timeout, "the EventPipe session enables the provider");
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, ToolName = "tests" });
        string id;
        using (var session = manager.Start("limits"))
        {
            id = session.Id;
            session.LogAchievement("tests_passed", description);
            // The same size written straight to the provider, without the sink's cut: what a 200 KB event does.
            SessionLoggingEventSource.Log.AchievementLogged("ACH-raw", "raw", description, id, 0);
        }
        var events = await recorder.StopAsync(Timeout);
        var ours = events.Where(e => e.EventName == "AchievementLogged" && (string?)e.Payload["CorrelationId"] == id).ToList();
        output.WriteLine($"AchievementLogged received over EventPipe: {ours.Count}; ids {string.Join(", ", ours.Select(e => e.Payload["AchievementId"]))}");
        // Why the cut exists: EventPipe drops the uncut 200 KB event without a word (as ETW does past 64 KB).
        Assert.DoesNotContain(ours, e => (string?)e.Payload["AchievementId"] == "ACH-raw");
        var cut = Assert.Single(ours, e => (string?)e.Payload["AchievementType"] == "tests_passed");
        string sent = (string)cut.Payload["Description"]!;
        Assert.Equal(InputLimits.MaxProviderStringChars, sent.Length);
        Assert.EndsWith(InputLimits.TruncationMarker, sent, StringComparison.Ordinal);
    }

    [Fact]
    public void Unified_fields_over_the_limit_are_cut_then_replaced_and_always_decode()
    {
        var small = UnifiedFieldEncoder.Encode([FieldValues.From("a", "b"), FieldValues.From("n", 3L)]);
        Assert.Equal("{\"a\":\"b\",\"n\":3}", small.Json);

        // One long string: cut to the per-string limit, flagged with fields_truncated.
        var (count, json, types, truncated) = UnifiedFieldEncoder.Encode([FieldValues.From("log", Long(50_000)), FieldValues.From("n", 3L)]);
        Assert.True(truncated);
        Assert.True(json.Length <= InputLimits.MaxProviderFieldsChars);
        var decoded = TracePayload.DecodeFields(json, types).ToList();
        Assert.Equal(3, count);
        Assert.Equal(["log", "n", UnifiedFieldEncoder.TruncatedField], decoded.Select(f => f.Key));
        Assert.Equal(InputLimits.MaxProviderStringChars, ((string)decoded[0].Value!).Length);
        Assert.EndsWith(InputLimits.TruncationMarker, (string)decoded[0].Value!, StringComparison.Ordinal);
        Assert.Equal(3L, decoded[1].Value);
        Assert.Equal(true, decoded[2].Value);

        // Too many long strings even when cut: replaced by the flag and the original field count.
        var many = Enumerable.Range(0, 10).Select(i => FieldValues.From("f" + i, Long(10_000))).ToList();
        var replaced = UnifiedFieldEncoder.Encode(many);
        Assert.Equal("{\"fields_truncated\":true,\"field_count\":10}", replaced.Json);
        Assert.Equal("bool,int64", replaced.Types);
        Assert.Equal(2, replaced.Count);
    }
}
