using System.Collections;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Reflection;
using System.Text.Json;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Telemetry;
using ContextForge.SessionLogging.Tests.Support;
using Spectre.Console;

namespace ContextForge.SessionLogging.Tests.Contract;

/// <summary>
/// The library's public surface hides the journal format: no code outside it can forge provider events or spell
/// journal field names; what it hands back is read-only; inputs have one shape.
/// </summary>
public sealed class PublicSurfaceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private SessionManager Manager() => new(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });

    [Fact]
    public void No_provider_event_method_is_public_and_the_provider_contract_keeps_its_five_events()
    {
        foreach (var source in new[] { typeof(SessionLoggingEventSource), typeof(SelfDiagnostics) })
        {
            var publicEvents = source.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => m.GetCustomAttribute<EventAttribute>() is not null).Select(m => m.Name).ToList();
            Assert.Empty(publicEvents);
            Assert.Null(source.GetField("Log", BindingFlags.Public | BindingFlags.Static));
        }

        // Internal [Event] methods are still the provider's events: same names and ids in its manifest.
        string manifest = EventSource.GenerateManifest(typeof(SessionLoggingEventSource), "x.dll")!;
        foreach (string name in new[] { "SessionStart", "SessionEnd", "TerminalCapture", "TerminalCaptureFailed", "AchievementLogged" })
            Assert.Contains($"symbol=\"{name}\"", manifest, StringComparison.Ordinal);
        Assert.Equal(new Guid("37bf0234-8ba5-5c52-e87b-3acaea86db63"), EventSource.GetGuid(typeof(SessionLoggingEventSource)));
        Assert.Equal("ContextForge.SessionLogging", SessionLoggingEventSource.ProviderName);
        Assert.Equal((EventKeywords)0x4, SessionLoggingEventSource.Keywords.Terminal);
    }

    [Fact]
    public void Journal_field_names_event_names_and_the_trace_probe_are_not_public_types()
    {
        var assembly = typeof(Session).Assembly;
        foreach (string name in new[] { "ContextForge.SessionLogging.Events.JournalFields", "ContextForge.SessionLogging.Events.SessionEventNames", "ContextForge.SessionLogging.Inspection.EtwProbe", "ContextForge.SessionLogging.Inspection.EtwProbeResult" })
        {
            var type = assembly.GetType(name);
            Assert.NotNull(type);
            Assert.False(type.IsPublic, name + " is public");
        }
    }

    [Fact]
    public void Capture_has_no_public_overload_that_makes_a_null_second_argument_ambiguous()
    {
        var twoArgument = typeof(Session).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.Name == nameof(Session.Capture) && m.GetParameters().Length == 2).Select(m => m.GetParameters()[1].ParameterType).ToList();
        Assert.Equal([typeof(Action<IAnsiConsole>)], twoArgument);
        Assert.NotNull(typeof(Session).GetMethod(nameof(Session.CaptureOn), [typeof(string), typeof(IAnsiConsole)]));
    }

    [Fact]
    public void Achievement_evidence_comes_back_read_only_with_the_exact_journaled_values()
    {
        using var session = Manager().Start();
        var record = session.LogAchievement("released", "v1.10", new Dictionary<string, object?>
        {
            ["version"] = 1.10m,
            ["files"] = new List<int> { 1, 2 },
            ["at"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
        });

        Assert.Equal(["version", "files", "at"], record.Evidence.Keys);
        Assert.Equal("1.10", record.Evidence["version"].GetRawText());
        Assert.Equal(JsonValueKind.Array, record.Evidence["files"].ValueKind);
        Assert.Equal("2026-01-02T03:04:05.0000000+02:00", record.Evidence["at"].GetString());
        var asDictionary = Assert.IsAssignableFrom<IDictionary<string, JsonElement>>(record.Evidence);
        Assert.Throws<NotSupportedException>(() => asDictionary.Add("forged", default));
        Assert.True(((IDictionary)record.Evidence).IsReadOnly);
        Assert.Equal(record.AchievementId, record.EtwCorrelation!["achievement_id"].GetString());
        var journaled = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(e => e.Name == SessionEventNames.AchievementLogged);
        var relaxed = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        Assert.Equal("""{"version":1.10,"files":[1,2],"at":"2026-01-02T03:04:05.0000000+02:00"}""", journaled.Fields[JournalFields.Evidence]!.ToJsonString(relaxed));
    }

    [Fact]
    public void Achievement_evidence_accepts_any_sequence_of_pairs_like_event_fields()
    {
        using var session = Manager().Start();
        KeyValuePair<string, object?>[] pairs = [new("passed", 42), new("suite", "login")];

        var record = session.LogAchievement("tests_passed", "green", pairs);

        Assert.Equal(["passed", "suite"], record.Evidence.Keys);
        Assert.Equal(42, record.Evidence["passed"].GetInt32());
    }

    [Fact]
    public void LogEvent_and_LogSessionEvent_with_a_TagList_record_the_same_fields_as_with_a_dictionary()
    {
        string id;
        using (var session = Manager().Start())
        {
            id = session.Id;
            var tags = new TagList { { "pages", 12 }, { "ratio", 0.5 }, { "name", "report" } };
            session.LogEvent("FromTags", EventLevel.Warning, in tags);
            session.LogEvent("FromDictionary", EventLevel.Warning, new Dictionary<string, object?> { ["pages"] = 12, ["ratio"] = 0.5, ["name"] = "report" });
            UnifiedTelemetry.LogSessionEvent("FromUnifiedTags", in tags);
        }

        var events = JournalFiles.ReadSession(_dir.Path, id).Events;
        string Fields(string name)
        {
            var fields = (System.Text.Json.Nodes.JsonObject)events.Single(e => e.Name == name).Fields.DeepClone();
            fields.Remove(JournalFields.Provenance);
            return fields.ToJsonString();
        }
        Assert.Equal("""{"pages":12,"ratio":0.5,"name":"report"}""", Fields("FromTags"));
        Assert.Equal(Fields("FromDictionary"), Fields("FromTags"));
        Assert.Equal(Fields("FromTags"), Fields("FromUnifiedTags"));
        Assert.Equal(EventLevel.Warning, events.Single(e => e.Name == "FromTags").Level);
    }

    [Fact]
    public void A_capture_record_states_its_duration_as_a_TimeSpan_matching_the_journal()
    {
        using var session = Manager().Start();
        var record = session.Capture("wait", _ => Thread.Sleep(20));

        Assert.True(record.Duration >= TimeSpan.FromMilliseconds(20), record.Duration.ToString());
        var journaled = JournalFiles.ReadSession(_dir.Path, session.Id).Events.Single(e => e.Name == SessionEventNames.TerminalCapture);
        Assert.Equal(journaled.GetDouble(JournalFields.DurationMs)!.Value, record.Duration.TotalMilliseconds, 3);
    }
}
