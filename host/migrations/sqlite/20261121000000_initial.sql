-- Switchboard's initial schema, SQLite dialect.
--
-- Keep this file and ../postgres/20261121000000_initial.sql the same table for
-- table: they differ only where the dialects do (BLOB vs BYTEA, INTEGER 0/1 vs
-- BOOLEAN). Ids are TEXT (uuid v7), timestamps are INTEGER milliseconds since
-- the Unix epoch (UTC), JSON is TEXT.
--
-- Booleans are INTEGER 0/1 here, not BOOLEAN: sqlx's Any driver refuses a
-- column whose declared SQLite type is BOOLEAN. Queries write TRUE/FALSE, which
-- SQLite reads as 1/0.

CREATE TABLE businesses (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    -- Per-tenant overrides of the sandbox limits; NULL means "use the defaults".
    limits_json TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE integrations (
    id          TEXT PRIMARY KEY NOT NULL,
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    -- Integrations of one family compete for the single default of a business.
    family      TEXT NOT NULL,
    name        TEXT NOT NULL,
    config_json TEXT NOT NULL,
    -- The value inbound traffic is routed by (e.g. the CTI `customer` code),
    -- copied out of config_json so it can be indexed and kept unique.
    route_key   TEXT,
    -- Ciphertext (crypto::SecretBox envelope); never plaintext.
    secrets     BLOB,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- Lets children reference (business_id, id) so they cannot cross tenants.
    UNIQUE (business_id, id)
);
CREATE INDEX integrations_by_business ON integrations (business_id, created_at);
CREATE UNIQUE INDEX integrations_route_key ON integrations (kind, route_key)
    WHERE route_key IS NOT NULL;
CREATE UNIQUE INDEX integrations_one_default ON integrations (business_id, family)
    WHERE is_default = 1;

CREATE TABLE installation_state (
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    value          TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (integration_id, key)
);

CREATE TABLE directory_users (
    business_id TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT,
    extension   TEXT,
    pbx_user_id TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, id)
);
CREATE INDEX directory_users_by_extension ON directory_users (business_id, extension);

CREATE TABLE directory_contacts (
    business_id   TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('contact', 'company')),
    name          TEXT NOT NULL,
    company_id    TEXT,
    company_name  TEXT,
    owner_user_id TEXT,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (business_id, id)
);

CREATE TABLE directory_contact_phones (
    business_id TEXT NOT NULL,
    contact_id  TEXT NOT NULL,
    phone_e164  TEXT NOT NULL CHECK (phone_e164 LIKE '+%' AND length(phone_e164) BETWEEN 3 AND 16),
    -- Keeps the order the directory gave, so the first number stays the primary one.
    position    INTEGER NOT NULL,
    PRIMARY KEY (business_id, contact_id, phone_e164),
    FOREIGN KEY (business_id, contact_id)
        REFERENCES directory_contacts (business_id, id) ON DELETE CASCADE
);
CREATE INDEX directory_contact_phones_by_phone ON directory_contact_phones (business_id, phone_e164);

-- An audit log: integration_id is deliberately not a foreign key, so the record
-- of a misbehaving component outlives the integration it ran for.
CREATE TABLE component_incidents (
    id                TEXT PRIMARY KEY NOT NULL,
    business_id       TEXT NOT NULL REFERENCES businesses (id) ON DELETE CASCADE,
    integration_id    TEXT,
    component         TEXT NOT NULL,
    component_version TEXT NOT NULL,
    kind              TEXT NOT NULL,
    message           TEXT NOT NULL,
    created_at        INTEGER NOT NULL
);
CREATE INDEX component_incidents_by_business ON component_incidents (business_id, created_at);

CREATE TABLE inbound_events (
    id             TEXT PRIMARY KEY NOT NULL,
    business_id    TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    dedup_key      TEXT NOT NULL CHECK (dedup_key <> ''),
    kind           TEXT NOT NULL,
    payload_json   TEXT NOT NULL,
    received_at    INTEGER NOT NULL,
    -- A vendor's retry carries the same dedup key and must not become a second event.
    UNIQUE (integration_id, dedup_key),
    FOREIGN KEY (business_id, integration_id)
        REFERENCES integrations (business_id, id) ON DELETE CASCADE
);
CREATE INDEX inbound_events_by_integration ON inbound_events (integration_id, received_at);
