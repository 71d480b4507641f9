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
ALTER TABLE jobs ADD COLUMN billed_run_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN billed_units  BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN billed_micros BIGINT NOT NULL DEFAULT 0;

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

-- Each tenant's queued jobs, counted as they come and go, so that a quota on them is checked
-- in constant time however deep the queue (a count of the jobs would read every one of them).
-- Kept by statement triggers, so that no path that moves a job can forget it: one row change per
-- tenant per statement, whatever number of jobs the statement moved. Each transaction adds to the
-- shard of its own transaction id, so that concurrent transactions rarely wait for one row and
-- never take two shards in opposite orders; the count is the sum of the shards.
CREATE TABLE tenant_queued (
    tenant TEXT    NOT NULL,
    shard  INTEGER NOT NULL,
    queued BIGINT  NOT NULL,
    PRIMARY KEY (tenant, shard)
);
INSERT INTO tenant_queued (tenant, shard, queued)
SELECT tenant, 0, count(*) FROM jobs WHERE status = 'queued' GROUP BY tenant;

CREATE FUNCTION spool_queued_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_queued (tenant, shard, queued)
    SELECT tenant, (txid_current() % 64)::int, count(*) FROM added WHERE status = 'queued' GROUP BY tenant
    ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued;
    RETURN NULL;
END $$;

CREATE FUNCTION spool_queued_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_queued (tenant, shard, queued)
    SELECT tenant, (txid_current() % 64)::int, sum(d) FROM (
        SELECT tenant, 1 AS d FROM after_rows WHERE status = 'queued'
        UNION ALL
        SELECT tenant, -1 FROM before_rows WHERE status = 'queued'
    ) moved GROUP BY tenant HAVING sum(d) <> 0
    ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued;
    RETURN NULL;
END $$;

CREATE FUNCTION spool_queued_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_queued (tenant, shard, queued)
    SELECT tenant, (txid_current() % 64)::int, -count(*) FROM removed WHERE status = 'queued' GROUP BY tenant
    ON CONFLICT (tenant, shard) DO UPDATE SET queued = tenant_queued.queued + excluded.queued;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_queued_added AFTER INSERT ON jobs REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION spool_queued_added();
CREATE TRIGGER jobs_queued_changed AFTER UPDATE ON jobs REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows
    FOR EACH STATEMENT EXECUTE FUNCTION spool_queued_changed();
CREATE TRIGGER jobs_queued_removed AFTER DELETE ON jobs REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION spool_queued_removed();
