package dev.spool.engine.maintenance;

import dev.spool.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * Deletes finished jobs once their type's retention has passed (with their history, logs and file
 * records; their files' bytes become orphans, which the artifact package frees after a grace).
 * Each round deletes at most {@code batch} jobs per type, so it never holds the writer for long.
 *
 * @param retention per type; types not in it keep {@code defaultRetention}
 */
public record RetentionPruner(Store store, Map<String, Duration> retention, Duration defaultRetention, int batch)
        implements Duty {
    public RetentionPruner {
        retention = Map.copyOf(retention);
    }

    @Override
    public String name() {
        return "retention-pruner";
    }

    @Override
    public int runOnce(Instant now) {
        int pruned = 0;
        for (var entry : retention.entrySet()) {
            pruned += store.jobPruneFinished(new Store.Prune(entry.getKey(), Set.of(), now.minus(entry.getValue()), batch), now);
        }
        return pruned + store.jobPruneFinished(new Store.Prune(null, retention.keySet(), now.minus(defaultRetention), batch), now);
    }
}
