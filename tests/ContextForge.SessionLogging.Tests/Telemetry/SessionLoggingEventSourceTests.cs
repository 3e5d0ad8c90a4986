using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using static ContextForge.SessionLogging.Tests.Telemetry.TelemetrySamples;

namespace ContextForge.SessionLogging.Tests.Telemetry;

[Collection(SessionLoggingEventSourceCollection.Name)]
public sealed class SessionLoggingEventSourceTests
{
    private const long TerminalKeyword = 0x4;

    // EventSource derives the GUID from the upper-cased name (SHA-1 over EventSource's namespace, version 5 bits),
    // the same hash PerfView applies to "*ContextForge.SessionLogging"; logman and WPR name the provider by this
    // GUID, so it is part of the contract too. Value checked independently with Python's hashlib.
    private static readonly Guid ProviderGuid = new("37bf0234-8ba5-5c52-e87b-3acaea86db63");

    [Fact]
    public void Provider_is_named_ContextForge_SessionLogging_and_constructs_without_error()
    {
        Assert.Equal("ContextForge.SessionLogging", EventSource.GetName(typeof(SessionLoggingEventSource)));
        Assert.Equal("ContextForge.SessionLogging", SessionLoggingEventSource.Log.Name);
        Assert.Equal(ProviderGuid, EventSource.GetGuid(typeof(SessionLoggingEventSource)));
        Assert.Equal(ProviderGuid, SessionLoggingEventSource.Log.Guid);
        Assert.Null(SessionLoggingEventSource.Log.ConstructionException);
        Assert.Equal(EventSourceSettings.EtwSelfDescribingEventFormat, SessionLoggingEventSource.Log.Settings & EventSourceSettings.EtwSelfDescribingEventFormat);
    }

    public static TheoryData<string> EventNames() => [.. TelemetrySamples.Events.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Event_arrives_with_its_level_keyword_and_every_field_in_order(string eventName)
    {
        ExpectedEvent expected = Expected(eventName);
        EventWrittenEventArgs e = EmitOne(expected.Emit, eventName);

        Assert.Equal(expected.Level, e.Level);
        Assert.Equal(expected.Keywords, RecordingEventListener.MaskedKeywords(e));
        expected.AssertFields(e.PayloadNames!, e.Payload!);
    }

    [Fact]
    public void SessionStart_carries_the_Start_opcode()
    {
        Assert.Equal(EventOpcode.Start, EmitOne(EmitSessionStart, "SessionStart").Opcode);
    }

    [Fact]
    public void SessionStart_converts_a_local_StartTime_to_the_same_instant()
    {
        DateTime local = StartTimeUtc.ToLocalTime();
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);

        SessionLoggingEventSource.Log.SessionStart(SessionId, SessionType, local, ActivityId, Methodology, SessionName);

        EventWrittenEventArgs e = Assert.Single(listener.Named("SessionStart"));
        Assert.Equal(StartTimeUtc, ((DateTime)e.Payload![2]!).ToUniversalTime());
    }

    [Fact]
    public void SessionStart_with_a_StartTime_before_1601_does_not_throw_and_reads_as_the_FILETIME_epoch()
    {
        // DateTime.ToFileTimeUtc throws for instants before 1601; an emit must not throw only when someone listens.
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);

        SessionLoggingEventSource.Log.SessionStart(SessionId, SessionType, default, ActivityId, Methodology, SessionName);

