package dev.spool.engine.maintenance;

import dev.spool.engine.Engine;
import java.time.Instant;

/** Forgets idempotency keys once their retention has passed. */
public record IdempotencyPruner(Engine engine) implements Duty {
    @Override
    public String name() {
        return "idempotency-pruner";
    }

    @Override
    public int runOnce(Instant now) {
        return engine.pruneIdempotencyKeys(now);
    }
}
