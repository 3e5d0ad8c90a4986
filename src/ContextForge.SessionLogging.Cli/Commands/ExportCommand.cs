using System.CommandLine;
using ContextForge.SessionLogging.Shell;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession export OPERATION|SESSION --format asciicast|text [-o FILE]</c>: an operation's (or a whole session's)
/// recorded output as asciicast v2 with the timing recorded during capture (<c>asciinema play</c>, <c>asciinema cat</c>),
/// or as the text the screen showed.
/// </summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context)
    {
        var target = new Argument<string>("id") { Description = "An operation id or a session id (or a unique prefix of either)" };
        var format = new Option<string>("--format", "-f") { Description = "asciicast (v2, with the recorded timing) or text (what the screen showed)", DefaultValueFactory = _ => "asciicast" };
        format.AcceptOnlyFromAmong("asciicast", "text");
        var file = new Option<string?>("--output", "-o") { Description = "Write to this file instead of standard output" };
        var command = new Command("export", "Export an operation or a session: asciicast v2 with the recorded timing, or the text the screen showed") { target, format, file };
        command.SetAction(parse =>
        {
            string id = parse.GetValue(target)!;
            CliLimits.Text(id, InputLimits.MaxSessionIdChars, "id");
            var manager = context.CreateManager();
            ShellSpool.Ingest(manager.Data);
            IReadOnlyList<ExportedStream>? streams;
            try
            {
                streams = OperationExport.Find(manager.Data, id);
            }
            catch (ArgumentException ex)
            {
                return context.Fail(ExitCodes.Usage, ex.Message);
            }
            if (streams is null) return context.Fail(ExitCodes.NoSession, $"no operation or session '{id}': 'cfsession sessions' and 'cfsession show' list them");
            string? path = parse.GetValue(file);
            using var output = path is null ? context.OpenRawOutput() : new FileStream(path, FileMode.Create, FileAccess.Write);
            if (parse.GetValue(format) == "text")
            {
                using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(false), bufferSize: 65536, leaveOpen: true) { NewLine = "\n" };
                OperationExport.WriteText(streams, writer);
            }
            else
            {
                OperationExport.WriteAsciicast(streams, output, $"cfsession {id}");
            }
            output.Flush();
            return (int)ExitCodes.Success;
        });
        return command;
    }
}
