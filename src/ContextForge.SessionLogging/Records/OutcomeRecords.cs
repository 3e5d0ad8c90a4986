using System.Diagnostics.Tracing;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Contract;
using ContextForge.SessionLogging.Events;

namespace ContextForge.SessionLogging.Records;

/// <summary>An achievement was logged (<c>AchievementLogged</c>): a verified outcome with its evidence.</summary>
public sealed record AchievementLogged : SessionRecord
{
    /// <summary>Creates the record.</summary>
    public AchievementLogged(string achievementId, string correlationId, string achievementType, string description, DateTimeOffset timestamp, IReadOnlyList<EventField> evidence)
        : base(timestamp)
    {
        AchievementId = achievementId;
        CorrelationId = correlationId;
        AchievementType = achievementType;
        Description = description;
        Evidence = evidence;
    }

    /// <summary><c>ACH-{first 8 of the session id}-{NNN}</c>.</summary>
    public string AchievementId { get; init; }

    /// <summary>The session (correlation) id.</summary>
    public string CorrelationId { get; init; }

    /// <summary>The kind of outcome, e.g. <c>tests_passed</c>.</summary>
    public string AchievementType { get; init; }

    /// <summary>What was achieved.</summary>
    public string Description { get; init; }

    /// <summary>The evidence entries, in order.</summary>
    public IReadOnlyList<EventField> Evidence { get; init; }

    /// <summary>Whether a provider listener was enabled when it was written.</summary>
    public bool? ProviderEnabled { get; init; }

    internal override EventContract Contract => EventContracts.AchievementLogged;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        f[JournalFields.AchievementId] = AchievementId;
        f[JournalFields.CorrelationId] = CorrelationId;
        f[JournalFields.AchievementType] = AchievementType;
        f[JournalFields.Description] = Description;
        f[JournalFields.Timestamp] = RecordTime.Format(Timestamp);
        var evidence = new JsonObject();
        FieldValues.WriteTo(evidence, Evidence, journalNames: false);
        f[JournalFields.Evidence] = evidence;
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
        f[JournalFields.EtwCorrelation] = RecordTime.EtwCorrelation(context, JournalFields.AchievementId, AchievementId);
    }

    internal static AchievementLogged Read(SessionEvent e) =>
        new(e.GetString(JournalFields.AchievementId) ?? string.Empty, e.GetString(JournalFields.CorrelationId) ?? e.SessionId,
            e.GetString(JournalFields.AchievementType) ?? string.Empty, e.GetString(JournalFields.Description) ?? string.Empty,
            FieldReader.Time(e.Fields[JournalFields.Timestamp]) ?? e.Timestamp, FieldReader.Fields(e.Fields[JournalFields.Evidence] as JsonObject))
        {
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
            ProviderEnabled = RecordTime.ProviderEnabled(e),
        };
}

/// <summary>
/// An event of the caller's own (<see cref="Telemetry.UnifiedTelemetry.LogSessionEvent(string, IEnumerable{KeyValuePair{string, object}})"/>,
/// <see cref="Sessions.Session.LogEvent(string, System.Diagnostics.Tracing.EventLevel, IEnumerable{KeyValuePair{string, object}})"/>): any name, the fields as given, on the <c>ContextForge.UnifiedTelemetry</c> provider.
/// </summary>
public record CustomEvent : SessionRecord
{
    /// <summary>Creates the record.</summary>
    public CustomEvent(string name, EventLevel level, DateTimeOffset timestamp, IReadOnlyList<EventField> fields)
        : base(timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        EventLevel = level;
        Fields = fields;
    }

    /// <summary>The event's name as given.</summary>
    public string Name { get; init; }

    /// <summary>The level it was given.</summary>
    public EventLevel EventLevel { get; init; }

    /// <summary>The fields, names as given, in order.</summary>
    public IReadOnlyList<EventField> Fields { get; init; }

    /// <inheritdoc/>
    public override string EventName => Name;

    /// <inheritdoc/>
    public override EventLevel Level => EventLevel;

    internal override EventContract Contract => EventContracts.CustomEvent;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        FieldValues.WriteTo(f, Fields, journalNames: true);
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
    }

    /// <summary>The record of an event of the caller's own: a <see cref="LogEntry"/> for the name <c>LogEntry</c>, else a <see cref="CustomEvent"/>.</summary>
    internal static CustomEvent Of(string name, EventLevel level, DateTimeOffset timestamp, IReadOnlyList<EventField> fields) =>
        name == LogEntry.EventNameConst ? new LogEntry(level, timestamp, fields) : new CustomEvent(name, level, timestamp, fields);

    internal static CustomEvent Read(SessionEvent e) => e.Name == LogEntry.EventNameConst ? LogEntry.ReadEntry(e) : new CustomEvent(e.Name, e.Level, e.Timestamp, ReadCallerFields(e))
    {
        Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
    };

    internal static IReadOnlyList<EventField> ReadCallerFields(SessionEvent e) =>
        FieldReader.Fields(e.Fields, key => key is not JournalFields.Provenance and not JournalFields.MilestoneName and not Redaction.FieldRedaction.RedactionsField)
            .Select(f => f with { Name = FieldValues.CallerName(f.Name) }).ToList();
}

/// <summary>A log entry from ILogger or Serilog (<c>LogEntry</c>): a custom event with the log's fields.</summary>
public sealed record LogEntry : CustomEvent
{
    internal const string EventNameConst = "LogEntry";

    /// <summary>Creates the record.</summary>
    public LogEntry(EventLevel level, DateTimeOffset timestamp, IReadOnlyList<EventField> fields)
        : base(EventNameConst, level, timestamp, fields)
    {
    }

    internal static LogEntry ReadEntry(SessionEvent e) => new(e.Level, e.Timestamp, ReadCallerFields(e))
    {
        Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
    };
}

/// <summary>A milestone was reached (<c>MilestoneReached</c>, Milestone keyword) with its evidence.</summary>
public sealed record MilestoneReached : SessionRecord
{
    /// <summary>Creates the record.</summary>
    public MilestoneReached(string milestoneName, DateTimeOffset timestamp, IReadOnlyList<EventField> evidence)
        : base(timestamp)
    {
        MilestoneName = milestoneName;
        Evidence = evidence;
    }

    /// <summary>The milestone's name.</summary>
    public string MilestoneName { get; init; }

    /// <summary>The evidence, names as given, in order.</summary>
    public IReadOnlyList<EventField> Evidence { get; init; }

    internal override EventContract Contract => EventContracts.MilestoneReached;

    internal override void WriteFields(JsonObject f, in RecordContext context)
    {
        f[JournalFields.MilestoneName] = MilestoneName;
        FieldValues.WriteTo(f, Evidence, journalNames: true);
        if (Provenance is not null) f[JournalFields.Provenance] = Provenance.ToJson();
    }

    internal static MilestoneReached Read(SessionEvent e) =>
        new(e.GetString(JournalFields.MilestoneName) ?? string.Empty, e.Timestamp, CustomEvent.ReadCallerFields(e))
        {
            Provenance = Provenance.FromJson(e.Fields[JournalFields.Provenance]),
        };
}
