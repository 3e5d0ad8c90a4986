using System.CommandLine;
using System.Diagnostics;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession __recompact --session ID</c> (hidden): what <c>run</c> starts detached after storing a blob, and
/// <c>shell</c> after the shell exited (<see cref="RecompactionLauncher"/>). At the lowest CPU priority, it compresses
/// the session's store-only blobs (<see cref="Capture.BlobStore.Recompact"/>) and finished shell streams
/// (<see cref="Capture.BlobStore.RecompactStreams"/>) with <see cref="Capture.BlobStore.BackgroundRecompaction"/>'s
/// settings (same name, hash and bytes, atomic replace, safe to kill) and repeats
/// while a pass found one, so a blob a concurrent <c>run</c> stored meanwhile is not left behind. Prints nothing;
/// exits 0 (a blob it could not recompact stays readable and is tried again by the next run, reindex or prune).
/// </summary>
internal static class RecompactCommand
{
    public const string Name = "__recompact";

    /// <summary>At most this many passes over the directory (each finds what the runs of the last one stored).</summary>
    private const int MaxPasses = 10;

    public static Command Create(CliContext context)
    {
        var session = new Option<string>("--session") { Description = "The session whose blobs to compress", Required = true };
        var command = new Command(Name, "Compress a session's store-only blobs and finished shell streams (started by run and shell, in the background)") { session };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var manager = context.CreateManager(redact: false);
            string id = manager.ResolveSessionId(parse.GetValue(session)!);
            LowerPriority();
            string blobs = manager.Data.BlobDirectory(id);
            string streams = manager.Data.StreamDirectory(id);
            // A second recompactor of the same session waits for the first (it may have missed this run's blob).
            for (int pass = 0; pass < MaxPasses; pass++)
            {
                int done = Capture.BlobStore.Recompact(blobs, TimeSpan.FromMinutes(1), Capture.BlobStore.BackgroundRecompaction.For).Recompacted
                    + Capture.BlobStore.RecompactStreams(streams, TimeSpan.FromMinutes(1), Capture.BlobStore.BackgroundRecompaction.For).Recompacted;
                if (done == 0) break;
            }
            return (int)ExitCodes.Success;
        });
        return command;
    }

    // Nice 19: the user's commands always come first.
    private static void LowerPriority()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            self.PriorityClass = ProcessPriorityClass.Idle;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            // Not allowed here: run at the normal priority (still detached, never waited for).
        }
    }
}
