using System.ComponentModel;
using System.Diagnostics;

namespace ContextForge.SessionLogging.Capture;

/// <summary>
/// The portable runner (Windows, macOS, and any platform without the native Linux runners): System.Diagnostics.Process
/// with stdout and stderr redirected (pipe mode), stdin not redirected so it is inherited. Each stream is copied as
/// raw bytes to this process's own stdout / stderr and into its capture. The signal that ended a child is not known
/// here (<see cref="CommandOutcome.Signal"/> stays null; on Unix .NET reports it as exit code 128+signal).
/// </summary>
internal sealed class ProcessCommandRunner : ICommandRunner
{
    /// <summary>Show the child's output on our stdout / stderr (off in tests).</summary>
    internal bool Display { get; init; } = true;

    public async Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(stderr);
        cancellationToken.ThrowIfCancellationRequested();

        var psi = new ProcessStartInfo(command.Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        if (!string.IsNullOrEmpty(command.WorkingDirectory))
        {
            if (!Directory.Exists(command.WorkingDirectory))
                throw new CommandStartException($"cfsession: cannot change directory to '{command.WorkingDirectory}': No such file or directory", 126);
            psi.WorkingDirectory = command.WorkingDirectory;
        }
        foreach (string arg in command.Arguments) psi.ArgumentList.Add(arg);
        foreach (var (key, value) in command.Environment)
        {
            if (value is null) psi.Environment.Remove(key);
            else psi.Environment[key] = value;
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw ex.NativeErrorCode switch
            {
                // ERROR_FILE_NOT_FOUND / ENOENT, ERROR_PATH_NOT_FOUND
                2 or 3 => new CommandStartException($"cfsession: {command.Program}: command not found", 127),
                _ => new CommandStartException($"cfsession: {command.Program}: cannot execute: {ex.Message}", 126),
            };
        }

        int pid = process.Id;
        using var stdoutDisplay = Display ? Console.OpenStandardOutput() : Stream.Null;
        using var stderrDisplay = Display ? Console.OpenStandardError() : Stream.Null;
        Task copyOut = Task.Run(() => Copy(process.StandardOutput.BaseStream, stdoutDisplay, primary), CancellationToken.None);
        Task copyErr = Task.Run(() => Copy(process.StandardError.BaseStream, stderrDisplay, stderr), CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (Win32Exception) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
            throw;
        }
        await Task.WhenAll(copyOut, copyErr).ConfigureAwait(false);
        return new CommandOutcome(process.ExitCode, null, pid, "pipes");
    }

    private static void Copy(Stream source, Stream display, CapturedOutput capture)
    {
        byte[] buffer = new byte[64 * 1024];
        bool displaying = true;
        int n;
        while ((n = source.Read(buffer, 0, buffer.Length)) > 0)
        {
            capture.Write(buffer.AsSpan(0, n));
            if (!displaying) continue;
            try
            {
                display.Write(buffer, 0, n);
                display.Flush();
            }
            catch (IOException)
            {
                displaying = false; // our reader went away: keep capturing
            }
        }
    }
}
