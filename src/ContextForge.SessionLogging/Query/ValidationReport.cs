using ContextForge.SessionLogging.Validation;

namespace ContextForge.SessionLogging.Query;

/// <summary>
/// What validate found (docs/cli.md lists every finding kind). JSON: <c>{schema_version, sessions_checked, valid,
/// errors, warnings, findings}</c>.
/// </summary>
public sealed class ValidationReport
{
    internal ValidationReport(int sessionsChecked, IReadOnlyList<ValidationFinding> findings)
    {
        SessionsChecked = sessionsChecked;
        Findings = findings;
        Errors = findings.Count(f => f.Severity == "error");
    }

    /// <summary>The version of this document's shape.</summary>
    public int SchemaVersion => SessionQueries.SchemaVersion;

    /// <summary>How many sessions were checked.</summary>
    public int SessionsChecked { get; }

    /// <summary>True when no finding is an error (warnings allowed).</summary>
    public bool Valid => Errors == 0;

    /// <summary>How many findings are errors.</summary>
    public int Errors { get; }

    /// <summary>How many findings are warnings.</summary>
    public int Warnings => Findings.Count - Errors;

    /// <summary>Every finding, session by session.</summary>
    public IReadOnlyList<ValidationFinding> Findings { get; }

    /// <summary>The document as indented JSON.</summary>
    public string ToJson() => QueryJson.Serialize(this);
}
