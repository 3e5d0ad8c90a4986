namespace ContextForge.SessionLogging.Cli.Report;

/// <summary>
/// The bundled asciinema-player 3.17.0 (third-party/asciinema-player, Apache-2.0): its script and stylesheet, embedded
/// in the CLI and inlined into a report that has a replayable pty capture.
/// </summary>
internal static class PlayerAssets
{
    public const string Version = "3.17.0";

    public static string Script => ScriptText.Value;

    public static string Stylesheet => StylesheetText.Value;

    private static readonly Lazy<string> ScriptText = new(() => Read("asciinema-player.min.js"));
    private static readonly Lazy<string> StylesheetText = new(() => Read("asciinema-player.css"));

    private static string Read(string name)
    {
        using var stream = typeof(PlayerAssets).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the bundled {name} is missing from {typeof(PlayerAssets).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
