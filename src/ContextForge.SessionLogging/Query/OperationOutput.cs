using ContextForge.SessionLogging.Journal;

namespace ContextForge.SessionLogging.Query;

/// <summary>One operation's recorded output: its stored outputs, primary output first, then stderr when recorded apart.</summary>
public sealed class OperationOutput
{
    internal OperationOutput(string sessionId, string operationId, string file, long line, IReadOnlyList<StoredOutput> outputs, System.Text.Json.Nodes.JsonObject? captureLine = null)
    {
        CaptureLine = captureLine;
        SessionId = sessionId;
        OperationId = operationId;
        File = file;
        Line = line;
        Outputs = outputs;
    }

    /// <summary>The session (correlation) id.</summary>
    public string SessionId { get; }

    /// <summary>The operation's full id.</summary>
    public string OperationId { get; }

    /// <summary>The segment that holds its capture, <c>&lt;session-id&gt;/&lt;segment&gt;.jsonl</c>.</summary>
    public string File { get; }

    /// <summary>The capture's 1-based line in that segment.</summary>
    public long Line { get; }

    /// <summary>The capture event as history gives it (<c>event</c>, <c>timestamp</c>, <c>session_id</c>, ..., its fields without inline output).</summary>
    internal System.Text.Json.Nodes.JsonObject? CaptureLine { get; }

    /// <summary>Where each output's exact bytes are stored: <c>output</c> first, then <c>stderr</c> when recorded apart.</summary>
    public IReadOnlyList<StoredOutput> Outputs { get; }
}

/// <summary>An operation id prefix matches more than one operation of the session.</summary>
public sealed class AmbiguousOperationException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="operation"/>.</summary>
    /// <param name="operation">The prefix given.</param>
    public AmbiguousOperationException(string operation)
        : base($"operation '{operation}' matches more than one operation; give more characters") => Operation = operation;

    /// <summary>The prefix given.</summary>
    public string Operation { get; }
}
