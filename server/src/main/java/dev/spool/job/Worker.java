package dev.spool.job;

import java.time.Instant;
import java.util.List;

/**
 * An external worker as the deployment last saw it.
 *
 * @param id          chosen by the worker and stable across its claims (for example host and pid)
 * @param jobsInHand  jobs it holds now: running, with its id
 * @param freeSlots   the most jobs it asked for at its last claim: the slots it had free then (null: not known)
 */
public record Worker(String id, String name, String keyId, List<String> types, Instant firstSeen, Instant lastSeen,
                     int jobsInHand, Integer freeSlots) {
    public Worker {
        types = List.copyOf(types);
    }
}
