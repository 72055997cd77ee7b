-- Budget and rate-limit counters (limits:): one row per limit and window (its id names both), shared by every gateway
-- instance on this database. A request is admitted by one upsert per counter that adds its charge only while the
-- counter stays within its cap; rows are deleted some time after their window ends (expires_at_ms, Unix ms).
CREATE TABLE tandem_limit_counter (
    id            TEXT   PRIMARY KEY,
    used          BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX ix_tandem_limit_counter_expires ON tandem_limit_counter (expires_at_ms);
