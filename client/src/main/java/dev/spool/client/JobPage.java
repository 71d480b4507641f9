package dev.spool.client;

import java.util.List;

/** One page of jobs, newest first; pass {@code nextCursor} to {@link ListQuery.Builder#cursor} for the next. */
public record JobPage(List<Job> data, boolean hasMore, String nextCursor) {}
