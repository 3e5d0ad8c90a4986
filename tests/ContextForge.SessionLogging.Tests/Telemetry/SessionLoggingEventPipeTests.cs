using System.Diagnostics;
using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Xunit.Abstractions;
using static ContextForge.SessionLogging.Tests.Telemetry.TelemetrySamples;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>
/// Records this test process over a real EventPipe session (the same IPC path dotnet-trace uses) and decodes the
/// stream with TraceEvent, as external tools will.
/// </summary>
[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class SessionLoggingEventPipeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task All_five_events_decode_over_EventPipe_with_names_levels_keywords_and_every_field()
    {
        var clock = Stopwatch.StartNew();
        IReadOnlyList<RecordedEvent> events = await RecordAsync(keywords: 0xF, () =>
        {
            EmitSessionStart();
            EmitSessionEnd();
            EmitTerminalCapture();
            EmitTerminalCaptureFailed();
            EmitAchievementLogged();
        });
        output.WriteLine($"record + decode: {clock.ElapsedMilliseconds} ms, {events.Count} events");

        List<RecordedEvent> ours = [.. events.Where(e => e.ProviderName == SessionLoggingEventSource.ProviderName)];
        // SessionStart ends in "Start", so it carries the Start opcode and TraceEvent spells it Task/Opcode.
        Assert.Equal(["Session/Start", "SessionEnd", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged"], ours.Select(e => e.EventName));

        DateTime now = DateTime.UtcNow;
        foreach (RecordedEvent e in ours)
        {
            Assert.Equal(DateTimeKind.Utc, e.TimeStampUtc.Kind);
            Assert.InRange(e.TimeStampUtc, now.AddMinutes(-1), now.AddSeconds(1));
        }

        Assert.True(ours.Zip(ours.Skip(1)).All(p => p.First.TimeStampUtc <= p.Second.TimeStampUtc), "timestamps follow emit order");

        foreach (ExpectedEvent expected in TelemetrySamples.Events)
        {
            AssertDecoded(expected, Single(ours, expected.Name));
        }
    }

    [Fact]
    public async Task Session_records_only_the_keywords_it_asked_for()
    {
        IReadOnlyList<RecordedEvent> events = await RecordAsync(keywords: 0x2, () =>
        {
            EmitSessionStart();
            EmitTerminalCapture();
            EmitAchievementLogged();
        });

        RecordedEvent e = Assert.Single(events, e => e.ProviderName == SessionLoggingEventSource.ProviderName);
        AssertDecoded(Expected("AchievementLogged"), e);
    }

    [Fact]
    public async Task Null_string_fields_decode_as_empty_and_the_fields_after_them_stay_aligned()
    {
        IReadOnlyList<RecordedEvent> events = await RecordAsync(keywords: 0x4, () =>
            SessionLoggingEventSource.Log.TerminalCapture(OperationName, null!, CaptureDurationMs, OutputLength, null!, CorrelationId, ExitCode, IntegrityHash));

        RecordedEvent e = Single(events, "TerminalCapture");
        Assert.Equal(string.Empty, e.Payload["OperationId"]);
        Assert.Equal(string.Empty, e.Payload["OutputSample"]);
        Assert.Equal(CaptureDurationMs, e.Payload["DurationMs"]);
        Assert.Equal(CorrelationId, e.Payload["CorrelationId"]);
        Assert.Equal(ExitCode, e.Payload["ExitCode"]);
        Assert.Equal(IntegrityHash, e.Payload["IntegrityHash"]);
    }

    private static async Task<IReadOnlyList<RecordedEvent>> RecordAsync(long keywords, Action emit)
    {
        await using EventPipeRecorder recorder = await EventPipeRecorder.StartAsync(
            Environment.ProcessId, SessionLoggingEventSource.ProviderName, EventLevel.Verbose, keywords);
        // Events written before the runtime has run the provider's enable callback are not recorded.
        await EventPipeRecorder.WaitUntilAsync(() => SessionLoggingEventSource.Log.IsEnabled(), Timeout, "the EventPipe session enables the provider");
        emit();
        return await recorder.StopAsync(Timeout);
    }

    private static RecordedEvent Single(IEnumerable<RecordedEvent> events, string eventName)
    {
        string startStopSpelling = eventName.EndsWith("Start", StringComparison.Ordinal)
            ? eventName[..^"Start".Length] + "/Start"
            : eventName;
        return Assert.Single(events, e => e.EventName == eventName || e.EventName == startStopSpelling);
    }

    private static void AssertDecoded(ExpectedEvent expected, RecordedEvent e)
    {
        Assert.Equal(expected.Level, e.Level);
        Assert.Equal(expected.Keywords, e.Keywords);
        expected.AssertFields(e.PayloadNames, e.PayloadNames.Select(name => e.Payload[name]));
    }
}
