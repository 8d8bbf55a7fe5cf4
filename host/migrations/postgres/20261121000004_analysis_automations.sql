-- Call analysis and automations (issue: automations and call analysis).

-- The latest analysis of a call, whichever produced it: the tenant's
-- analyzer component, the vendor (3CX speech analytics) or an external
-- system through POST /calls/{id}/analysis.
CREATE TABLE call_analyses (
    call_id         TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('analyzer', 'vendor', 'api')),
    transcript      TEXT,
    summary         TEXT,
    score           DOUBLE PRECISION,
    sentiment       TEXT,
    tags_json       TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    analyzed_at     BIGINT NOT NULL,
    FOREIGN KEY (business_id, call_id) REFERENCES calls (business_id, id) ON DELETE CASCADE
);
CREATE INDEX call_analyses_recent ON call_analyses (business_id, analyzed_at);

-- The durable work queue of the analysis stage. `analyze`: run the
-- business's analyzer over the call's stored recordings. `fire`: the call's
-- analysis finished; evaluate the business's automations. A job is claimed
-- with a lease, so a crashed worker's job is taken up again.
CREATE TABLE analysis_jobs (
    id              TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    call_id         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('analyze', 'fire')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX analysis_jobs_due ON analysis_jobs (status, next_attempt_at);
CREATE INDEX analysis_jobs_by_call ON analysis_jobs (call_id, kind, status);

-- Automations are stored as flow graphs (see flows/README.md).
CREATE TABLE automations (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    graph_json  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX automations_by_business ON automations (business_id, created_at);

-- Each time an automation fired for a call: what it sent where.
CREATE TABLE automation_runs (
    id               TEXT PRIMARY KEY NOT NULL,
    business_id      TEXT NOT NULL,
    automation_id    TEXT NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    call_id          TEXT NOT NULL,
    fired_at         BIGINT NOT NULL,
    -- [{channel, target, severity, digest, message, notificationId?, skipped?}]
    deliveries_json  TEXT NOT NULL,
    UNIQUE (automation_id, call_id)
);
CREATE INDEX automation_runs_by_automation ON automation_runs (automation_id, fired_at);

-- Messages waiting for their destination's digest window.
CREATE TABLE digest_items (
    id            TEXT PRIMARY KEY NOT NULL,
    business_id   TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    automation_id TEXT NOT NULL,
    channel       TEXT NOT NULL,
    target        TEXT,
    severity      TEXT NOT NULL,
    window_end    BIGINT NOT NULL,
    message       TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX digest_items_due ON digest_items (window_end);

ALTER TABLE notifications ADD COLUMN automation_id TEXT;
CREATE INDEX notifications_by_automation ON notifications (automation_id, status);
