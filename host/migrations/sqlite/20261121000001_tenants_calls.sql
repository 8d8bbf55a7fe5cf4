-- API tokens, the call model and WhatsApp conversations. SQLite dialect; keep
-- in step with ../postgres/20261121000001_tenants_calls.sql.

-- A token is stored only as the SHA-256 of its text: a leaked database does
-- not leak working credentials. `scopes` is space-separated.
CREATE TABLE api_tokens (
    id                  TEXT PRIMARY KEY NOT NULL,
    token_hash          TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    scopes              TEXT NOT NULL,
    default_business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    revoked_at          INTEGER
);

CREATE TABLE api_token_businesses (
    token_id    TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    PRIMARY KEY (token_id, business_id)
);

-- One row per call: the projection of its events (see host/src/calls/fold.rs),
-- rewritten whenever a new event of the chain arrives.
CREATE TABLE calls (
    id             TEXT PRIMARY KEY NOT NULL,
    business_id    TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    -- The vendor's chain id: every leg of a transfer chain is this one call.
    chain_id       TEXT NOT NULL,
    status         TEXT NOT NULL,
    outcome        TEXT,
    direction      TEXT NOT NULL,
    customer_phone TEXT,
    extension      TEXT,
    did            TEXT,
    started_at     INTEGER,
    answered_at    INTEGER,
    ended_at       INTEGER,
    duration_sec   INTEGER,
    talk_sec       INTEGER,
    hangup_cause   TEXT,
    transcript     TEXT,
    summary        TEXT,
    -- Legs, queue attempts and vendor attributes, as the fold produced them.
    legs_json      TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    -- Sort and cursor key: when the call began, or when we first heard of it.
    sort_at        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (integration_id, chain_id),
    UNIQUE (business_id, id),
    FOREIGN KEY (business_id, integration_id)
        REFERENCES integrations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX calls_by_business ON calls (business_id, sort_at, id);
CREATE INDEX calls_by_phone ON calls (business_id, customer_phone);

-- Recording links a vendor sent (and, later, recordings pulled and stored).
CREATE TABLE recordings (
    id           TEXT PRIMARY KEY NOT NULL,
    business_id  TEXT NOT NULL,
    call_id      TEXT NOT NULL,
    url          TEXT NOT NULL,
    mime_type    TEXT,
    position     INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (call_id, url),
    FOREIGN KEY (business_id, call_id) REFERENCES calls (business_id, id) ON DELETE CASCADE
);

ALTER TABLE inbound_events ADD COLUMN call_id TEXT;
CREATE INDEX inbound_events_by_call ON inbound_events (call_id, received_at);

CREATE TABLE conversations (
    id              TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL,
    integration_id  TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    name            TEXT,
    url             TEXT,
    is_group        INTEGER NOT NULL DEFAULT 0 CHECK (is_group IN (0, 1)),
    last_message_at INTEGER NOT NULL,
    message_count   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    UNIQUE (integration_id, chat_id),
    UNIQUE (business_id, id),
    FOREIGN KEY (business_id, integration_id)
        REFERENCES integrations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_by_business ON conversations (business_id, last_message_at, id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY NOT NULL,
    business_id     TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    -- The connector's dedup key: vendors reuse message ids (TimelinesAI's own
    -- example gives three messages one id), so the key, not the id, is unique.
    dedup_key       TEXT NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('received', 'sent')),
    sender_json     TEXT NOT NULL,
    recipient_json  TEXT NOT NULL,
    text            TEXT NOT NULL,
    sent_at         INTEGER NOT NULL,
    attributes_json TEXT NOT NULL,
    UNIQUE (conversation_id, dedup_key),
    FOREIGN KEY (business_id, conversation_id)
        REFERENCES conversations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, sent_at, id);
