using System.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>One provider event as a reader must decode it.</summary>
internal sealed record ExpectedEvent(string Name, EventLevel Level, long Keywords, Action Emit, (string Name, object Value)[] Fields)
{
    /// <summary>
    /// Asserts field names in order, and each value with its exact type (an int where a uint was written fails).
    /// DateTime values are compared as UTC instants: EventListener gives Kind Utc, TraceEvent gives Kind Local.
    /// </summary>
    public void AssertFields(IEnumerable<string> names, IEnumerable<object?> values)
    {
        Assert.Equal(Fields.Select(f => f.Name), names);
        foreach (((string name, object expected), object? actual) in Fields.Zip(values))
        {
            Assert.NotNull(actual);
            Assert.True(expected.GetType() == actual.GetType(), $"{Name}.{name}: expected {expected.GetType()}, decoded {actual.GetType()}");
            Assert.Equal(expected, actual is DateTime time ? time.ToUniversalTime() : actual);
        }
    }
}

/// <summary>Distinctive argument values for the provider's five events, shared by the EventListener and EventPipe tests.</summary>
internal static class TelemetrySamples
{
    public const string SessionId = "3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
    public const string SessionType = "agent-terminal";
    public const string Methodology = "tdd/\u00e9tape-\u03b1";
    public const string SessionName = "telemetry round trip \U0001F680";
    public static readonly Guid ActivityId = new("0b8f6c2d-1e3a-4f5b-8c7d-9e0f1a2b3c4d");

    // Whole ticks: FILETIME has 100 ns resolution, the same as DateTime.Ticks, so this must round-trip exactly.
    public static readonly DateTime StartTimeUtc = new DateTime(2025, 11, 25, 17, 20, 30, 123, DateTimeKind.Utc).AddTicks(4567);

    public const double SessionDurationMs = 12345.678;
    public const int OperationCount = 42;
    public const int AchievementCount = 7;
    public const int FailedOperationCount = 3;
    public const string Status = "Completed";

    public const string OperationName = "dotnet build";
    public const string OperationId = "op-0001-\u00fc";
    public const uint CaptureDurationMs = 4_000_000_001; // above int.MaxValue: proves the field is unsigned
    public const uint OutputLength = 3_000_000_000;
    public const string OutputSample = "Build succeeded.\n    0 Warning(s)\n\u001b[32mok\u001b[0m \"quoted\" \t tab";
    public const string CorrelationId = "9d8c7b6a-5f4e-4d3c-8b2a-190817263544";
    public const int ExitCode = -2;
    public const string IntegrityHash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    public const string Error = "System.InvalidOperationException: boom\n   at Capture()";

    public const string AchievementId = "ACH-9d8c7b6a-001";
    public const string AchievementType = "TestsPassing";
    public const string Description = "All 42 tests pass \u2713";
    public const uint EvidenceKeys = 4;

    /// <summary>The five events as a reader must see them: name, level, keyword, and every field in order with its value.</summary>
    public static readonly IReadOnlyList<ExpectedEvent> Events =
    [
        new("SessionStart", EventLevel.Informational, 0x1, EmitSessionStart,
            [("SessionId", SessionId), ("SessionType", SessionType), ("StartTime", StartTimeUtc), ("ActivityId", ActivityId),
             ("Methodology", Methodology), ("SessionName", SessionName)]),
        new("SessionEnd", EventLevel.Informational, 0x1, EmitSessionEnd,
            [("SessionId", SessionId), ("DurationMs", SessionDurationMs), ("OperationCount", OperationCount),
             ("AchievementCount", AchievementCount), ("FailedOperationCount", FailedOperationCount), ("Status", Status)]),
        new("TerminalCapture", EventLevel.Informational, 0x4, EmitTerminalCapture,
            [("OperationName", OperationName), ("OperationId", OperationId), ("DurationMs", CaptureDurationMs), ("OutputLength", OutputLength),
             ("OutputSample", OutputSample), ("CorrelationId", CorrelationId), ("ExitCode", ExitCode), ("IntegrityHash", IntegrityHash)]),
        new("TerminalCaptureFailed", EventLevel.Error, 0x4, EmitTerminalCaptureFailed,
            [("OperationName", OperationName), ("OperationId", OperationId), ("Error", Error), ("CorrelationId", CorrelationId)]),
        new("AchievementLogged", EventLevel.Informational, 0x2, EmitAchievementLogged,
            [("AchievementId", AchievementId), ("AchievementType", AchievementType), ("Description", Description),
             ("CorrelationId", CorrelationId), ("EvidenceKeys", EvidenceKeys)]),
    ];

    public static ExpectedEvent Expected(string eventName) => Events.Single(e => e.Name == eventName);

    public static void EmitSessionStart() =>
        Log.SessionStart(SessionId, SessionType, StartTimeUtc, ActivityId, Methodology, SessionName);

    public static void EmitSessionEnd() =>
        Log.SessionEnd(SessionId, SessionDurationMs, OperationCount, AchievementCount, FailedOperationCount, Status);

    public static void EmitTerminalCapture() =>
        Log.TerminalCapture(OperationName, OperationId, CaptureDurationMs, OutputLength, OutputSample, CorrelationId, ExitCode, IntegrityHash);

    public static void EmitTerminalCaptureFailed() =>
        Log.TerminalCaptureFailed(OperationName, OperationId, Error, CorrelationId);

    public static void EmitAchievementLogged() =>
        Log.AchievementLogged(AchievementId, AchievementType, Description, CorrelationId, EvidenceKeys);

    private static SessionLogging.Telemetry.SessionLoggingEventSource Log => SessionLogging.Telemetry.SessionLoggingEventSource.Log;
}
