namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>A fact that runs only where the native Linux runners exist (skipped elsewhere).</summary>
internal sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!ContextForge.SessionLogging.Capture.Unix.LibC.IsSupported) Skip = "Needs the native Linux (x86_64/arm64) runners.";
    }
}
