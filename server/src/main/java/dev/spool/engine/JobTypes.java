package dev.spool.engine;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The declared job types, by name; fixed at start. */
public final class JobTypes {
    private final Map<String, JobType> byName = new LinkedHashMap<>();

    public JobTypes(Collection<JobType> types) {
        types.forEach(t -> {
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw new IllegalArgumentException("job type " + t.name() + " is declared twice");
            }
        });
    }

    public Optional<JobType> get(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    public Collection<JobType> all() {
        return byName.values();
    }
}
