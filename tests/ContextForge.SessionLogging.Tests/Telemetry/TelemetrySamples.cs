namespace ContextForge.SessionLogging.Tests.Telemetry;

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

    public static readonly string[] SessionStartFields = ["SessionId", "SessionType", "StartTime", "ActivityId", "Methodology", "SessionName"];
    public static readonly string[] SessionEndFields = ["SessionId", "DurationMs", "OperationCount", "AchievementCount", "FailedOperationCount", "Status"];
    public static readonly string[] TerminalCaptureFields = ["OperationName", "OperationId", "DurationMs", "OutputLength", "OutputSample", "CorrelationId", "ExitCode", "IntegrityHash"];
    public static readonly string[] TerminalCaptureFailedFields = ["OperationName", "OperationId", "Error", "CorrelationId"];
    public static readonly string[] AchievementLoggedFields = ["AchievementId", "AchievementType", "Description", "CorrelationId", "EvidenceKeys"];

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
