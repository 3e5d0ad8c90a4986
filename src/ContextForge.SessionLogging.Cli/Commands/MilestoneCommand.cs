using System.CommandLine;
using System.Text.Json.Nodes;
using ContextForge.SessionLogging.Milestones;

namespace ContextForge.SessionLogging.Cli.Commands;

/// <summary>
/// <c>cfsession milestone NAME [--data key=value ...]</c>: records a milestone by hand in the current session
/// (journal + MilestoneReached on the unified provider). A defined milestone already reached in its scope is
/// refused (exit 65).
/// </summary>
internal static class MilestoneCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The milestone's name (letters, digits, '_', '-', '.')" };
        var data = new Option<string[]>("--data", "-d") { Description = "Data: key=text (a string, exactly as given) or key:=JSON (42, 1.10, true, null, [..], {..}); repeatable", AllowMultipleArgumentsPerToken = false };
        var sessionOption = new Option<string?>("--session", "-s") { Description = "Session id or prefix (default: $CFSESSION_ID, else a new one-shot session)" };
        var command = new Command("milestone", "Record a milestone by hand in the current session") { name, data, sessionOption };
        command.SetAction(parse =>
        {
            string milestone = CheckName(parse.GetValue(name)!);
            var evidence = AchievementCommand.ParseEvidence(parse.GetValue(data) ?? [], "--data");
            var manager = context.CreateManager();
            if (manager.Data.CheckWritable() is { } problem)
                return context.Fail(ExitCodes.JournalUnavailable, $"cannot write to {manager.Data.Root}: {problem}");
            var (session, oneShot) = context.JoinOrOpenOneShot(manager, parse.GetValue(sessionOption), "milestone");
            using var owned = session;
            bool marked = Record(manager, session, milestone, evidence);
            if (oneShot) session.End();
            if (!marked) return context.Fail(ExitCodes.DataError, AlreadyReached(manager, milestone, session.Id));
            context.WriteRaw(milestone + Environment.NewLine);
            return (int)ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The name, when it is a valid milestone name; else <see cref="CliUsageException"/> saying why.</summary>
    internal static string CheckName(string milestone)
    {
        if (milestone.Length > MilestoneConfig.MaxNameChars)
            throw new CliUsageException($"malformed milestone name '{milestone[..40]}...': {milestone.Length} characters, at most {MilestoneConfig.MaxNameChars} are accepted");
        if (!MilestoneConfig.IsValidName(milestone))
            throw new CliUsageException($"malformed milestone name '{Events.PrintableText.Escape(milestone)}': use letters, digits, '_', '-' and '.'");
        return milestone;
    }

    /// <summary>
    /// Records <paramref name="milestone"/> by hand in <paramref name="session"/> (journal + MilestoneReached), unless a
    /// defined milestone was already reached in its scope; false then (nothing recorded). The CLI and the MCP tool share it.
    /// </summary>
    internal static bool Record(Sessions.SessionManager manager, Sessions.Session session, string milestone, IReadOnlyDictionary<string, object?> evidence)
    {
        string id = session.Id;
        var scope = ScopeOf(manager, milestone);
        var fields = new JsonObject { ["rule_kind"] = "manual", ["scope"] = MilestoneDefinition.ScopeName(scope), ["correlation_id"] = id };
        foreach (var (key, value) in evidence) fields[key] = Records.FieldValues.From(key, value).ToJsonNode();
        var store = new MilestoneStore(manager.Data);
        string markerKey = MilestoneStore.Key(milestone, scope, id);
        bool marked = store.TryMarkReached(markerKey, new ReachedMilestone(milestone, MilestoneDefinition.ScopeName(scope), id, DateTimeOffset.UtcNow, fields, Manual: true));
        if (marked) MilestoneEngine.Record(session, milestone, fields);
        return marked;
    }

    /// <summary>The message for a milestone refused because it was already reached in its scope.</summary>
    internal static string AlreadyReached(Sessions.SessionManager manager, string milestone, string sessionId) =>
        $"milestone '{milestone}' was already reached{(ScopeOf(manager, milestone) == MilestoneScope.Session ? " in session " + sessionId : "")}";

    private static MilestoneScope ScopeOf(Sessions.SessionManager manager, string milestone) =>
        manager.LoadMilestones()?.Definitions.FirstOrDefault(d => d.Name == milestone)?.Scope ?? MilestoneScope.Session;
}
