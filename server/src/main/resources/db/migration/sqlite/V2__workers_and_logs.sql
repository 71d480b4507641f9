-- External workers seen by this deployment, and the log lines workers append to jobs.

CREATE TABLE workers (
    id         TEXT    NOT NULL PRIMARY KEY,  -- chosen by the worker, stable across its claims
    name       TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    types      TEXT    NOT NULL,              -- JSON array of the types it asked for
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);

CREATE TABLE job_logs (
    seq     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    job_id  TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    line    TEXT    NOT NULL
);
CREATE INDEX job_logs_job ON job_logs (job_id, seq);
CREATE INDEX jobs_running_worker ON jobs (worker_id) WHERE status = 'running';
