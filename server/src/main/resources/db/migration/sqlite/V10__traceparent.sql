-- A job keeps the trace context of its submit (W3C traceparent), so that its claim, run,
-- completion and webhooks continue the submitter's trace; each delivery carries it too.
ALTER TABLE jobs ADD COLUMN traceparent TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN traceparent TEXT;
