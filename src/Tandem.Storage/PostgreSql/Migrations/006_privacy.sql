-- Privacy (issue 16): captured content encrypted at rest and erasure of one end user.
-- key_id names the encryption key of a row's content columns (privacy.encryption.keys[].id); NULL means the row was
-- written in clear text (before encryption was configured) and is read as it is.
ALTER TABLE contents ADD COLUMN key_id TEXT;
ALTER TABLE tandem_feedback ADD COLUMN key_id TEXT;
ALTER TABLE tandem_shadow_sample ADD COLUMN key_id TEXT;

-- `tandem records erase --user ID` finds one end user's records without a scan; feedback carries the id as sent.
CREATE INDEX records_end_user ON records (end_user_id);
CREATE INDEX ix_tandem_feedback_end_user ON tandem_feedback (end_user);
CREATE INDEX ix_tandem_shadow_sample_request ON tandem_shadow_sample (request_id);
