-- Queues an operator paused: their jobs are still accepted, but no claim on any node takes them.
-- Every claim reads this (tiny) table in its own statement, so a pause holds on every node at once.
CREATE TABLE paused_queues (
    queue     TEXT   NOT NULL PRIMARY KEY,
    paused_at BIGINT NOT NULL,
    paused_by TEXT
);

-- Calls made safe to repeat by an Idempotency-Key other than single submits (those keep theirs in
-- idempotency_keys): batches, whose key row is written in the batch's own transaction, and bulk
-- actions, whose answer is written when the last chunk is done (null while one runs).
CREATE TABLE idempotent_calls (
    tenant      TEXT   NOT NULL,
    route       TEXT   NOT NULL,
    idem_key    TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    answer      TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant, route, idem_key)
);
CREATE INDEX idempotent_calls_expiry ON idempotent_calls (expires_at);

-- Cron schedules: each tick submits the job in `job` (a submit body) under an idempotency key made
-- of the schedule and the tick, so that every node may fire a tick and it makes one job.
-- next_run_at is advanced by compare-and-set.
CREATE TABLE schedules (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant      TEXT    NOT NULL,
    key_id      TEXT,
    name        TEXT,
    cron        TEXT    NOT NULL,
    timezone    TEXT    NOT NULL,
    job         TEXT    NOT NULL,
    overlap     TEXT    NOT NULL,
    missed      TEXT    NOT NULL,
    paused      INTEGER NOT NULL DEFAULT 0,
    next_run_at BIGINT,
    last_run_at BIGINT,
    last_job_id TEXT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX schedules_due    ON schedules (next_run_at) WHERE paused = 0;
CREATE INDEX schedules_tenant ON schedules (tenant, id);
