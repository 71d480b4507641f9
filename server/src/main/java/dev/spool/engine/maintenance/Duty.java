package dev.spool.engine.maintenance;

import java.time.Instant;

/** One housekeeping task. {@code runOnce} does one bounded round and says how many things it changed. */
public interface Duty {
    String name();

    int runOnce(Instant now);
}
