using System.CommandLine;
using System.Globalization;
using ContextForge.SessionLogging.Tracing;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession trace attach PID [-o FILE] [--duration 10s]</c>: records a running .NET process's ContextForge
/// providers over EventPipe (its diagnostic endpoint, as dotnet-trace does) until it exits, Ctrl+C, or the duration.
/// </summary>
internal static class TraceAttachCommand
{
    public static Command Create(CliContext context)
    {
        var pid = new Argument<int>("pid") { Description = "The process id of a running .NET process (a cfsession run, a library host)" };
        var output = new Option<string?>("--output", "-o") { Description = "The .nettrace file (default: <data>/traces/attach-<pid>-<time>.nettrace)" };
        var duration = new Option<string?>("--duration", "-d") { Description = "Stop after this long (10s, 500ms, 2m); default: until the process exits or Ctrl+C" };
        var buffer = new Option<int>("--buffer-mb") { Description = "The runtime's circular buffer for this session, in MB", DefaultValueFactory = _ => 64 };
        var command = new Command("attach", "Record a running process's provider events until it exits, Ctrl+C or --duration") { pid, output, duration, buffer };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int processId = parse.GetValue(pid);
            if (processId <= 0) throw new CliUsageException("pid must be a positive process id");
            TimeSpan? limit = parse.GetValue(duration) is { } d ? TraceJson.ParseDuration(d) : null;
            int bufferMB = parse.GetValue(buffer);
            if (bufferMB is < 1 or > 4096) throw new CliUsageException("--buffer-mb must be between 1 and 4096");
            if (EventPipeRecording.DisabledReason(context.GetEnvironment) is { } disabled)
                context.Notice($"{disabled} in this environment: attaching works only if the target process was started without it");
            string path = parse.GetValue(output) is { Length: > 0 } o
                ? Path.GetFullPath(o)
                : Path.Combine(TraceJson.DefaultTraceDirectory(context), $"attach-{processId}-{TraceJson.Stamp()}.nettrace");
            if (Path.GetDirectoryName(path) is { Length: > 0 } parent) Directory.CreateDirectory(parent);
            bool exited = await EventPipeRecording.AttachAsync(processId, path, limit, bufferMB, cancellationToken).ConfigureAwait(false);
            var trace = TraceReader.Read(path);
            context.Notice(string.Create(CultureInfo.InvariantCulture,
                $"trace: {trace.Events.Count} events, {trace.LostEvents} lost, in {path} ({(exited ? "the process exited" : "stopped")})"));
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
