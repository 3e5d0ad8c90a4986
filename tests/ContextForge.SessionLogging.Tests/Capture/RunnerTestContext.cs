using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Tests.Capture;

/// <summary>
/// A temporary directory (spill files, inputs) deleted afterwards, and open descriptors the runners' test hooks
/// take: /dev/null as the display (so tests do not write into the test host's stdout) and as stdin.
/// </summary>
internal sealed class RunnerTestContext : IDisposable
{
    private readonly List<SafeFileHandle> _handles = [];

    public RunnerTestContext()
    {
        Directory = Path.Combine(Path.GetTempPath(), "cf-runner-tests-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        DevNull = OpenFd("/dev/null", FileAccess.ReadWrite);
        Primary = new CapturedOutput("stdout", Path.Combine(Directory, "spill"));
        Stderr = new CapturedOutput("stderr", Path.Combine(Directory, "spill"));
    }

    public string Directory { get; }

    /// <summary>An fd open on /dev/null (read and write).</summary>
    public int DevNull { get; }

    public CapturedOutput Primary { get; }

    public CapturedOutput Stderr { get; }

    public static CommandSpec Spec(string program, params string[] args) =>
        new(program, args, Environment.CurrentDirectory, new Dictionary<string, string?>());

    /// <summary>Opens a file and returns its raw descriptor (kept open until disposal).</summary>
    public int OpenFd(string path, FileAccess access)
    {
        var handle = File.OpenHandle(path, FileMode.Open, access);
        _handles.Add(handle);
        return (int)handle.DangerousGetHandle();
    }

    public string WriteFile(string name, byte[] content)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static string Text(CapturedOutput capture) => Encoding.UTF8.GetString(capture.Head);

    /// <summary>
    /// Parses "SigBlk:\t...\nSigIgn:\t..." from /proc/self/status. glibc's posix_spawn leaves its two internal
    /// signals (32 SIGCANCEL, 33 SIGSETXID) ignored in the child (python's os.posix_spawn shows the same); a glibc
    /// program re-arms them itself, so only the standard signals 1-31 are checked for being ignored.
    /// </summary>
    public static (ulong Blocked, ulong IgnoredStandard) SignalMasks(string status)
    {
        ulong Field(string name) => Convert.ToUInt64(
            status.Split('\n').Select(l => l.TrimEnd('\r')).Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim(), 16);
        return (Field("SigBlk"), Field("SigIgn") & 0x7FFF_FFFFUL);
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public void Dispose()
    {
        Primary.Dispose();
        Stderr.Dispose();
        foreach (var h in _handles) h.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
