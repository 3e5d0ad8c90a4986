using System.Diagnostics.Tracing;

namespace ContextForge.SessionLogging.Telemetry;

/// <summary>
/// The library's own diagnostics, the way OpenTelemetry .NET reports its own (<c>OpenTelemetry-Sdk</c>): the
/// <c>ContextForge.SessionLogging.Diagnostics</c> provider carries every warning and every event a stage dropped,
/// so a host can see them with dotnet-trace, an EventListener or PerfView without the library ever writing to the
/// console. The same messages go to <see cref="Sessions.SessionLoggingOptions.Warning"/> when it is set.
/// </summary>
[EventSource(Name = ProviderName)]
public sealed class SelfDiagnostics : EventSource
{
    /// <summary>The provider name.</summary>
    public const string ProviderName = "ContextForge.SessionLogging.Diagnostics";

    /// <summary>The one instance in this process.</summary>
    internal static readonly SelfDiagnostics Log = new();

    private SelfDiagnostics()
        : base(ProviderName, EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    /// <summary>A problem that does not stop recording (a malformed config file, a rule set that could not load).</summary>
    [Event(1, Level = EventLevel.Warning, Message = "{0}")]
    internal void Warning(string Message)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All)) WriteEvent(1, Message);
    }

    /// <summary>A sink could not store an event (it threw, or failed to write) and counted it as dropped.</summary>
    [Event(2, Level = EventLevel.Warning, Message = "{0} dropped {1}: {2}")]
    internal void EventDropped(string Sink, string EventName, string Reason)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All)) WriteEvent(2, Sink, EventName, Reason);
    }

    /// <summary>A post-commit observer (milestones, a user's observer) threw; the event itself was recorded.</summary>
    [Event(3, Level = EventLevel.Error, Message = "{0} failed on {1}: {2}")]
    internal void ObserverFailed(string Observer, string EventName, string Error)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All)) WriteEvent(3, Observer, EventName, Error);
    }
}
