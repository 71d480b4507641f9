-- A claim that names several types (the built-in runner names all of its own) orders the queued
-- jobs of all of them by priority and age. With only the per-type index, that meant reading and
-- sorting every queued job of those types on every claim; this index hands them over in claim
-- order, so a claim reads about as many rows as it takes.
CREATE INDEX jobs_claim_order ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
