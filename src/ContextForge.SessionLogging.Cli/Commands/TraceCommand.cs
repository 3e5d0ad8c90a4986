using System.CommandLine;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary><c>cfsession trace record|attach|read|query</c>: the providers' events in EventPipe (.nettrace) and ETW (.etl) traces.</summary>
internal static class TraceCommand
{
    public static Command Create(CliContext context) => new("trace", "Record, read and query traces of the ContextForge providers (EventPipe .nettrace everywhere, ETW .etl on Windows)")
    {
        TraceRecordCommand.Create(context),
        TraceAttachCommand.Create(context),
        TraceReadCommand.Create(context),
        TraceQueryCommand.Create(context),
    };
}
