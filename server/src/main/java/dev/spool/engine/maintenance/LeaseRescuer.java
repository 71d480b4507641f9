package dev.spool.engine.maintenance;

import dev.spool.engine.Engine;
import java.time.Instant;

/** Ends attempts whose executor stopped heartbeating: retried, failed or cancelled (see {@link Engine#rescueExpired}). */
public record LeaseRescuer(Engine engine, int batch) implements Duty {
    @Override
    public String name() {
        return "lease-rescuer";
    }

    @Override
    public int runOnce(Instant now) {
        return engine.rescueExpired(now, batch);
    }
}
