-- Virtual keys (issue 16): only the SHA-256 of each key is stored, never the key. Times are Unix microseconds (UTC).
-- A revoked key keeps its row (revoked_at), so that the audit log and records can still name it.
CREATE TABLE tandem_key (
    id           TEXT   PRIMARY KEY,
    name         TEXT   NOT NULL,
    hash         TEXT   NOT NULL UNIQUE,
    prefix       TEXT   NOT NULL,
    owner        TEXT,
    team         TEXT,
    role         TEXT,
    routes       TEXT   NOT NULL,
    metadata     TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    rotated_from TEXT
);
CREATE INDEX ix_tandem_key_created ON tandem_key (created_at);

-- Change counters polled by every instance (keys, config): one small read per poll, whatever the number of keys.
CREATE TABLE tandem_signal (
    name    TEXT   PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO tandem_signal (name, version) VALUES ('keys', 0), ('config', 0);

-- The audit log of admin actions and key lifecycle: append-only. Tandem never updates or deletes a row, and the
-- triggers below refuse it to anyone else too (dropping the trigger takes the table owner, on purpose).
CREATE TABLE tandem_audit (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time         BIGINT  NOT NULL,
    actor        TEXT    NOT NULL,
    actor_key_id TEXT,
    action       TEXT    NOT NULL,
    object       TEXT,
    before       TEXT,
    after        TEXT,
    status       INTEGER NOT NULL,
    request_id   TEXT
);
CREATE INDEX ix_tandem_audit_time ON tandem_audit (time);
CREATE INDEX ix_tandem_audit_actor_time ON tandem_audit (actor, time);
CREATE INDEX ix_tandem_audit_object_time ON tandem_audit (object, time);

CREATE FUNCTION tandem_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tandem_audit is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER tandem_audit_no_update_delete BEFORE UPDATE OR DELETE ON tandem_audit
    FOR EACH ROW EXECUTE FUNCTION tandem_audit_append_only();
CREATE TRIGGER tandem_audit_no_truncate BEFORE TRUNCATE ON tandem_audit
    FOR EACH STATEMENT EXECUTE FUNCTION tandem_audit_append_only();
