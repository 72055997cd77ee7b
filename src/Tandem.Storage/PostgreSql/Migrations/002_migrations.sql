-- Migration state, stage changes, gate evaluations and shadow samples, in the same schema as the records. Before
-- this version the gateway created the first three tables on first use with CREATE TABLE IF NOT EXISTS, outside
-- schema_migrations: IF NOT EXISTS keeps those tables and their rows. Times are Unix microseconds (UTC), as these
-- tables have always had them.
CREATE TABLE IF NOT EXISTS tandem_migration_state (
    route            TEXT    PRIMARY KEY,
    incumbent        TEXT    NOT NULL,
    candidate        TEXT    NOT NULL,
    stage            TEXT    NOT NULL,
    canary_step      INTEGER NOT NULL,
    started_at       BIGINT  NOT NULL,
    stage_entered_at BIGINT  NOT NULL,
    pinned           INTEGER NOT NULL,
    version          BIGINT  NOT NULL
);

-- Starts, stage changes and drift, with their evidence: the history `migrate status` pages through.
CREATE TABLE IF NOT EXISTS tandem_migration_event (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route        TEXT   NOT NULL,
    time         BIGINT NOT NULL,
    kind         TEXT   NOT NULL,
    from_stage   TEXT,
    to_stage     TEXT,
    trigger_kind TEXT   NOT NULL,
    evidence     TEXT   NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_tandem_migration_event_route ON tandem_migration_event (route, id);

-- One compared pair of answers (or a failure) per shadowed request; deleted with the records' retention.
CREATE TABLE IF NOT EXISTS tandem_shadow_sample (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route                TEXT   NOT NULL,
    request_id           TEXT   NOT NULL,
    time                 BIGINT NOT NULL,
    stage                TEXT   NOT NULL,
    served_by            TEXT   NOT NULL,
    incumbent_answer     TEXT,
    candidate_answer     TEXT,
    incumbent_label      TEXT,
    candidate_label      TEXT,
    agree                INTEGER,
    similarity           DOUBLE PRECISION,
    candidate_error      TEXT,
    incumbent_error      TEXT,
    incumbent_latency_ms DOUBLE PRECISION,
    candidate_latency_ms DOUBLE PRECISION,
    candidate_cost       DOUBLE PRECISION,
    judge_score          DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS ix_tandem_shadow_sample_route_time ON tandem_shadow_sample (route, time);
-- Samples arrive in time order: a BRIN index serves the retention delete at a fraction of a B-tree's size.
CREATE INDEX IF NOT EXISTS ix_tandem_shadow_sample_time ON tandem_shadow_sample USING brin (time);

-- Gate evaluations as runs of one (stage, outcome): a new row when either changes, else the latest row is updated.
CREATE TABLE tandem_migration_evaluation (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route      TEXT    NOT NULL,
    first_time BIGINT  NOT NULL,
    time       BIGINT  NOT NULL,
    stage      TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    count      INTEGER NOT NULL,
    evidence   TEXT    NOT NULL
);
CREATE INDEX ix_tandem_migration_evaluation_route ON tandem_migration_evaluation (route, id);
CREATE INDEX ix_tandem_migration_evaluation_time ON tandem_migration_evaluation (time);

-- Evaluations used to be events, one per tick, which pushed the stage changes out of the history. Keep each route's
-- latest as its first evaluation run and drop the rest. (Their evidence was always written by Tandem as JSON.)
INSERT INTO tandem_migration_evaluation (route, first_time, time, stage, outcome, count, evidence)
SELECT e.route, e.time, e.time, COALESCE(e.from_stage, ''),
       CASE WHEN (e.evidence::jsonb ->> 'all_passed')::boolean THEN 'pass'
            ELSE 'fail: ' || COALESCE((SELECT string_agg(g ->> 'gate', ', ' ORDER BY n)
                                       FROM jsonb_array_elements(e.evidence::jsonb -> 'gates') WITH ORDINALITY AS t(g, n)
                                       WHERE NOT (g ->> 'passed')::boolean), '')
       END,
       1, e.evidence
FROM tandem_migration_event AS e
WHERE e.kind = 'evaluate'
  AND e.id = (SELECT MAX(x.id) FROM tandem_migration_event AS x WHERE x.route = e.route AND x.kind = 'evaluate');
DELETE FROM tandem_migration_event WHERE kind = 'evaluate';
