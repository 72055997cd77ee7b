-- Feedback on requests and the LoRA adapters registered as deployments. Feedback never changes a record: several
-- rows per request, each with its time (Unix microseconds, UTC) and author (the gateway key's name).
CREATE TABLE tandem_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT    NOT NULL,
    time        BIGINT  NOT NULL,
    author      TEXT    NOT NULL,
    route       TEXT,
    deployment  TEXT,
    scale       TEXT    NOT NULL,
    rating      INTEGER,
    correction  TEXT,
    comment     TEXT,
    end_user    TEXT,
    tags        TEXT,
    messages    TEXT,
    answer      TEXT
);
CREATE INDEX ix_tandem_feedback_request ON tandem_feedback (request_id);
CREATE INDEX ix_tandem_feedback_route_time ON tandem_feedback (route, time);

-- Adapters registered on a base deployment's provider, reloaded onto replicas that restart.
CREATE TABLE tandem_adapter (
    name          TEXT   PRIMARY KEY,
    base          TEXT   NOT NULL,
    path          TEXT   NOT NULL,
    dataset       TEXT,
    eval          TEXT,
    registered_at BIGINT NOT NULL
);
