using ContextForge.SessionLogging.Sessions;
using Spectre.Console;

namespace ContextForge.SessionLogging.Cli;

/// <summary>What every command is given: the consoles it writes to, the environment it reads, the data directory.</summary>
internal sealed class CliContext
{
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="environment">The environment (null: the process's).</param>
    /// <param name="terminal">
    /// Whether standard output is a terminal: decided once by the host (Program: stdout not redirected), never by a
    /// command. A terminal gets tables laid out to its width (<c>COLUMNS</c> when set); anything else gets one record
    /// per tab-separated line with full ids and nothing wrapped or cut.
    /// </param>
    public CliContext(IAnsiConsole output, IAnsiConsole error, IReadOnlyDictionary<string, string?>? environment = null, bool terminal = true)
    {
        Output = output;
        Error = error;
        _environment = environment;
        Terminal = terminal;
        if (ColumnsFromEnvironment() is { } columns) Output.Profile.Width = columns;
        // Text that is not a listing (validate's findings, inspect's view) is never wrapped when read by a program.
        else if (!terminal) Output.Profile.Width = NoWrapWidth;
    }

    /// <summary>The width given to Spectre when stdout is not a terminal: wide enough that nothing wraps.</summary>
    internal const int NoWrapWidth = 4096;

    /// <summary>Whether standard output is a terminal (tables) or a pipe or file (tab-separated lines).</summary>
    public bool Terminal { get; }

    /// <summary><c>COLUMNS</c> as a width, when it is a positive number (as shells and <c>ls</c> read it).</summary>
    private int? ColumnsFromEnvironment() =>
        int.TryParse(GetEnvironment("COLUMNS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is > 0 and <= NoWrapWidth ? n : null;

    private readonly IReadOnlyDictionary<string, string?>? _environment;

    /// <summary>Standard output: results (tables, JSON, export lines).</summary>
    public IAnsiConsole Output { get; }

    /// <summary>Standard error: messages for the person, errors.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Show stack traces for unexpected errors.</summary>
    public bool Verbose { get; set; }

    public string? GetEnvironment(string name) =>
        _environment is not null ? _environment.GetValueOrDefault(name) : Environment.GetEnvironmentVariable(name);

    /// <summary>
    /// The data directory (<c>CFSESSION_HOME</c>, else the default), without a <see cref="SessionManager"/>: the read
    /// commands (sessions, history, search, inspect, show) record nothing, so they load no redaction rules.
    /// </summary>
    public DataDirectory Data() =>
        GetEnvironment(DataDirectory.HomeVariable) is { Length: > 0 } home ? new DataDirectory(home) : DataDirectory.Default();

    public SessionManager CreateManager(bool redact = true, long? maxOutputBytes = null, string? rulesFile = null, string? dataDirectory = null)
    {
        var manager = new SessionManager(new SessionLoggingOptions
        {
            DataDirectory = dataDirectory ?? (GetEnvironment(DataDirectory.HomeVariable) is { Length: > 0 } home ? home : null),
            ToolName = "cfsession",
            Warning = Notice,
            Redact = redact,
            MaxOutputBytes = maxOutputBytes,
            RedactionRulesFile = rulesFile,
        });
        return manager;
    }

    /// <summary>Standard input as bytes (a hook's payload; tests substitute a buffer).</summary>
    public Func<Stream> OpenStandardInput { get; init; } = Console.OpenStandardInput;

    /// <summary>Standard output as bytes, for replaying captured output exactly (tests substitute a buffer).</summary>
    public Func<Stream> OpenRawOutput { get; init; } = Console.OpenStandardOutput;

    /// <summary>Writes text exactly as given (no markup, no wrapping), for JSON and shell lines.</summary>
    public void WriteRaw(string text)
    {
        var writer = Output.Profile.Out.Writer;
        writer.Write(text);
        writer.Flush();
    }

    /// <summary>Prints a one-line error to stderr and returns its exit code.</summary>
    public int Fail(ExitCodes code, string message)
    {
        Notice(message);
        return (int)code;
    }

    /// <summary>Prints a one-line notice to stderr, prefixed with the tool's name once.</summary>
    public void Notice(string message)
    {
        const string prefix = "cfsession: ";
        Error.Profile.Out.Writer.WriteLine(message.StartsWith(prefix, StringComparison.Ordinal) ? message : prefix + message);
        Error.Profile.Out.Writer.Flush();
    }

    /// <summary>
    /// The one rule for the session a command acts on: the argument, else the current session (CFSESSION_ID), else
    /// the newest recorded session; exit 66 when there is none.
    /// </summary>
    public string ResolveSession(SessionManager manager, string? argument)
    {
        if (CurrentSession(manager, argument) is { } id) return id;
        using var queries = Query.SessionQueries.Open(manager.Data);
        return queries.Sessions(1).Sessions.FirstOrDefault()?.SessionId
            ?? throw new SessionNotFoundException("", $"no sessions recorded in {manager.Data.Root} yet: try 'cfsession run -- echo hello'");
    }

    /// <summary>The session a read command names: the argument, else the current session, else the newest session, in the backend queried.</summary>
    public string ResolveSession(Query.SessionQueries queries, string? argument)
    {
        string? given = !string.IsNullOrWhiteSpace(argument) ? argument : GetEnvironment(Capture.SessionEnvironment.SessionId) is { Length: > 0 } current ? current : null;
        if (given is not null) return queries.ResolveSessionId(given);
        return queries.Sessions(1).Sessions.FirstOrDefault()?.SessionId
            ?? throw new SessionNotFoundException("", $"no sessions recorded in {queries.Source} yet: try 'cfsession run -- echo hello'");
    }

    /// <summary>The argument, else the current session (CFSESSION_ID); null when neither is given.</summary>
    public string? CurrentSession(SessionManager manager, string? argument)
    {
        if (!string.IsNullOrWhiteSpace(argument)) return manager.ResolveSessionId(argument);
        if (GetEnvironment(Capture.SessionEnvironment.SessionId) is { Length: > 0 } current) return manager.ResolveSessionId(current);
        return null;
    }

    /// <summary>
    /// The session a recording command (<c>achievement</c>, <c>milestone</c>) writes to: the argument or the current
    /// session, else, as <c>run</c> does, a new one-shot session of <paramref name="type"/> that the caller ends
    /// (<c>OneShot</c> true), announced in one line on stderr.
    /// </summary>
    public (Session Session, bool OneShot) JoinOrOpenOneShot(SessionManager manager, string? argument, string type)
    {
        if (CurrentSession(manager, argument) is { } id) return (manager.Join(id), false);
        var session = manager.Start(null, type);
        Notice($"no current session: recorded in a new one-shot session {session.Id} (type {type}, ended at once); pass --session or eval \"$(cfsession start)\" to record in an open one");
        return (session, true);
    }
}
