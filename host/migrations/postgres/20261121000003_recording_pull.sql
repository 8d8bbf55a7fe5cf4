-- Recordings pulled from recording sources (DTAC orktrack, 3CX cloud) and
-- stored by the host, next to the links vendors send by webhook.

-- `status`: `linked` (a vendor's URL, not downloaded), `stored` (audio in our
-- storage under `storage_key`), `failed` (known but not storable, `error` says
-- why, e.g. over the size cap).
ALTER TABLE recordings ADD COLUMN integration_id TEXT;
ALTER TABLE recordings ADD COLUMN remote_id TEXT;
ALTER TABLE recordings ADD COLUMN status TEXT NOT NULL DEFAULT 'linked';
ALTER TABLE recordings ADD COLUMN storage_key TEXT;
ALTER TABLE recordings ADD COLUMN size_bytes BIGINT;
ALTER TABLE recordings ADD COLUMN sha256 TEXT;
ALTER TABLE recordings ADD COLUMN error TEXT;
ALTER TABLE recordings ADD COLUMN started_at BIGINT;
ALTER TABLE recordings ADD COLUMN duration_sec BIGINT;
-- A source's recording is stored once, whatever the restarts and retries.
CREATE UNIQUE INDEX recordings_by_remote ON recordings (integration_id, remote_id);
CREATE INDEX recordings_by_business ON recordings (business_id, created_at, id);

-- Linking a pulled recording to a call another integration (a webhook) made.
CREATE INDEX calls_by_chain ON calls (business_id, chain_id);

-- The pull schedule of each recording-source integration. The lease makes at
-- most one sync of an integration run at a time across every server sharing
-- the database; a crashed holder's lease simply expires.
CREATE TABLE recording_syncs (
    integration_id   TEXT PRIMARY KEY NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    business_id      TEXT NOT NULL,
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    interval_sec     BIGINT NOT NULL,
    next_run_at      BIGINT NOT NULL,
    requested_at     BIGINT,
    lease_owner      TEXT,
    lease_until      BIGINT,
    last_started_at  BIGINT,
    last_finished_at BIGINT,
    last_success_at  BIGINT,
    last_error       TEXT,
    failures         BIGINT NOT NULL DEFAULT 0,
    last_run_stored  BIGINT NOT NULL DEFAULT 0,
    last_run_failed  BIGINT NOT NULL DEFAULT 0,
    last_run_skipped BIGINT NOT NULL DEFAULT 0,
    total_stored     BIGINT NOT NULL DEFAULT 0,
    total_failed     BIGINT NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX recording_syncs_due ON recording_syncs (next_run_at);
