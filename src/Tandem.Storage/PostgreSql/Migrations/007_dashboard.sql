-- The dashboard's request log pages newest first by (time, request id). The BRIN index on time_ms (001) cannot return
-- rows in order, so a first page would sort the whole table: a B-tree on time_ms returns them in order (with an
-- incremental sort on request id). A route filter uses records_route_time; deployment, key and status filters scan
-- records_time_order and filter.
CREATE INDEX IF NOT EXISTS records_time_order ON records (time_ms);
CREATE INDEX IF NOT EXISTS records_route_time ON records (route_id, time_ms);
