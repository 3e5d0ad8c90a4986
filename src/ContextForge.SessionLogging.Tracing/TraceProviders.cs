using System.Diagnostics.Tracing;
using ContextForge.SessionLogging.Telemetry;

namespace ContextForge.SessionLogging.Tracing;

/// <summary>The providers a ContextForge trace records, and how to ask for them.</summary>
internal static class TraceProviders
{
    /// <summary>The Achievement Engine's provider (it may not exist in a given build: enabling it is harmless).</summary>
    public const string UnifiedTelemetry = "ContextForge.UnifiedTelemetry";

    /// <summary>Both providers, in the order they are recorded.</summary>
    public static readonly IReadOnlyList<string> Names = [SessionLoggingEventSource.ProviderName, UnifiedTelemetry];

    /// <summary>All four keywords (Session, Achievement, Terminal, Milestone).</summary>
    public const long AllKeywords = 0xF;

    /// <summary>Verbose, so Informational and Error events are both recorded.</summary>
    public const EventLevel Level = EventLevel.Verbose;

    /// <summary>EventPipe and EventListener report keywords with extra high bits; the contract is the low 32.</summary>
    public const long KeywordMask = 0xFFFFFFFF;

    /// <summary>The <c>DOTNET_EventPipeConfig</c> / <c>dotnet-trace --providers</c> form: <c>Name:0xF:5,...</c>.</summary>
    public static string EventPipeConfig => string.Join(',', Names.Select(n => $"{n}:0x{AllKeywords:X}:{(int)Level}"));

    /// <summary>True for the two ContextForge providers.</summary>
    public static bool IsOurs(string providerName) => Names.Contains(providerName, StringComparer.Ordinal);
}
