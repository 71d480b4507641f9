-- Blobs that lost their last artifact row, and since when. The pruner deletes a blob once it has
-- stayed unreferenced for a grace period, so that an upload of the same bytes racing the delete
-- (blobs are shared by content) never loses its file.
CREATE TABLE orphan_blobs (
    sha256 TEXT    NOT NULL PRIMARY KEY,
    since  INTEGER NOT NULL
);
CREATE INDEX jobs_finished ON jobs (type, ended_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
