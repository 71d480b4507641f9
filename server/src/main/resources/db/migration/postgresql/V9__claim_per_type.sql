-- A claim now walks each of its types' own claim index (jobs_claim_by_type: type, priority DESC,
-- run_at, id) with a LATERAL pick per type and keeps the best of them: one index walk in exactly
-- the claim's order per type, whatever the planner knows of the table. The shared claim-order
-- index of V7 is dropped: with it the planner could still walk every queued job of other types to
-- find one of a rare type (10 ms a claim for 50,000 queued jobs), and every submit paid for one more
-- index entry.
DROP INDEX IF EXISTS jobs_claim_order;
