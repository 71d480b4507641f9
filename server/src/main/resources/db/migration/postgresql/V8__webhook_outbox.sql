-- The webhook outbox: one row per job event that someone may receive (the job has its own
-- webhook, or its tenant has an endpoint), written in the transaction of the event, with the job
-- as the event left it. The webhook dispatcher expands each row into deliveries (which receivers,
-- the body in each one's format) and deletes it, in one transaction.
CREATE TABLE webhook_outbox (
    seq         BIGINT  NOT NULL PRIMARY KEY,   -- the job event's seq
    tenant      TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,               -- the webhook event's wire name
    at          BIGINT  NOT NULL,
    job         TEXT    NOT NULL                -- JSON: the job as the event left it
);
