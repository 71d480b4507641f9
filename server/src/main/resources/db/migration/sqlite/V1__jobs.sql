-- Times are epoch milliseconds; JSON is text. See JdbcStore.

CREATE TABLE jobs (
    id                 TEXT    NOT NULL PRIMARY KEY,  -- UUIDv7: sorts by creation time
    tenant             TEXT    NOT NULL,
    key_id             TEXT,
    type               TEXT    NOT NULL,
    queue              TEXT    NOT NULL,
    priority           INTEGER NOT NULL,
    title              TEXT,
    status             TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    cancel_requested   INTEGER NOT NULL DEFAULT 0,
    progress_fraction  REAL,
    progress_message   TEXT,
    input              TEXT    NOT NULL,
    metadata           TEXT    NOT NULL,
    idempotency_key    TEXT,
    batch_id           TEXT,
    attempt            INTEGER NOT NULL DEFAULT 0,
    attempt_offset     INTEGER NOT NULL DEFAULT 0,
    max_attempts       INTEGER NOT NULL,
    run_at             INTEGER NOT NULL,
    timeout_seconds    INTEGER NOT NULL,
    lease_expires_at   INTEGER,
    worker_id          TEXT,
    result             TEXT,
    error              TEXT,
    run_ms             INTEGER NOT NULL DEFAULT 0,
    units              INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    attempt_started_at INTEGER,
    ended_at           INTEGER,
    updated_at         INTEGER NOT NULL
);

-- The claim reads only queued jobs: finished ones never enter these indexes.
CREATE INDEX jobs_claim_by_type  ON jobs (type, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_claim_by_queue ON jobs (queue, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_running_lease  ON jobs (lease_expires_at) WHERE status = 'running';
CREATE INDEX jobs_running_type   ON jobs (type) WHERE status = 'running';
CREATE INDEX jobs_tenant         ON jobs (tenant, id);
CREATE INDEX jobs_batch          ON jobs (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE job_events (
    seq     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    status  TEXT    NOT NULL,
    attempt INTEGER NOT NULL,
    data    TEXT
);
CREATE INDEX job_events_job ON job_events (job_id, seq);

CREATE TABLE idempotency_keys (
    tenant       TEXT    NOT NULL,
    idem_key     TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    job_id       TEXT    NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, idem_key)
);

CREATE TABLE batches (
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT    NOT NULL PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL UNIQUE,
    hash       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
