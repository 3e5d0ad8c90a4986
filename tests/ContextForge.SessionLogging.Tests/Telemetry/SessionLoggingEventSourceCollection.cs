namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>
/// Every test that enables <c>ContextForge.SessionLogging</c> (EventListener or EventPipe) or needs it disabled
/// (the zero-allocation test) runs here, one at a time and never beside another collection: the provider is a
/// process-wide singleton, so one test's listener would otherwise enable it under another test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SessionLoggingEventSourceCollection
{
    public const string Name = "SessionLoggingEventSource";
}
