-- Files that go with a job: inputs (uploaded with it) and outputs (uploaded by its executor).
-- The bytes live in the artifact store, addressed by their SHA-256; these rows name them.
CREATE TABLE artifacts (
    job_id       TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('input', 'output')),
    name         TEXT    NOT NULL,
    attempt      INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    sha256       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (job_id, kind, name)
);
CREATE INDEX artifacts_sha256 ON artifacts (sha256);

-- Values every node must share, such as the key that signs download links.
CREATE TABLE secrets (
    name  TEXT NOT NULL PRIMARY KEY,
    value BYTEA NOT NULL
);
