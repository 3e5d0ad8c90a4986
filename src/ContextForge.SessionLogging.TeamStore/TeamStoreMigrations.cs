namespace ContextForge.SessionLogging.TeamStore;

/// <summary>
/// The team store's schema as numbered, append-only migrations (a released one is never edited; a change is a new
/// one), applied by <c>cfsession sync --migrate</c> and recorded in <c>cfsession_migrations</c>. docs/team-store.md
/// describes the tables, the partitions, the roles and the policies.
/// </summary>
internal static class TeamStoreMigrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "journal lines by month, blobs, row-level security by team", """
            CREATE EXTENSION IF NOT EXISTS pg_trgm;

            -- Which store this is: the local sync state belongs to one store, so a database recreated at the same
            -- address is pushed to again in full.
            CREATE TABLE cfsession_store (store_id uuid PRIMARY KEY DEFAULT gen_random_uuid(), created_at timestamptz NOT NULL DEFAULT now());
            INSERT INTO cfsession_store DEFAULT VALUES;

            -- Every journal line, byte for byte, with the columns queries filter on. Monthly range partitions on ts;
            -- the partition key is part of the unique key, so (session, segment, seq) stays unique across them (a
            -- line's ts never changes).
            CREATE TABLE journal_lines (
                team text NOT NULL,
                host text NOT NULL,
                user_name text NOT NULL,
                session_id uuid NOT NULL,
                segment text NOT NULL,
                seq bigint NOT NULL,
                ts timestamptz NOT NULL,
                event text NOT NULL,
                operation_name text,
                search_text text,
                search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(search_text, ''))) STORED,
                line bytea NOT NULL,
                pushed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (session_id, segment, seq, ts)
            ) PARTITION BY RANGE (ts);
            CREATE INDEX journal_lines_team_ts ON journal_lines (team, ts DESC);
            CREATE INDEX journal_lines_host_user ON journal_lines (host, user_name, ts DESC);
            CREATE INDEX journal_lines_search ON journal_lines USING gin (search);
            CREATE INDEX journal_lines_operation_trgm ON journal_lines USING gin (operation_name gin_trgm_ops);

            -- Blobs, content-addressed: name is the file name in the session's blobs/ (<sha256>.zst or <sha256>), so
            -- a blob shared by sessions is stored once per team.
            CREATE TABLE journal_blobs (
                team text NOT NULL,
                name text NOT NULL,
                content bytea NOT NULL,
                pushed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (team, name)
            );

            -- One partition per month, created on demand by sync (as the schema's owner, so team roles need no DDL).
            CREATE FUNCTION cfsession_ensure_month(month_start date) RETURNS void
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET TimeZone = 'UTC' AS $$
            DECLARE
                part text := format('journal_lines_%s', to_char(month_start, 'YYYY_MM'));
            BEGIN
                PERFORM pg_advisory_xact_lock(hashtext(part));
                IF to_regclass(part) IS NULL THEN
                    EXECUTE format('CREATE TABLE %I PARTITION OF journal_lines FOR VALUES FROM (%L) TO (%L)',
                        part, month_start::timestamptz, (month_start + interval '1 month')::timestamptz);
                END IF;
            END $$;

            -- Retention: whole months go at once (DROP TABLE of a partition: no row-by-row DELETE, no bloat).
            CREATE FUNCTION cfsession_drop_months_before(cutoff date) RETURNS SETOF text
            LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
            DECLARE
                part record;
            BEGIN
                FOR part IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                            WHERE i.inhparent = 'journal_lines'::regclass AND c.relname ~ '^journal_lines_[0-9]{4}_[0-9]{2}$'
                              AND to_date(substr(c.relname, 15), 'YYYY_MM') < date_trunc('month', cutoff)::date
                LOOP
                    EXECUTE format('DROP TABLE %I', part.relname);
                    RETURN NEXT part.relname;
                END LOOP;
            END $$;

            -- Roles: cfsession_member may push and read (row-level security decides which rows); a team is the group
            -- role cfsession_team_<team> (a member of cfsession_member); cfsession_admin sees every team.
            DO $$
            BEGIN
                BEGIN CREATE ROLE cfsession_member NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
                BEGIN CREATE ROLE cfsession_admin NOLOGIN IN ROLE cfsession_member; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
            END $$;

            -- The teams the current role belongs to (through cfsession_team_<team> roles). Called once per query
            -- (an InitPlan: it is wrapped in a scalar subquery in the policies).
            CREATE FUNCTION cfsession_visible_teams() RETURNS text[]
            LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
                SELECT coalesce(array_agg(substr(r.rolname, length('cfsession_team_') + 1)), '{}')
                FROM pg_roles r
                WHERE r.rolname LIKE 'cfsession\_team\_%' AND pg_has_role(current_user, r.oid, 'MEMBER')
            $$;
            CREATE FUNCTION cfsession_is_admin() RETURNS boolean
            LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
                SELECT pg_has_role(current_user, 'cfsession_admin', 'MEMBER')
            $$;

            ALTER TABLE journal_lines ENABLE ROW LEVEL SECURITY;
            ALTER TABLE journal_blobs ENABLE ROW LEVEL SECURITY;
            CREATE POLICY team_rows ON journal_lines
                USING ((SELECT cfsession_is_admin()) OR team = ANY ((SELECT cfsession_visible_teams())::text[]))
                WITH CHECK (team = ANY ((SELECT cfsession_visible_teams())::text[]));
            CREATE POLICY team_rows ON journal_blobs
                USING ((SELECT cfsession_is_admin()) OR team = ANY ((SELECT cfsession_visible_teams())::text[]))
                WITH CHECK (team = ANY ((SELECT cfsession_visible_teams())::text[]));

            GRANT SELECT ON cfsession_store, cfsession_migrations TO cfsession_member;
            GRANT SELECT, INSERT ON journal_lines, journal_blobs TO cfsession_member;
            GRANT EXECUTE ON FUNCTION cfsession_ensure_month(date), cfsession_visible_teams(), cfsession_is_admin() TO cfsession_member;
            REVOKE EXECUTE ON FUNCTION cfsession_ensure_month(date) FROM PUBLIC;
            REVOKE EXECUTE ON FUNCTION cfsession_drop_months_before(date) FROM PUBLIC;
            """),
        (2, "query columns and session rows: the team store answers --team queries itself", """
            -- What the query API filters, sorts and shows, derived by sync from each line (with its segment's Writer
            -- and OperationStarted lines, as the local index derives it) and written in the same COPY as the line.
            -- Lines pushed before this migration have them null until 'cfsession sync --full' sends them again.
            ALTER TABLE journal_lines
                ADD COLUMN ts_ticks bigint,             -- 100 ns ticks since the Unix epoch: the journal's full precision (ts keeps microseconds)
                ADD COLUMN line_number bigint,          -- the 1-based line in its segment
                ADD COLUMN level integer,
                ADD COLUMN keywords bigint,
                ADD COLUMN operation_id text,
                ADD COLUMN cwd text,
                ADD COLUMN exit_code bigint,
                ADD COLUMN failed boolean,
                ADD COLUMN achievement_type text,
                ADD COLUMN activity_id uuid,
                ADD COLUMN start_ticks bigint,          -- a SessionStart's start_time
                ADD COLUMN fields json,                 -- the event's fields without inline output, key order kept (json, not jsonb); null for a Writer line
                ADD COLUMN writer_provenance json;      -- a Writer line's provenance (merged with its base)
            CREATE INDEX journal_lines_ticks ON journal_lines (ts_ticks DESC) WHERE fields IS NOT NULL;
            CREATE INDEX journal_lines_session_operation ON journal_lines (session_id, operation_id) WHERE operation_id IS NOT NULL;
            CREATE INDEX journal_lines_operation_prefix ON journal_lines (operation_id text_pattern_ops) WHERE operation_id IS NOT NULL;

            -- One row per session and team, recomputed by sync from the session's lines in the transaction that adds
            -- them (serialised per session by an advisory lock): what 'sessions' lists without reading the lines.
            CREATE TABLE journal_sessions (
                team text NOT NULL,
                session_id uuid NOT NULL,
                hosts text[] NOT NULL,
                users text[] NOT NULL,
                name text NOT NULL,
                type text NOT NULL,
                start_host text,
                start_fields json,
                end_fields json,
                start_ticks bigint,
                end_ticks bigint,
                first_ticks bigint,
                last_ticks bigint,
                operation_count bigint NOT NULL,
                failed_operation_count bigint NOT NULL,
                achievement_count bigint NOT NULL,
                last_exit_code bigint,
                activity_id uuid,
                incomplete_operation_count bigint NOT NULL,
                PRIMARY KEY (team, session_id)
            );
            CREATE INDEX journal_sessions_start ON journal_sessions (start_ticks DESC NULLS LAST, session_id);
            CREATE INDEX journal_sessions_id ON journal_sessions (session_id);
            ALTER TABLE journal_sessions ENABLE ROW LEVEL SECURITY;
            CREATE POLICY team_rows ON journal_sessions
                USING ((SELECT cfsession_is_admin()) OR team = ANY ((SELECT cfsession_visible_teams())::text[]))
                WITH CHECK (team = ANY ((SELECT cfsession_visible_teams())::text[]));
            GRANT SELECT, INSERT, UPDATE ON journal_sessions TO cfsession_member;
            -- A line pushed again after this migration fills the query columns it lacked: UPDATE of those columns only,
            -- never of the line's bytes, team, host or user.
            GRANT UPDATE (ts_ticks, line_number, level, keywords, operation_id, operation_name, cwd, exit_code, failed, achievement_type,
                activity_id, start_ticks, fields, writer_provenance, search_text) ON journal_lines TO cfsession_member;
            """),
        (3, "search words cut by the local index's tokenizer", """
            -- Search answers as the local index answers (docs/team-store.md "Search"): sync cuts a capture's searchable
            -- text into the words of the local index's tokenizer (SQLite FTS5 unicode61: case folded, diacritics
            -- removed, punctuation a separator) and writes them in order (search_tokens: joined by single spaces) and
            -- as a tsvector of the distinct words (search_words, made by array_to_tsvector: PostgreSQL's own parser
            -- and dictionaries never see the text). A phrase is checked on search_tokens. The rows already on the
            -- server are cut by 'cfsession sync --migrate' after this script, in the same transaction.
            ALTER TABLE journal_lines DROP COLUMN search;
            ALTER TABLE journal_lines ADD COLUMN search_tokens text, ADD COLUMN search_words tsvector;
            CREATE INDEX journal_lines_search_words ON journal_lines USING gin (search_words);
            GRANT UPDATE (search_tokens, search_words) ON journal_lines TO cfsession_member;
            """),
    ];
}
