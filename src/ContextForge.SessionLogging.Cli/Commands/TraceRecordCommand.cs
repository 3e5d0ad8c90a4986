using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Sessions;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession trace record [-o FILE] -- COMMAND [ARGS...]</c>: runs the command through <c>cfsession run</c> in a
/// child process whose runtime records both providers from its first event to its last: over EventPipe into a
/// .nettrace (the <c>DOTNET_EnableEventPipe</c> variables: the runtime starts the session before any code runs, so
/// nothing races the first event), or on Windows with an .etl path through a real ETW session. Exits with the
/// command's exit code, or 69 when no trace could be written (the command still ran and its journal was written).
/// </summary>
internal static class TraceRecordCommand
{
    public static Command Create(CliContext context)
    {
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "The trace file: .nettrace (EventPipe) or, on Windows, .etl (ETW); default: <data>/traces/<time>-<pid>.nettrace (.etl on Windows)" };
        var name = new Option<string?>("--name", "-n") { Description = "Name of the new session" };
        var type = new Option<string?>("--type", "-t") { Description = "Type of the new session (default: command)" };
        var command = new Command("record", "Run a command in a session and record the providers' events into a trace: cfsession trace record -o t.nettrace -- make test")
        {
            commandLine, output, name, type,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CliLimits.Text(parse.GetValue(name), InputLimits.MaxSessionLabelChars, "--name");
            CliLimits.Text(parse.GetValue(type), InputLimits.MaxSessionLabelChars, "--type");
            string[] argv = parse.GetValue(commandLine)!;
            string path = parse.GetValue(output) is { Length: > 0 } o
                ? Path.GetFullPath(o)
                : Path.Combine(TraceJson.DefaultTraceDirectory(context), $"{TraceJson.Stamp()}-{Environment.ProcessId}{(OperatingSystem.IsWindows() ? ".etl" : ".nettrace")}");
            bool etw = string.Equals(Path.GetExtension(path), ".etl", StringComparison.OrdinalIgnoreCase);
            if (etw && EtwRecording.UnavailableReason is { } etwReason) throw new TraceUnavailableException(etwReason);
            if (Path.GetDirectoryName(path) is { Length: > 0 } parent) Directory.CreateDirectory(parent);

            var runArgs = new List<string> { "run" };
            if (parse.GetValue(name) is { } n) runArgs.AddRange(["--name", n]);
            if (parse.GetValue(type) is { } t) runArgs.AddRange(["--type", t]);
            runArgs.Add("--");
            runArgs.AddRange(argv);

            string? disabled = EventPipeRecording.DisabledReason(context.GetEnvironment);
            var environment = new Dictionary<string, string?>();
            if (!etw && disabled is null)
            {
                File.Delete(path); // a stale file must not pass for this run's trace
                foreach (var (k, v) in EventPipeRecording.ChildEnvironment(path)) environment[k] = v;
            }
            int exitCode;
            if (etw)
            {
                using (EtwRecording.Start(path)) exitCode = await RunChildAsync(context, runArgs, environment, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                exitCode = await RunChildAsync(context, runArgs, environment, cancellationToken).ConfigureAwait(false);
            }

            if (disabled is not null)
                return context.Fail(ExitCodes.TraceUnavailable, $"{disabled}: the command ran (exit {exitCode}) and its journal was written, but no trace was recorded");
            if (!File.Exists(path) || new FileInfo(path).Length == 0)
                return context.Fail(ExitCodes.TraceUnavailable, $"no trace was written to {path}: the runtime did not start the recording; the command ran (exit {exitCode}) and its journal was written");
            try
            {
                var trace = TraceReader.Read(path);
                context.Notice(string.Create(CultureInfo.InvariantCulture, $"trace: {trace.Events.Count} events, {trace.LostEvents} lost, in {path}"));
            }
            catch (TraceReadException ex)
            {
                return context.Fail(ExitCodes.TraceUnavailable, $"the trace is unreadable: {ex.Message}; the command ran (exit {exitCode}) and its journal was written");
            }
            return exitCode;
        });
        return command;
    }

    /// <summary>Runs this cfsession again (same binary, or <c>dotnet cfsession.dll</c>) with the terminal inherited.</summary>
    private static async Task<int> RunChildAsync(CliContext context, IReadOnlyList<string> args, Dictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        string process = Environment.ProcessPath ?? throw new TraceUnavailableException("cannot locate the cfsession executable to record");
        var psi = new ProcessStartInfo(process) { UseShellExecute = false };
        if (string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.OrdinalIgnoreCase))
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cfsession.dll"));
        foreach (string a in args) psi.ArgumentList.Add(a);
        // The child sees the same session settings this command sees (tests pass them in the context, not the process).
        foreach (string variable in new[] { DataDirectory.HomeVariable, SessionEnvironment.SessionId, SessionEnvironment.ParentOperationId })
        {
            if (context.GetEnvironment(variable) is { } value) psi.Environment[variable] = value;
        }
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var child = Process.Start(psi) ?? throw new TraceUnavailableException($"cannot start {process}");
        try
        {
            await child.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C reached the child too (same process group): give it time to end its session and flush the trace.
            if (!child.WaitForExit(TimeSpan.FromSeconds(10))) child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        return child.ExitCode;
    }
}
