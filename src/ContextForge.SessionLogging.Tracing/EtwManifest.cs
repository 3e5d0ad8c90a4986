using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>One generated manifest: the provider and the XML that <c>wevtutil im</c> registers.</summary>
internal sealed record ProviderManifest(string Provider, string FileName, string Xml);

/// <summary>
/// Generates the ETW instrumentation manifests (<see cref="EventSource.GenerateManifest(Type, string)"/>) of the
/// providers this build contains, for tools that want a manifest. Decoding never needs them (the events are
/// self-describing), and Event Viewer shows nothing from them: the providers declare no channel (docs/windows.md).
/// Runs on every OS; registering is Windows-only.
/// </summary>
internal static class EtwManifest
{
    /// <summary>
    /// The providers with manifest-describable events. ContextForge.UnifiedTelemetry emits only TraceLogging events
    /// whose names and fields are chosen at run time, which a manifest cannot describe; ETW tools decode them from the
    /// trace's own metadata (see docs/windows.md).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026",
        Justification = "GenerateManifest keeps every member of the EventSource type, which includes EventSource's own generic Write methods; it only reads the [Event] methods' signatures and never calls them.")]
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2111",
        Justification = "Same: the kept members include GenerateManifest itself; nothing is invoked through reflection.")]
    public static IReadOnlyList<ProviderManifest> Generate(string assemblyPath)
    {
        var manifests = new List<ProviderManifest>();
        // typeof at the call site keeps the event methods GenerateManifest reflects over under trimming and NativeAOT.
        Add(manifests, SessionLoggingEventSource.ProviderName,
            EventSource.GenerateManifest(typeof(SessionLoggingEventSource), assemblyPath, EventManifestOptions.Strict));
        return manifests;
    }

    private static void Add(List<ProviderManifest> into, string provider, string? xml) =>
        into.Add(new ProviderManifest(provider, provider + ".man",
            xml ?? throw new InvalidOperationException($"{provider}: EventSource.GenerateManifest returned nothing")));

    /// <summary>The commands that register (and later remove) <paramref name="manifestPath"/> on Windows, run as administrator.</summary>
    public static IReadOnlyList<string> RegisterCommands(string manifestPath, string assemblyPath) =>
    [
        $"wevtutil im \"{manifestPath}\" /rf:\"{assemblyPath}\" /mf:\"{assemblyPath}\"",
        $"wevtutil um \"{manifestPath}\"",
    ];
}
