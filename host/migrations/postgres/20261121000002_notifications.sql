-- The notification gateway (seed 000): Telegram chats and link codes, Discord
-- webhooks, the delivery outbox with its attempt log, the in-app feed and
-- per-user preferences. PostgreSQL dialect; keep in step with
-- ../sqlite/20261121000002_notifications.sql.

CREATE TABLE telegram_link_codes (
    code        TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE telegram_chats (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    chat_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    -- Why delivery stopped (bot blocked, chat gone), when it did.
    inactive_reason TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (business_id, chat_id)
);

CREATE TABLE discord_webhooks (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    -- The webhook URL (it carries the token), sealed like integration secrets.
    url_sealed  BYTEA NOT NULL,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    inactive_reason TEXT,
    created_at  BIGINT NOT NULL
);

-- The outbox: a notification is a row here before it is acknowledged, and
-- leaves `pending` only through a recorded attempt.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL CHECK (channel IN ('telegram', 'discord', 'in_app', 'webhook')),
    destination_id  TEXT,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT,
    severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    attributes_json TEXT NOT NULL,
    -- pending → delivered | failed (permanent); `sending` while a worker holds it.
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until     BIGINT,
    last_error      TEXT,
    external_id     TEXT,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_by_business ON notifications (business_id, created_at);

CREATE TABLE delivery_attempts (
    id              TEXT PRIMARY KEY NOT NULL,
    notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempt         BIGINT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'rate_limited')),
    code            TEXT,
    detail          TEXT,
    latency_ms      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_notification ON delivery_attempts (notification_id, attempt);

CREATE TABLE feed_items (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    data_json   TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX feed_items_by_business ON feed_items (business_id, created_at, id);

-- Who has read what: a reader is a token (the API's notion of a user).
CREATE TABLE feed_reads (
    item_id   TEXT NOT NULL REFERENCES feed_items (id) ON DELETE CASCADE,
    reader_id TEXT NOT NULL,
    read_at   BIGINT NOT NULL,
    PRIMARY KEY (item_id, reader_id)
);

CREATE TABLE notification_preferences (
    business_id     TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    reader_id       TEXT NOT NULL,
    prefs_json      TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (business_id, reader_id)
);

-- Outgoing webhooks (the seed's "Webhooks"): endpoints a business subscribes
-- to event types. Deliveries go through the outbox (channel 'webhook'),
-- signed per Standard Webhooks with the endpoint's secret; during a rotation
-- the previous secret signs too, until previous_expires_at.
CREATE TABLE webhook_endpoints (
    id                  TEXT PRIMARY KEY NOT NULL,
    business_id         TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    url                 TEXT NOT NULL,
    description         TEXT,
    -- Space-separated event types; '*' is every type.
    event_types         TEXT NOT NULL,
    secret_sealed       BYTEA NOT NULL,
    previous_sealed     BYTEA,
    previous_expires_at BIGINT,
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    inactive_reason     TEXT,
    -- When the current run of consecutive failures began (NULL: healthy).
    failing_since       BIGINT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_business ON webhook_endpoints (business_id);
