-- The Authorization header a job's own webhook is sent with, when its submitter gave one
-- (Hamsa's webhookAuth). Copied into each delivery so that the job's later changes cannot alter it.
ALTER TABLE webhook_deliveries ADD COLUMN auth_header TEXT;
