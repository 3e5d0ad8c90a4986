namespace ContextForge.SessionLogging.Milestones;

/// <summary>What a milestone counts.</summary>
internal enum MilestoneKind
{
    /// <summary>N achievements (of one type, or of any type) logged.</summary>
    Achievements,
    /// <summary>N operations (captures, failed or not) recorded.</summary>
    Operations,
    /// <summary>A session ended with at least one operation and none failed.</summary>
    CleanSession,
}

/// <summary>Where a milestone counts: within each session (reached once per session), or across all of them (once ever).</summary>
internal enum MilestoneScope
{
    Session,
    AllTime,
}

/// <summary>One milestone rule from <c>milestones.json</c>.</summary>
internal sealed record MilestoneDefinition(
    string Name,
    MilestoneKind Kind,
    MilestoneScope Scope,
    int Count,
    string? AchievementType,
    string Description,
    int Line)
{
    public static string KindName(MilestoneKind kind) => kind switch
    {
        MilestoneKind.Achievements => "achievements",
        MilestoneKind.Operations => "operations",
        _ => "clean_session",
    };

    public static string ScopeName(MilestoneScope scope) => scope == MilestoneScope.Session ? "session" : "all_time";
}
