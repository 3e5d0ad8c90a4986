namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>A theory that runs only where the native Linux calls exist (skipped elsewhere).</summary>
internal sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!ContextForge.SessionLogging.Capture.Unix.LibC.IsSupported) Skip = "Needs the native Linux (x86_64/arm64) calls.";
    }
}
