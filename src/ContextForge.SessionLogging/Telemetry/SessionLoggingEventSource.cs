using System.Diagnostics.Tracing;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// The <c>ContextForge.SessionLogging</c> provider. Event names, field names and their order, keywords and levels
/// are a contract with ETW / EventPipe tools (PerfView, WPA, dotnet-trace, TraceEvent): never rename or reorder
/// them; add fields only after the existing ones. Self-describing (TraceLogging) format, so no manifest is needed
/// to decode. Every method checks <see cref="EventSource.IsEnabled(EventLevel, EventKeywords)"/> first: with no
/// listener attached an emit costs a branch and allocates nothing.
/// </summary>
[EventSource(Name = ProviderName)]
public sealed class SessionLoggingEventSource : EventSource
{
    /// <summary>The provider name.</summary>
    public const string ProviderName = "ContextForge.SessionLogging";

    /// <summary>The one instance of the provider in this process.</summary>
    internal static readonly SessionLoggingEventSource Log = new();

    private SessionLoggingEventSource()
        : base(ProviderName, EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    /// <summary>Keyword values, as EventSource expects them (nested class named Keywords).</summary>
    public static class Keywords
    {
        /// <summary>Session lifecycle.</summary>
        public const EventKeywords Session = (EventKeywords)0x1;
        /// <summary>Achievements.</summary>
        public const EventKeywords Achievement = (EventKeywords)0x2;
        /// <summary>Terminal captures.</summary>
        public const EventKeywords Terminal = (EventKeywords)0x4;
        /// <summary>Milestones.</summary>
        public const EventKeywords Milestone = (EventKeywords)0x8;
    }

    /// <summary>Event ids. Tools should key on names, which are stable; ids are given for manifest generation.</summary>
    internal static class EventIds
    {
        public const int SessionStart = 1;
        public const int SessionEnd = 2;
        public const int TerminalCapture = 3;
        public const int TerminalCaptureFailed = 4;
        public const int AchievementLogged = 5;
    }

    /// <summary>A session was opened. The name ends in "Start", so tools show the Start opcode and an activity.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    // ActivityOptions.Disable: the header's activity id is the session's (set by the caller), never one the runtime's
    // activity tracker would make up for a Start event when TPL activity tracking is on.
    [Event(EventIds.SessionStart, Level = EventLevel.Informational, Keywords = Keywords.Session, ActivityOptions = EventActivityOptions.Disable)]
    internal void SessionStart(string SessionId, string SessionType, DateTime StartTime, Guid ActivityId, string Methodology, string SessionName)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Session)) WriteSessionStart(SessionId, SessionType, StartTime, ActivityId, Methodology, SessionName, null);
    }

    /// <summary>
    /// <see cref="SessionStart"/> of a child session: the parent
    /// session's activity id goes in the header as the related activity id.
    /// </summary>
    [NonEvent]
    internal void SessionStartRelated(string SessionId, string SessionType, DateTime StartTime, Guid ActivityId, string Methodology, string SessionName, Guid? relatedActivityId)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Session)) WriteSessionStart(SessionId, SessionType, StartTime, ActivityId, Methodology, SessionName, relatedActivityId);
    }

    /// <summary>The write path of <see cref="SessionStart"/>, kept out of line so the disabled check stays a few instructions.</summary>
    [NonEvent]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    private unsafe void WriteSessionStart(string SessionId, string SessionType, DateTime StartTime, Guid ActivityId, string Methodology, string SessionName, Guid? relatedActivityId)
    {
        Guid related = relatedActivityId ?? Guid.Empty;
        long fileTime = ToFileTime(StartTime);
        fixed (char* pId = SessionId, pType = SessionType, pMeth = Methodology, pName = SessionName)
        {
            EventData* data = stackalloc EventData[6];
            SetString(ref data[0], pId, SessionId);
            SetString(ref data[1], pType, SessionType);
            data[2] = new EventData { DataPointer = (nint)(&fileTime), Size = sizeof(long) };
            data[3] = new EventData { DataPointer = (nint)(&ActivityId), Size = sizeof(Guid) };
            SetString(ref data[4], pMeth, Methodology);
            SetString(ref data[5], pName, SessionName);
            if (relatedActivityId is null) WriteEventCore(EventIds.SessionStart, 6, data);
            else WriteEventWithRelatedActivityIdCore(EventIds.SessionStart, &related, 6, data);
        }
    }

    /// <summary>A session was closed, with its duration and counts.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    [Event(EventIds.SessionEnd, Level = EventLevel.Informational, Keywords = Keywords.Session)]
    internal void SessionEnd(string SessionId, double DurationMs, int OperationCount, int AchievementCount, int FailedOperationCount, string Status)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Session)) WriteSessionEnd(SessionId, DurationMs, OperationCount, AchievementCount, FailedOperationCount, Status);
    }

    /// <summary>The write path of <see cref="SessionEnd"/>, kept out of line so the disabled check stays a few instructions.</summary>
    [NonEvent]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    private unsafe void WriteSessionEnd(string SessionId, double DurationMs, int OperationCount, int AchievementCount, int FailedOperationCount, string Status)
    {
        fixed (char* pId = SessionId, pStatus = Status)
        {
            EventData* data = stackalloc EventData[6];
            SetString(ref data[0], pId, SessionId);
            data[1] = new EventData { DataPointer = (nint)(&DurationMs), Size = sizeof(double) };
            data[2] = new EventData { DataPointer = (nint)(&OperationCount), Size = sizeof(int) };
            data[3] = new EventData { DataPointer = (nint)(&AchievementCount), Size = sizeof(int) };
            data[4] = new EventData { DataPointer = (nint)(&FailedOperationCount), Size = sizeof(int) };
            SetString(ref data[5], pStatus, Status);
            WriteEventCore(EventIds.SessionEnd, 6, data);
        }
    }

    /// <summary>An operation was captured. <paramref name="OutputSample"/> is the first 500 characters.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    [Event(EventIds.TerminalCapture, Level = EventLevel.Informational, Keywords = Keywords.Terminal)]
    internal void TerminalCapture(string OperationName, string OperationId, uint DurationMs, uint OutputLength, string OutputSample, string CorrelationId, int ExitCode, string IntegrityHash)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Terminal)) WriteTerminalCapture(OperationName, OperationId, DurationMs, OutputLength, OutputSample, CorrelationId, ExitCode, IntegrityHash);
    }

    /// <summary>The write path of <see cref="TerminalCapture"/>, kept out of line so the disabled check stays a few instructions.</summary>
    [NonEvent]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    private unsafe void WriteTerminalCapture(string OperationName, string OperationId, uint DurationMs, uint OutputLength, string OutputSample, string CorrelationId, int ExitCode, string IntegrityHash)
    {
        fixed (char* pName = OperationName, pOp = OperationId, pSample = OutputSample, pCorr = CorrelationId, pHash = IntegrityHash)
        {
            EventData* data = stackalloc EventData[8];
            SetString(ref data[0], pName, OperationName);
            SetString(ref data[1], pOp, OperationId);
            data[2] = new EventData { DataPointer = (nint)(&DurationMs), Size = sizeof(uint) };
            data[3] = new EventData { DataPointer = (nint)(&OutputLength), Size = sizeof(uint) };
            SetString(ref data[4], pSample, OutputSample);
            SetString(ref data[5], pCorr, CorrelationId);
            data[6] = new EventData { DataPointer = (nint)(&ExitCode), Size = sizeof(int) };
            SetString(ref data[7], pHash, IntegrityHash);
            WriteEventCore(EventIds.TerminalCapture, 8, data);
        }
    }

    /// <summary>An in-process capture ended with an exception (level Error).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    [Event(EventIds.TerminalCaptureFailed, Level = EventLevel.Error, Keywords = Keywords.Terminal)]
    internal void TerminalCaptureFailed(string OperationName, string OperationId, string Error, string CorrelationId)
    {
        if (IsEnabled(EventLevel.Error, Keywords.Terminal)) WriteTerminalCaptureFailed(OperationName, OperationId, Error, CorrelationId);
    }

    /// <summary>The write path of <see cref="TerminalCaptureFailed"/>, kept out of line so the disabled check stays a few instructions.</summary>
    [NonEvent]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    private unsafe void WriteTerminalCaptureFailed(string OperationName, string OperationId, string Error, string CorrelationId)
    {
        fixed (char* pName = OperationName, pOp = OperationId, pErr = Error, pCorr = CorrelationId)
        {
            EventData* data = stackalloc EventData[4];
            SetString(ref data[0], pName, OperationName);
            SetString(ref data[1], pOp, OperationId);
            SetString(ref data[2], pErr, Error);
            SetString(ref data[3], pCorr, CorrelationId);
            WriteEventCore(EventIds.TerminalCaptureFailed, 4, data);
        }
    }

    /// <summary>An achievement was logged. <paramref name="EvidenceKeys"/> is the number of evidence entries.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    [Event(EventIds.AchievementLogged, Level = EventLevel.Informational, Keywords = Keywords.Achievement)]
    internal void AchievementLogged(string AchievementId, string AchievementType, string Description, string CorrelationId, uint EvidenceKeys)
    {
        if (IsEnabled(EventLevel.Informational, Keywords.Achievement)) WriteAchievementLogged(AchievementId, AchievementType, Description, CorrelationId, EvidenceKeys);
    }

    /// <summary>The write path of <see cref="AchievementLogged"/>, kept out of line so the disabled check stays a few instructions.</summary>
    [NonEvent]
    [MethodImpl(MethodImplOptions.NoInlining)]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Only primitive and string payloads.")]
    private unsafe void WriteAchievementLogged(string AchievementId, string AchievementType, string Description, string CorrelationId, uint EvidenceKeys)
    {
        fixed (char* pId = AchievementId, pType = AchievementType, pDesc = Description, pCorr = CorrelationId)
        {
            EventData* data = stackalloc EventData[5];
            SetString(ref data[0], pId, AchievementId);
            SetString(ref data[1], pType, AchievementType);
            SetString(ref data[2], pDesc, Description);
            SetString(ref data[3], pCorr, CorrelationId);
            data[4] = new EventData { DataPointer = (nint)(&EvidenceKeys), Size = sizeof(uint) };
            WriteEventCore(EventIds.AchievementLogged, 5, data);
        }
    }

    /// <summary>DateTime.Ticks of the FILETIME epoch, 1601-01-01 UTC.</summary>
    private const long FileTimeEpochTicks = 504_911_232_000_000_000;

    /// <summary>
    /// A null-terminated empty UTF-16 string that never moves, written in place of a null string argument:
    /// <c>fixed</c> on a null string gives a null pointer, and every string field must carry its terminator.
    /// </summary>
    private static readonly unsafe nint EmptyString = (nint)NativeMemory.AllocZeroed(sizeof(char));

    /// <summary>
    /// UTC FILETIME of <paramref name="value"/> (Unspecified counts as local, as in <see cref="DateTime.ToUniversalTime"/>).
    /// Instants before 1601 are written as 0: <see cref="DateTime.ToFileTimeUtc"/> would throw, and an emit must
    /// not throw only when a listener is attached.
    /// </summary>
    private static long ToFileTime(DateTime value)
    {
        long ticks = value.ToUniversalTime().Ticks;
        return ticks < FileTimeEpochTicks ? 0 : ticks - FileTimeEpochTicks;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void SetString(ref EventData data, char* pointer, string? value)
    {
        if (value is null)
        {
            data.DataPointer = EmptyString;
            data.Size = sizeof(char);
            return;
        }

        data.DataPointer = (nint)pointer;
        data.Size = (value.Length + 1) * sizeof(char);
    }
}
