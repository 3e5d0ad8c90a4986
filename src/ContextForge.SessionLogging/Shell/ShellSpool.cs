using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ContextForge.SessionLogging.Capture;
using ContextForge.SessionLogging.Records;
using ContextForge.SessionLogging.Sessions;

namespace ContextForge.SessionLogging.Shell;

/// <summary>
/// Ingests the spool files the hook-only mode (<see cref="HookOnlyIntegration"/>) appends to,
/// <c>&lt;data&gt;/spool/&lt;session-id&gt;.tsv</c>: each complete line becomes one operation of that session (an
/// OperationStarted and a TerminalCapture with capture mode <c>hooks</c> and no output), in file order; an X line
/// ends the session and the spool is removed. Runs before every index catch-up (so before every query).
/// Guarantees: a line that reached the spool is journaled at the latest by the next query, in the shell's order, and
/// never lost (the ingested offset is kept next to the spool and advanced only after the lines are journaled, under
/// a lock); an operation id is derived from the session and the line's offset, so the one repeat a crash between
/// journaling and the checkpoint can cause carries the same id. A partial last line (the shell is writing it) waits
/// for the next ingestion. The first line, <c>H shell</c>, names the shell.
/// </summary>
internal static class ShellSpool
{
    public const string DirectoryName = "spool";

    /// <summary>The capture mode of a hook-only operation (no output is recorded).</summary>
    public const string HooksCaptureMode = "hooks";

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    public static string DirectoryOf(DataDirectory data) => Path.Combine(data.Root, DirectoryName);

    public static string PathFor(DataDirectory data, string sessionId) => Path.Combine(DirectoryOf(data), sessionId + ".tsv");

    /// <summary>Ingests every spool of <paramref name="data"/>; returns how many commands were journaled.</summary>
    public static int Ingest(DataDirectory data)
    {
        string directory = DirectoryOf(data);
        if (!Directory.Exists(directory)) return 0;
        string[] spools;
        try { spools = Directory.GetFiles(directory, "*.tsv"); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return 0; }
        int ingested = 0;
        SessionManager? manager = null;
        foreach (string spool in spools.Order(StringComparer.Ordinal))
        {
            try
            {
                ingested += IngestFile(data, spool, ref manager);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SessionNotFoundException or InvalidDataException)
            {
                Telemetry.SelfDiagnostics.Log.Warning($"shell spool {spool} was not ingested: {ex.Message}");
            }
        }
        return ingested;
    }

