-- Fair share between tenants: each claim index has the tenant right after its key, so that a claim
-- can find the tenants with queued work of a type (a skip scan: one index probe per tenant) and
-- take each one's oldest jobs in the claim's order (one index walk per tenant). A tenant with
-- 100,000 queued jobs then delays another tenant's single job by one claim, not 100,000 jobs.
-- (A claim that names neither types nor queues finds the queues with work first, by the same kind
-- of skip scan, so no index leads with the tenant: one fewer entry for every submit and claim.)
DROP INDEX IF EXISTS jobs_claim_by_type;
DROP INDEX IF EXISTS jobs_claim_by_queue;
DROP INDEX IF EXISTS jobs_claim_order;
CREATE INDEX jobs_claim_by_type   ON jobs (type, tenant, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_claim_by_queue  ON jobs (queue, tenant, priority DESC, run_at, id) WHERE status = 'queued';
-- A tenant's running jobs, counted (at most up to its cap) when it has a quota on them.
CREATE INDEX jobs_running_tenant  ON jobs (tenant) WHERE status = 'running';

-- What of a job's usage is not yet in the usage table: the run time and units of its attempts since
-- it was last billed (added by the statement that ends each attempt), and the cost it was billed
-- so far. A job is billed when it ends; retried by hand, it starts again from what was billed.
ALTER TABLE jobs ADD COLUMN unbilled_run_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN unbilled_units  BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN billed_micros   BIGINT NOT NULL DEFAULT 0;

-- Usage by tenant, UTC day, type, queue, key and currency, added to in the transaction that ends
-- each job; it outlives the jobs (retention never touches it). Costs are in millionths of the
-- currency unit, exact. Each writer lane adds to its own shard of a row, so that concurrent
-- transactions never wait for each other's lock on one hot row; reads sum the shards.
CREATE TABLE usage (
    tenant      TEXT    NOT NULL,
    day         TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    queue       TEXT    NOT NULL,
    key_id      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    shard       INTEGER NOT NULL,
    succeeded   BIGINT  NOT NULL,
    failed      BIGINT  NOT NULL,
    cancelled   BIGINT  NOT NULL,
    run_ms      BIGINT  NOT NULL,
    units       BIGINT  NOT NULL,
    cost_micros BIGINT  NOT NULL,
    PRIMARY KEY (tenant, day, type, queue, key_id, currency, shard)
);
CREATE INDEX usage_day ON usage (day);

-- Limits and quotas an operator set for one tenant through the admin API, over the configuration's.
CREATE TABLE tenant_limits (
    tenant     TEXT   NOT NULL PRIMARY KEY,
    limits     TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Rate-limit token buckets shared by every node (Bucket4j's PostgreSQL backend).
CREATE TABLE rate_buckets (
    id    TEXT  NOT NULL PRIMARY KEY,
    state BYTEA
);


-- Each tenant's queued jobs, counted as they come and go (by the statements that move them, one
-- row change per tenant per statement), so that a quota on them is checked in constant time
-- however deep the queue. Each writer lane adds to a shard of its own; the count is their sum.
CREATE TABLE tenant_queued (
    tenant TEXT    NOT NULL,
    shard  INTEGER NOT NULL,
    queued BIGINT  NOT NULL,
    PRIMARY KEY (tenant, shard)
);
INSERT INTO tenant_queued (tenant, shard, queued)
SELECT tenant, 0, count(*) FROM jobs WHERE status = 'queued' GROUP BY tenant;
