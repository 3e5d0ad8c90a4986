using ContextForge.SessionLogging.Telemetry;

// The namespace of TracerProviderBuilder, as OpenTelemetry's own instrumentations do, so the method is found
// wherever the builder is.
namespace OpenTelemetry.Trace;

/// <summary>Subscribes an OpenTelemetry tracer provider to ContextForge sessions.</summary>
public static class SessionLoggingTracerProviderBuilderExtensions
{
    /// <summary>
    /// Exports each session as a span (a child of the activity current when it started, else the root of a trace
    /// whose id is the session id) and each operation (a capture, a <c>cfsession run</c> command) as a child span of
    /// it; a failed operation has status Error and an <c>exception</c> event. Build the tracer provider before
    /// starting the session, or the session's span is never exported.
    /// </summary>
    public static TracerProviderBuilder AddSessionLoggingInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(SessionActivities.SourceName);
    }
}
