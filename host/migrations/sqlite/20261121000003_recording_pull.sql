-- Recordings pulled from recording sources (DTAC orktrack, 3CX cloud) and
-- stored by the host, next to the links vendors send by webhook.

-- `status`: `linked` (a vendor's URL, not downloaded), `stored` (audio in our
-- storage under `storage_key`), `failed` (known but not storable, `error` says
-- why, e.g. over the size cap).
ALTER TABLE recordings ADD COLUMN integration_id TEXT;
ALTER TABLE recordings ADD COLUMN remote_id TEXT;
ALTER TABLE recordings ADD COLUMN status TEXT NOT NULL DEFAULT 'linked';
ALTER TABLE recordings ADD COLUMN storage_key TEXT;
ALTER TABLE recordings ADD COLUMN size_bytes INTEGER;
ALTER TABLE recordings ADD COLUMN sha256 TEXT;
ALTER TABLE recordings ADD COLUMN error TEXT;
ALTER TABLE recordings ADD COLUMN started_at INTEGER;
ALTER TABLE recordings ADD COLUMN duration_sec INTEGER;
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
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    interval_sec     INTEGER NOT NULL,
    next_run_at      INTEGER NOT NULL,
    requested_at     INTEGER,
    lease_owner      TEXT,
    lease_until      INTEGER,
    last_started_at  INTEGER,
    last_finished_at INTEGER,
    last_success_at  INTEGER,
    last_error       TEXT,
    failures         INTEGER NOT NULL DEFAULT 0,
    last_run_stored  INTEGER NOT NULL DEFAULT 0,
    last_run_failed  INTEGER NOT NULL DEFAULT 0,
    last_run_skipped INTEGER NOT NULL DEFAULT 0,
    total_stored     INTEGER NOT NULL DEFAULT 0,
    total_failed     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);
CREATE INDEX recording_syncs_due ON recording_syncs (next_run_at);
