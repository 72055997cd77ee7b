-- The dashboard's request log filters by route and pages newest first by (time, request id): without this index a
-- route filter reads every record of the time range. Deployment, key and status filters use records_time.
CREATE INDEX IF NOT EXISTS records_route_time ON records (route_id, time_ms);
