-- Failed tries at downloading one listed recording of a recording source.
-- A download that fails transiently stops the run (the page is listed again
-- next time); after `recording_link_attempts` tries the recording is
-- recorded as failed and the sync moves past it, so one file the vendor
-- keeps refusing cannot hold every later recording back. The row goes once
-- the recording is recorded.
CREATE TABLE pull_attempts (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    remote_id      TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    last_error     TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (integration_id, remote_id)
);
