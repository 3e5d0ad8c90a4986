using Npgsql;
using NpgsqlTypes;

namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// <c>journal_sessions</c>: one row per session and team, recomputed from the session's lines in the transaction
/// that adds them, as the local index recomputes its session rows (<c>JournalIndexer.RecomputeSession</c>): the
/// first SessionStart's fields, the last SessionEnd's, the counts, the first and last times, the last exit code, the
/// activity id of the first event, and how many operations started without a capture. Liveness (open, abandoned,
/// interrupted) is judged when a query reads the row, by the machine that asks, as the local index judges it.
/// </summary>
internal static class TeamSessionRows
{
    private const string Recompute = """
        INSERT INTO journal_sessions AS s (team, session_id, hosts, users, name, type, start_host, start_fields, end_fields, start_ticks, end_ticks,
            first_ticks, last_ticks, operation_count, failed_operation_count, achievement_count, last_exit_code, activity_id, incomplete_operation_count)
        SELECT a.team, a.session_id, a.hosts, a.users, coalesce(a.start_fields->>'session_name', ''), coalesce(a.start_fields->>'session_type', ''),
            a.start_fields->'provenance'->>'host', a.start_fields, a.end_fields, coalesce(a.start_time_ticks, a.start_event_ticks, a.first_ticks),
            a.end_ticks, a.first_ticks, a.last_ticks, a.operations, a.failed, a.achievements, a.last_exit_code, a.activity_id,
            (SELECT count(*) FROM journal_lines o WHERE o.team = a.team AND o.session_id = a.session_id AND o.event = 'OperationStarted' AND o.fields IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM journal_lines c WHERE c.team = o.team AND c.session_id = o.session_id AND c.operation_id = o.operation_id
                    AND c.event IN ('TerminalCapture', 'TerminalCaptureFailed') AND c.fields IS NOT NULL))
        FROM (
            SELECT l.team, l.session_id, array_agg(DISTINCT l.host) AS hosts, array_agg(DISTINCT l.user_name) AS users,
                (array_agg(l.fields ORDER BY l.ts_ticks, (l.segment || '.jsonl') COLLATE "C", l.seq) FILTER (WHERE l.event = 'SessionStart'))[1] AS start_fields,
                (array_agg(l.start_ticks ORDER BY l.ts_ticks, (l.segment || '.jsonl') COLLATE "C", l.seq) FILTER (WHERE l.event = 'SessionStart'))[1] AS start_time_ticks,
                min(l.ts_ticks) FILTER (WHERE l.event = 'SessionStart') AS start_event_ticks,
                (array_agg(l.fields ORDER BY l.ts_ticks DESC, (l.segment || '.jsonl') COLLATE "C" DESC, l.seq DESC) FILTER (WHERE l.event = 'SessionEnd'))[1] AS end_fields,
                max(l.ts_ticks) FILTER (WHERE l.event = 'SessionEnd') AS end_ticks,
                min(l.ts_ticks) AS first_ticks, max(l.ts_ticks) AS last_ticks,
                count(*) FILTER (WHERE l.event IN ('TerminalCapture', 'TerminalCaptureFailed')) AS operations,
                count(*) FILTER (WHERE l.failed) AS failed,
                count(*) FILTER (WHERE l.event = 'AchievementLogged') AS achievements,
                (array_agg(l.exit_code ORDER BY l.ts_ticks DESC, (l.segment || '.jsonl') COLLATE "C" DESC, l.seq DESC) FILTER (WHERE l.event = 'TerminalCapture'))[1] AS last_exit_code,
                (array_agg(l.activity_id ORDER BY l.ts_ticks, (l.segment || '.jsonl') COLLATE "C", l.seq))[1] AS activity_id
            FROM journal_lines l
            WHERE l.team = $1 AND l.session_id = ANY($2) AND l.fields IS NOT NULL
            GROUP BY l.team, l.session_id
        ) a
        ON CONFLICT (team, session_id) DO UPDATE SET hosts = excluded.hosts, users = excluded.users, name = excluded.name, type = excluded.type,
            start_host = excluded.start_host, start_fields = excluded.start_fields, end_fields = excluded.end_fields, start_ticks = excluded.start_ticks,
            end_ticks = excluded.end_ticks, first_ticks = excluded.first_ticks, last_ticks = excluded.last_ticks, operation_count = excluded.operation_count,
            failed_operation_count = excluded.failed_operation_count, achievement_count = excluded.achievement_count, last_exit_code = excluded.last_exit_code,
            activity_id = excluded.activity_id, incomplete_operation_count = excluded.incomplete_operation_count
        """;

    /// <summary>Recomputes the rows of <paramref name="sessions"/> (for <paramref name="team"/>), each under its advisory lock, taken in order.</summary>
    public static async Task RecomputeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string team, Guid[] sessions, CancellationToken cancellationToken)
    {
        if (sessions.Length == 0) return;
        Array.Sort(sessions);
        // Two syncs adding lines of one session serialise here, so the second recomputes with the first's lines.
        await using (var locks = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('cfsession_session:' || s::text, 0)) FROM (SELECT unnest($1) AS s ORDER BY 1) o", connection, tx))
        {
            locks.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = sessions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await locks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var recompute = new NpgsqlCommand(Recompute, connection, tx);
        recompute.Parameters.Add(new NpgsqlParameter<string> { TypedValue = team });
        recompute.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = sessions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await recompute.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
