using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Tests.Telemetry;

/// <summary>The provider GUIDs the docs name (docs/events.md, docs/windows.md) are the ones EventSource derives from the names.</summary>
public sealed class ProviderGuidTests
{
    [Theory]
    [InlineData(typeof(SessionLoggingEventSource), "37bf0234-8ba5-5c52-e87b-3acaea86db63")]
    [InlineData(typeof(UnifiedTelemetryEventSource), "3484c2c8-da7e-5e4a-94bb-023f33f2058a")]
    public void Provider_guids_are_the_ones_the_docs_name(Type source, string guid)
    {
        Assert.Equal(Guid.Parse(guid), EventSource.GetGuid(source));
        string repo = Tracing.TraceTestSupport.RepoRoot;
        Assert.Contains(guid, File.ReadAllText(Path.Combine(repo, "docs", "events.md")), StringComparison.Ordinal);
        Assert.Contains(guid, File.ReadAllText(Path.Combine(repo, "docs", "windows.md")), StringComparison.Ordinal);
    }
}
