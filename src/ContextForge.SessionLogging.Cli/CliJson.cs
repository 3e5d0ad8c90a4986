using System.Text.Json;
using ContextForge.SessionLogging.Query;

namespace ContextForge.SessionLogging.Cli;

internal static class CliJson
{
    /// <summary>
    /// Indented JSON for every <c>--json</c> document. Non-ASCII text stays readable (the relaxed encoder), but every
    /// control character, and the invisible characters that reorder or hide text on a terminal (bidirectional
    /// overrides and isolates, the BOM, line/paragraph separators), are written as <c>\uXXXX</c> escapes, so
    /// recorded output piped through <c>jq -r</c> or shown by an agent cannot play a "Trojan Source" trick.
    /// </summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = TerminalSafeJsonEncoder.Instance };
}
