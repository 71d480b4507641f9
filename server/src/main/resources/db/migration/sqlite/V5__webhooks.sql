-- A job's own webhook as given at submit: JSON {url, events, format}, or NULL.
ALTER TABLE jobs ADD COLUMN webhook TEXT;

-- A tenant's webhook endpoints, each subscribed to some event kinds (JSON array of names).
CREATE TABLE webhook_endpoints (
    id              TEXT    NOT NULL PRIMARY KEY,
    tenant          TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL,
    description     TEXT,
    format          TEXT    NOT NULL DEFAULT 'native',
    disabled_at     INTEGER,
    disabled_reason TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant, id);

-- Signing secrets: one per endpoint (owner = its id) and one per tenant for jobs' own webhooks
-- (owner = 'tenant:' || tenant). After a rotation the previous one stays valid for a while.
CREATE TABLE signing_secrets (
    owner          TEXT    NOT NULL PRIMARY KEY,
    secret         TEXT    NOT NULL,
    previous       TEXT,
    previous_until INTEGER
);

-- The outbox: one row per event per receiver, written in the transaction of the event.
CREATE TABLE webhook_deliveries (
    id              TEXT    NOT NULL PRIMARY KEY,   -- the webhook-id, the same on every try
    tenant          TEXT    NOT NULL,
    target          TEXT    NOT NULL,               -- an endpoint id, or 'job' for the job's own webhook
    job_id          TEXT    NOT NULL,
    seq             INTEGER NOT NULL,               -- the job event's seq: the order per job and target
    event_type      TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    format          TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_until     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due    ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order  ON webhook_deliveries (job_id, target, seq) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_target ON webhook_deliveries (tenant, target, id);
CREATE INDEX webhook_deliveries_job    ON webhook_deliveries (job_id, id);
CREATE INDEX webhook_deliveries_done   ON webhook_deliveries (updated_at) WHERE state <> 'pending';

-- Every try of a delivery, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id TEXT    NOT NULL,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER,
    response    TEXT,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
