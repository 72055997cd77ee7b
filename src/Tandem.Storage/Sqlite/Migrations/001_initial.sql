-- Tandem records, SQLite dialect. Repeated strings live once in `dictionary` (id 0 = none); times are Unix
-- milliseconds (UTC); durations are microseconds; cost is in nano-dollars (1e-9 USD).
CREATE TABLE dictionary (
    id    INTEGER PRIMARY KEY,
    kind  INTEGER NOT NULL,
    value TEXT    NOT NULL,
    UNIQUE (kind, value)
);

CREATE TABLE records (
    time_ms           INTEGER NOT NULL,
    request_id        TEXT    NOT NULL,
    operation         INTEGER NOT NULL,
    key_id            INTEGER NOT NULL,
    route_id          INTEGER NOT NULL,
    deployment_id     INTEGER NOT NULL,
    decision_id       INTEGER NOT NULL,
    flags             INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    error_id          INTEGER NOT NULL,
    attempt_count     INTEGER NOT NULL,
    attempt_status    INTEGER NOT NULL,
    attempt_error_id  INTEGER NOT NULL,
    attempt_us        INTEGER NOT NULL,
    overhead_us       INTEGER NOT NULL,
    upstream_us       INTEGER NOT NULL,
    ttft_us           INTEGER,
    total_us          INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cost_nanos        INTEGER NOT NULL,
    finish_id         INTEGER NOT NULL,
    model_id          INTEGER NOT NULL,
    fingerprint_id    INTEGER NOT NULL,
    end_user_id       INTEGER NOT NULL,
    tags              TEXT
);
CREATE INDEX records_time ON records (time_ms);
CREATE INDEX records_request ON records (request_id);

-- Every try of requests that tried more than one deployment (the single try of the others is inline above).
CREATE TABLE attempts (
    request_id    TEXT    NOT NULL,
    time_ms       INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    deployment_id INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    error_id      INTEGER NOT NULL,
    latency_us    INTEGER NOT NULL
);
CREATE INDEX attempts_request ON attempts (request_id);
CREATE INDEX attempts_time ON attempts (time_ms);

-- Prompt and answer content, only for routes whose capture setting allows it.
CREATE TABLE contents (
    request_id TEXT    NOT NULL,
    time_ms    INTEGER NOT NULL,
    prompt     TEXT,
    response   TEXT
);
CREATE INDEX contents_request ON contents (request_id);
CREATE INDEX contents_time ON contents (time_ms);

-- Batches already committed, so that a batch retried after an ambiguous failure is not written twice.
CREATE TABLE batches (
    id      TEXT    PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    size    INTEGER NOT NULL
) WITHOUT ROWID;

-- Daily roll-ups per route, deployment and key, kept longer than raw records.
CREATE TABLE rollups (
    day               INTEGER NOT NULL,
    route_id          INTEGER NOT NULL,
    deployment_id     INTEGER NOT NULL,
    key_id            INTEGER NOT NULL,
    requests          INTEGER NOT NULL,
    errors            INTEGER NOT NULL,
    estimated         INTEGER NOT NULL,
    prompt_tokens     INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    cost_nanos        INTEGER NOT NULL,
    p50_us            INTEGER NOT NULL,
    p95_us            INTEGER NOT NULL,
    p99_us            INTEGER NOT NULL,
    PRIMARY KEY (day, route_id, deployment_id, key_id)
) WITHOUT ROWID;

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
