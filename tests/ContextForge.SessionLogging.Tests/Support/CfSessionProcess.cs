using System.Diagnostics;
using System.Text;

namespace ContextForge.SessionLogging.Tests.Support;

/// <summary>The outcome of running the real <c>cfsession</c> executable.</summary>
public sealed record CliRun(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);
}

/// <summary>Runs the built <c>cfsession</c> (copied next to the tests) as a real child process.</summary>
public static class CfSessionProcess
{
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "cfsession.dll");

    public static async Task<CliRun> RunAsync(string dataDirectory, IEnumerable<string> args, byte[]? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        if (workingDirectory is null) Directory.CreateDirectory(dataDirectory);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? dataDirectory,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = dataDirectory;
        psi.Environment.Remove("CFSESSION_ID");
        psi.Environment.Remove("CFSESSION_PARENT_ID");
        psi.Environment["CFSESSION_PTY"] = null;
        psi.Environment.Remove("CFSESSION_PTY");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // No detached recompactor outliving the test in its temporary directory; RecompactionTests turn it on.
        psi.Environment["CFSESSION_RECOMPACT"] = "off";
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        }
        using var process = Process.Start(psi)!;
        var stdoutTask = CopyAsync(process.StandardOutput.BaseStream);
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cfsession {string.Join(' ', args)} did not finish in time");
        }
        return new CliRun(process.ExitCode, await stdoutTask, await stderrTask);
    }

    /// <summary>
    /// Starts <c>cfsession run --no-pty -- sh -c SCRIPT</c> and returns without waiting (for tests that kill it):
    /// stdin closed, output drained and discarded, a new session unless <paramref name="joinSession"/> names one.
    /// </summary>
    public static Process StartRun(string dataDirectory, string script, string? joinSession = null)
    {
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = dataDirectory };
        foreach (string a in new[] { DllPath, "run", "--no-pty", "--", "sh", "-c", script }) psi.ArgumentList.Add(a);
        psi.Environment["CFSESSION_HOME"] = dataDirectory;
        psi.Environment["CFSESSION_RECOMPACT"] = "off";
        psi.Environment.Remove("CFSESSION_PARENT_ID");
        if (joinSession is null) psi.Environment.Remove("CFSESSION_ID"); else psi.Environment["CFSESSION_ID"] = joinSession;
        var process = Process.Start(psi)!;
        process.StandardInput.Close();
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _ = process.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return process;
    }

    private static async Task<byte[]> CopyAsync(Stream stream)
    {
        using var ms = new MemoryStream();
        await stream.CopyToAsync(ms);
        return ms.ToArray();
    }
}
