using System.Xml.Linq;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Tests.Tracing;

/// <summary>The generated manifest, checked structurally (there is no Windows machine here to register it).</summary>
public sealed class EtwManifestTests
{
    [Fact]
    public void Manifest_is_well_formed_names_the_provider_guid_and_every_event_and_declares_no_channel()
    {
        var manifest = Assert.Single(EtwManifest.Generate(typeof(EtwManifestTests).Assembly.Location));
        var doc = XDocument.Parse(manifest.Xml);
        XNamespace ns = doc.Root!.GetDefaultNamespace();
        var provider = Assert.Single(doc.Descendants(ns + "provider"));
        Assert.Equal("ContextForge.SessionLogging", provider.Attribute("name")!.Value);
        Assert.Equal("{37bf0234-8ba5-5c52-e87b-3acaea86db63}", provider.Attribute("guid")!.Value, ignoreCase: true);
        var events = doc.Descendants(ns + "event").Select(e => e.Attribute("symbol")?.Value ?? e.Attribute("value")!.Value).ToList();
        foreach (string name in new[] { "SessionStart", "SessionEnd", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged" })
            Assert.Contains(name, events);
        // What docs/windows.md says: no channel, so Event Viewer shows nothing.
        Assert.Empty(doc.Descendants(ns + "channel"));
        Assert.All(doc.Descendants(ns + "event"), e => Assert.Null(e.Attribute("channel")));
    }
}
