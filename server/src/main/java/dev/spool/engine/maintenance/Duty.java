package dev.spool.engine.maintenance;

import java.time.Instant;
import java.util.function.ToIntFunction;

/** One housekeeping task. {@code runOnce} does one bounded round and says how many things it changed. */
public interface Duty {
    String name();

    int runOnce(Instant now);

    /** A duty made of one function: for a part that does its own housekeeping (freeing file bytes, say). */
    static Duty of(String name, ToIntFunction<Instant> round) {
        return new Duty() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int runOnce(Instant now) {
                return round.applyAsInt(now);
            }
        };
    }
}
