using System.Diagnostics;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>
/// A fact that needs to mount a small tmpfs (Linux, root, a kernel that allows it). Whether it can is probed once,
/// when tests are discovered, by mounting and unmounting one; where it cannot, the test reports Skipped with the
/// reason instead of passing without running.
/// </summary>
internal sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> s_unavailable = new(Probe);

    public TmpfsFactAttribute()
    {
        if (s_unavailable.Value is { } reason) Skip = reason;
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> at <paramref name="path"/>; the exit code of mount.</summary>
    public static int Mount(string path, string size) => Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path);

    /// <summary>Remounts <paramref name="path"/> with <paramref name="options"/> (e.g. <c>ro</c>).</summary>
    public static int Remount(string path, string options) => Run("mount", "-o", "remount," + options, path);

    /// <summary>Unmounts <paramref name="path"/>.</summary>
    public static int Unmount(string path) => Run("umount", path);

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "Needs Linux (mounts a tmpfs).";
        if (Environment.UserName != "root") return $"Needs root to mount a tmpfs (running as {Environment.UserName}).";
        string dir = Path.Combine(Path.GetTempPath(), "cfsession-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            int code = Mount(dir, "64k");
            if (code != 0) return $"mount -t tmpfs failed here (exit {code}): the container does not allow mounts.";
            Unmount(dir);
            return null;
        }
        finally
        {
            try { Directory.Delete(dir); } catch (IOException) { }
        }
    }

    private static int Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 127;
        }
    }
}
