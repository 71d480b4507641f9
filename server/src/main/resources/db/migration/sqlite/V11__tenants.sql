-- Fair share between tenants: each claim index has the tenant right after its key, so that a claim
-- can find the tenants with queued work of a type (a skip scan: one index probe per tenant) and
-- take each one's oldest jobs in the claim's order (one index walk per tenant). A tenant with
-- 100,000 queued jobs then delays another tenant's single job by one claim, not 100,000 jobs.
DROP INDEX IF EXISTS jobs_claim_by_type;
DROP INDEX IF EXISTS jobs_claim_by_queue;
DROP INDEX IF EXISTS jobs_claim_order;
CREATE INDEX jobs_claim_by_type   ON jobs (type, tenant, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_claim_by_queue  ON jobs (queue, tenant, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_claim_by_tenant ON jobs (tenant, priority DESC, run_at, id) WHERE status = 'queued';
-- A tenant's running jobs, counted (at most up to its cap) when it has a quota on them.
CREATE INDEX jobs_running_tenant  ON jobs (tenant) WHERE status = 'running';

-- What of a job's run time, units and cost is already in the usage table: a job is billed when it
-- ends, and again only by the difference if it is retried by hand and ends again.
ALTER TABLE jobs ADD COLUMN billed_run_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN billed_units  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN billed_micros INTEGER NOT NULL DEFAULT 0;

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
    succeeded   INTEGER  NOT NULL,
    failed      INTEGER  NOT NULL,
    cancelled   INTEGER  NOT NULL,
    run_ms      INTEGER  NOT NULL,
    units       INTEGER  NOT NULL,
    cost_micros INTEGER  NOT NULL,
    PRIMARY KEY (tenant, day, type, queue, key_id, currency, shard)
);
CREATE INDEX usage_day ON usage (day);

-- Limits and quotas an operator set for one tenant through the admin API, over the configuration's.
CREATE TABLE tenant_limits (
    tenant     TEXT   NOT NULL PRIMARY KEY,
    limits     TEXT   NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Each tenant's queued jobs, counted as they come and go, so that a quota on them is checked
-- in constant time however deep the queue (a count of the jobs would read every one of them).
-- Kept by triggers, so that no path that moves a job can forget it; one shard here (one writer).
CREATE TABLE tenant_queued (
    tenant TEXT    NOT NULL,
    shard  INTEGER NOT NULL,
    queued INTEGER NOT NULL,
    PRIMARY KEY (tenant, shard)
);
INSERT INTO tenant_queued (tenant, shard, queued)
SELECT tenant, 0, count(*) FROM jobs WHERE status = 'queued' GROUP BY tenant;

CREATE TRIGGER jobs_queued_added AFTER INSERT ON jobs WHEN NEW.status = 'queued'
BEGIN
    INSERT OR IGNORE INTO tenant_queued (tenant, shard, queued) VALUES (NEW.tenant, 0, 0);
    UPDATE tenant_queued SET queued = queued + 1 WHERE tenant = NEW.tenant AND shard = 0;
END;

CREATE TRIGGER jobs_queued_changed AFTER UPDATE OF status ON jobs
    WHEN (OLD.status = 'queued') <> (NEW.status = 'queued')
BEGIN
    INSERT OR IGNORE INTO tenant_queued (tenant, shard, queued) VALUES (NEW.tenant, 0, 0);
    UPDATE tenant_queued SET queued = queued + CASE WHEN NEW.status = 'queued' THEN 1 ELSE -1 END
    WHERE tenant = NEW.tenant AND shard = 0;
END;

CREATE TRIGGER jobs_queued_removed AFTER DELETE ON jobs WHEN OLD.status = 'queued'
BEGIN
    UPDATE tenant_queued SET queued = queued - 1 WHERE tenant = OLD.tenant AND shard = 0;
END;
