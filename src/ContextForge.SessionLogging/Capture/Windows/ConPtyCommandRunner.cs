using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ContextForge.SessionLogging.Capture.Windows;

/// <summary>
/// Windows pseudo-console runner (ConPTY, Windows 10 1809+): the child gets a real console, so colours, progress
/// bars and prompts behave as without the wrapper. Output is copied from the pseudo-console's output pipe to our
/// stdout and into the capture; our stdin is copied into its input pipe. Compiled everywhere, used only on Windows
/// when stdin and stdout are consoles (see <see cref="CommandRunnerFactory"/>); its tests run on Windows.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed partial class ConPtyCommandRunner : ICommandRunner
{
    private const uint ExtendedStartupInfoPresent = 0x00080000;
    private const uint CreateUnicodeEnvironment = 0x00000400;
    private const nint ProcThreadAttributePseudoConsole = 0x00020016;
    private const uint Infinite = 0xFFFFFFFF;

    public async Task<CommandOutcome> RunAsync(CommandSpec command, CapturedOutput primary, CapturedOutput stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(primary);
        if (!CreatePipe(out var inputRead, out var inputWrite, 0, 0) || !CreatePipe(out var outputRead, out var outputWrite, 0, 0))
            throw new Win32Exception(Marshal.GetLastWin32Error());
        short width = (short)Math.Clamp(Console.WindowWidth, 20, short.MaxValue);
        short height = (short)Math.Clamp(Console.WindowHeight, 5, short.MaxValue);
        int hr = CreatePseudoConsole(new Coord { X = width, Y = height }, inputRead, outputWrite, 0, out nint console);
        if (hr != 0) throw new Win32Exception(hr);
        inputRead.Dispose();
        outputWrite.Dispose();

        nint attributes = 0;
        var processInfo = default(ProcessInformation);
        try
        {
            nint size = 0;
            InitializeProcThreadAttributeList(0, 1, 0, ref size);
            attributes = Marshal.AllocHGlobal(size);
            if (!InitializeProcThreadAttributeList(attributes, 1, 0, ref size)) throw new Win32Exception(Marshal.GetLastWin32Error());
            if (!UpdateProcThreadAttribute(attributes, 0, ProcThreadAttributePseudoConsole, console, nint.Size, 0, 0))
                throw new Win32Exception(Marshal.GetLastWin32Error());

            var startup = new StartupInfoEx { AttributeList = attributes };
            startup.StartupInfo.Cb = Marshal.SizeOf<StartupInfoEx>();
            string commandLine = string.Join(' ', new[] { command.Program }.Concat(command.Arguments).Select(WindowsCommandLine.Quote));
            string environment = string.Join('\0', command.BuildEnvironmentBlock()) + "\0\0";
            if (!CreateProcessW(null, new StringBuilder(commandLine), 0, 0, false, ExtendedStartupInfoPresent | CreateUnicodeEnvironment,
                    environment, string.IsNullOrEmpty(command.WorkingDirectory) ? null : command.WorkingDirectory, ref startup, out processInfo))
            {
                int error = Marshal.GetLastWin32Error();
                throw error is 2 or 3
                    ? new CommandStartException($"cfsession: {command.Program}: command not found", 127)
                    : new CommandStartException($"cfsession: {command.Program}: cannot execute: {new Win32Exception(error).Message}", 126);
            }

            using var output = new FileStream(outputRead, FileAccess.Read, 1);
            using var input = new FileStream(inputWrite, FileAccess.Write, 1);
            using var display = Console.OpenStandardOutput();
            var copyOut = Task.Run(() =>
            {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = output.Read(buffer, 0, buffer.Length)) > 0)
                {
                    primary.Write(buffer.AsSpan(0, n));
                    display.Write(buffer, 0, n);
                    display.Flush();
                }
            }, CancellationToken.None);
            _ = Task.Run(() =>
            {
                using var stdin = Console.OpenStandardInput();
                try { stdin.CopyTo(input); } catch (IOException) { }
            }, CancellationToken.None);

            using (cancellationToken.Register(() => TerminateProcess(processInfo.Process, 130)))
            {
                await Task.Run(() => WaitForSingleObject(processInfo.Process, Infinite), CancellationToken.None).ConfigureAwait(false);
            }
            GetExitCodeProcess(processInfo.Process, out uint exitCode);
            ClosePseudoConsole(console); // ends the output pipe
            console = 0;
            await copyOut.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new CommandOutcome(unchecked((int)exitCode), null, processInfo.ProcessId, "pty");
        }
        finally
        {
            if (console != 0) ClosePseudoConsole(console);
            if (attributes != 0)
            {
                DeleteProcThreadAttributeList(attributes);
                Marshal.FreeHGlobal(attributes);
            }
            if (processInfo.Process != 0) CloseHandle(processInfo.Process);
            if (processInfo.Thread != 0) CloseHandle(processInfo.Thread);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Coord { public short X; public short Y; }

    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    private struct StartupInfo
    {
        public int Cb;
        public nint Reserved, Desktop, Title;
        public int X, Y, XSize, YSize, XCountChars, YCountChars, FillAttribute, Flags;
        public short ShowWindow, Reserved2;
        public nint Reserved2Pointer, StdInput, StdOutput, StdError;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct StartupInfoEx { public StartupInfo StartupInfo; public nint AttributeList; }

    [StructLayout(LayoutKind.Sequential)]
    private struct ProcessInformation { public nint Process; public nint Thread; public int ProcessId; public int ThreadId; }

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreatePipe(out SafeFileHandle read, out SafeFileHandle write, nint attributes, int size);

    [LibraryImport("kernel32.dll")]
    private static partial int CreatePseudoConsole(Coord size, SafeFileHandle input, SafeFileHandle output, uint flags, out nint console);

    [LibraryImport("kernel32.dll")]
    private static partial void ClosePseudoConsole(nint console);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool InitializeProcThreadAttributeList(nint list, int count, int flags, ref nint size);

    [LibraryImport("kernel32.dll", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool UpdateProcThreadAttribute(nint list, uint flags, nint attribute, nint value, nint size, nint previous, nint returnSize);

    [LibraryImport("kernel32.dll")]
    private static partial void DeleteProcThreadAttributeList(nint list);

    [DllImport("kernel32.dll", SetLastError = true, CharSet = CharSet.Unicode, EntryPoint = "CreateProcessW")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static extern bool CreateProcessW(string? application, StringBuilder commandLine, nint processAttributes, nint threadAttributes,
        [MarshalAs(UnmanagedType.Bool)] bool inheritHandles, uint flags, string environment, string? currentDirectory, ref StartupInfoEx startup, out ProcessInformation info);

    [LibraryImport("kernel32.dll")]
    private static partial uint WaitForSingleObject(nint handle, uint milliseconds);

    [LibraryImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool GetExitCodeProcess(nint process, out uint exitCode);

    [LibraryImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool TerminateProcess(nint process, uint exitCode);

    [LibraryImport("kernel32.dll")]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CloseHandle(nint handle);
}

/// <summary>Builds Windows command lines (platform-neutral so it is tested everywhere).</summary>
internal static class WindowsCommandLine
{
    /// <summary>Quotes one argument by the rules CommandLineToArgvW and the C runtime use.</summary>
    public static string Quote(string argument)
    {
        if (argument.Length > 0 && argument.IndexOfAny([' ', '\t', '"']) < 0) return argument;
        var sb = new StringBuilder("\"");
        int backslashes = 0;
        foreach (char c in argument)
        {
            if (c == '\\') { backslashes++; continue; }
            if (c == '"') sb.Append('\\', backslashes * 2 + 1);
            else sb.Append('\\', backslashes);
            backslashes = 0;
            sb.Append(c);
        }
        sb.Append('\\', backslashes * 2).Append('"');
        return sb.ToString();
    }
}