        EventWrittenEventArgs e = Assert.Single(listener.Named("SessionStart"));
        Assert.Equal(DateTime.FromFileTimeUtc(0), ((DateTime)e.Payload![2]!).ToUniversalTime());
    }

    [Fact]
    public void Null_strings_are_written_as_empty_strings_instead_of_throwing()
    {
        // The parameters are non-nullable, but callers without nullable analysis can still pass null; that must not
        // throw only while a listener is attached.
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        SessionLoggingEventSource log = SessionLoggingEventSource.Log;

        log.SessionStart(null!, null!, StartTimeUtc, ActivityId, null!, null!);
        log.SessionEnd(null!, SessionDurationMs, OperationCount, AchievementCount, FailedOperationCount, null!);
        log.TerminalCapture(null!, null!, CaptureDurationMs, OutputLength, null!, null!, ExitCode, null!);
        log.TerminalCaptureFailed(null!, null!, null!, null!);
        log.AchievementLogged(null!, null!, null!, null!, EvidenceKeys);

        Assert.Equal(["SessionStart", "SessionEnd", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged"], listener.Events.Select(e => e.EventName));
        Assert.All(listener.Events.SelectMany(e => e.Payload!.OfType<string>()), value => Assert.Equal(string.Empty, value));
        Assert.Equal(4 + 2 + 5 + 4 + 4, listener.Events.Sum(e => e.Payload!.OfType<string>().Count()));
    }

    [Fact]
    public void Listener_gets_only_the_keywords_and_level_it_enabled()
    {
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Error, (EventKeywords)TerminalKeyword);

        EmitSessionStart();
        EmitSessionEnd();
        EmitTerminalCapture();
        EmitTerminalCaptureFailed();
        EmitAchievementLogged();

        Assert.Equal(["TerminalCaptureFailed"], listener.Events.Select(e => e.EventName));
    }

    [Fact]
    public async Task Disabled_provider_allocates_nothing_per_emit()
    {
        // Listener and EventPipe tests share this collection and dispose their sessions; give a stopping
        // EventPipe session a moment to disable the provider before requiring it off.
        await EventPipeRecorder.WaitUntilAsync(() => !SessionLoggingEventSource.Log.IsEnabled(), TimeSpan.FromSeconds(5), "no session has the provider enabled");
        Assert.False(SessionLoggingEventSource.Log.IsEnabled());

        Action[] emits = [EmitSessionStart, EmitSessionEnd, EmitTerminalCapture, EmitTerminalCaptureFailed, EmitAchievementLogged];
        foreach (Action emit in emits)
        {
            emit(); // warm-up: JIT and statics
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                emit();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{emit.Method.Name}: 10,000 disabled emits allocated {allocated} bytes");
        }
    }

    [Fact]
    public void Manifest_names_the_five_events_and_four_keywords()
    {
        string? manifest = EventSource.GenerateManifest(typeof(SessionLoggingEventSource), "x");

        Assert.NotNull(manifest);
        Assert.Contains("name=\"ContextForge.SessionLogging\"", manifest, StringComparison.Ordinal);
        foreach (string eventName in new[] { "SessionStart", "SessionEnd", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged" })
        {
            Assert.Contains($"symbol=\"{eventName}\"", manifest, StringComparison.Ordinal);
        }

        Assert.Contains("<keyword name=\"Session\" message=\"$(string.keyword_Session)\" mask=\"0x1\"/>", manifest, StringComparison.Ordinal);
        Assert.Contains("<keyword name=\"Achievement\" message=\"$(string.keyword_Achievement)\" mask=\"0x2\"/>", manifest, StringComparison.Ordinal);
        Assert.Contains("<keyword name=\"Terminal\" message=\"$(string.keyword_Terminal)\" mask=\"0x4\"/>", manifest, StringComparison.Ordinal);
        Assert.Contains("<keyword name=\"Milestone\" message=\"$(string.keyword_Milestone)\" mask=\"0x8\"/>", manifest, StringComparison.Ordinal);
    }

    private static EventWrittenEventArgs EmitOne(Action emit, string eventName)
    {
        using var listener = new RecordingEventListener(SessionLoggingEventSource.ProviderName, EventLevel.Verbose, (EventKeywords)0xF);
        emit();
        // EventSource reports its own write failures as EventSourceMessage to the listener; there must be none.
        EventWrittenEventArgs e = Assert.Single(listener.Events);
        Assert.Equal(eventName, e.EventName);
        Assert.Equal(SessionLoggingEventSource.ProviderName, e.EventSource.Name);
        return e;
    }
}