    private static int IngestFile(DataDirectory data, string spool, ref SessionManager? manager)
    {
        string sessionId = Path.GetFileNameWithoutExtension(spool);
        if (!Guid.TryParseExact(sessionId, "D", out _)) return 0;
        using var lockFile = AcquireLock(spool + ".lock");
        if (lockFile is null) return 0; // another process is ingesting it right now, and will have done so when it releases
        string offsetPath = spool + ".offset";
        long offset = File.Exists(offsetPath) && long.TryParse(File.ReadAllText(offsetPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long o) ? o : 0;
        byte[] pending;
        using (var input = new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            if (input.Length <= offset) return 0;
            input.Position = offset;
            pending = new byte[input.Length - offset];
            input.ReadExactly(pending);
        }
        int complete = Array.LastIndexOf(pending, (byte)'\n') + 1;
        if (complete == 0) return 0;
        string shell = ShellName(spool);
        manager ??= new SessionManager(new SessionLoggingOptions { DataDirectory = data.Root });
        int count = 0;
        bool ended = false;
        using (var session = manager.Join(sessionId))
        {
            int lineStart = 0;
            while (lineStart < complete)
            {
                int end = Array.IndexOf(pending, (byte)'\n', lineStart);
                string line = Encoding.UTF8.GetString(pending, lineStart, end - lineStart);
                long lineOffset = offset + lineStart;
                lineStart = end + 1;
                string[] fields = line.Split('\t');
                if (fields[0] == "C" && fields.Length >= 6)
                {
                    Record(session, sessionId, lineOffset, fields, shell);
                    count++;
                }
                else if (fields[0] == "X")
                {
                    ended = true;
                }
            }
        }
        FileSecurity.WriteAllTextPrivate(offsetPath + ".tmp", (offset + complete).ToString(CultureInfo.InvariantCulture));
        File.Move(offsetPath + ".tmp", offsetPath, overwrite: true);
        if (ended)
        {
            manager.End(sessionId);
            foreach (string path in new[] { spool, offsetPath, spool + ".cmd", spool + ".lock" }) File.Delete(path);
        }
        return count;
    }

    private static FileStream? AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                return FileSecurity.OpenPrivateLockFile(path);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Starts a spool: its first line names the shell.</summary>
    public static void Create(DataDirectory data, string sessionId, string shell)
    {
        FileSecurity.CreatePrivateDirectory(DirectoryOf(data));
        FileSecurity.WriteAllTextPrivate(PathFor(data, sessionId), $"H\t{shell}\n");
    }

    private static string ShellName(string spool)
    {
        using var reader = new StreamReader(new FileStream(spool, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return reader.ReadLine() is { } first && first.StartsWith("H\t", StringComparison.Ordinal) && first.Length > 2 ? first[2..] : "shell";
    }

    private static void Record(Session session, string sessionId, long lineOffset, string[] fields, string shell)
    {
        int? exitCode = int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out int status) ? status : null;
        string cwd = ShellMarkParser.Unescape(fields[4]);
        string commandLine = ShellMarkParser.Unescape(string.Join('\t', fields[5..(fields.Length >= 7 ? fields.Length - 1 : fields.Length)]));
        DateTimeOffset start, end;
        if (Epoch(fields[1]) is { } s && Epoch(fields[2]) is { } e && e >= s)
        {
            (start, end) = (s, e);
        }
        else
        {
            // fish: no builtin clock; the duration it measured, ending now.
            end = DateTimeOffset.UtcNow;
            start = fields.Length >= 7 && double.TryParse(fields[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) ? end - TimeSpan.FromMilliseconds(ms) : end;
        }
        string operationId = OperationIdFor(sessionId, lineOffset);
        var tally = new Redaction.RedactionTally();
        IReadOnlyList<string> arguments = ["-c", commandLine];
        if (session.Redactor is not null) arguments = Redaction.FieldRedaction.Arguments(shell, arguments, tally);
        session.Record(new OperationStarted(operationId, arguments[1], sessionId, start, shell, arguments, cwd)
        {
            Provenance = session.Provenance(cwd),
        }, tally);
        using var none = new CapturedOutput("stdout", spillDirectory: null);
        var stored = OutputStore.Store(none, session.Data.BlobDirectory(sessionId));
        session.Record(new OperationCaptured(operationId, arguments[1], OperationKinds.Command, sessionId, start, end - start, HooksCaptureMode, stored, string.Empty)
        {
            TraceId = session.TraceId.ToHexString(),
            SpanId = Telemetry.SessionActivities.SpanIdFor(operationId).ToHexString(),
            ParentSpanId = session.ActivityContext.SpanId.ToHexString(),
            Command = shell,
            Arguments = arguments,
            Cwd = cwd,
            ExitCode = exitCode,
            Provenance = session.Provenance(cwd),
        }, null, null, tally);
    }

    /// <summary>The same spool line always gets the same operation id.</summary>
    internal static string OperationIdFor(string sessionId, long lineOffset)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{sessionId}/{lineOffset}")));
        return new Guid(hash.AsSpan(0, 16)).ToString("D");
    }

    private static DateTimeOffset? Epoch(string text) =>
        decimal.TryParse(text.Replace(',', '.'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds) && seconds > 0 && seconds < 100_000_000_000m
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;
}
