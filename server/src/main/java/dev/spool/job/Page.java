package dev.spool.job;

import java.util.List;

/** One page of a keyset-paginated list; {@code hasMore} says whether another page follows. */
public record Page<T>(List<T> items, boolean hasMore) {}
