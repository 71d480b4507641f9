package dev.spool.client;

/** What a bulk action found: the jobs its filter matched among those it applies to, and those it changed (none in a dry run). */
public record BulkResult(String action, boolean dryRun, long matched, long changed) {}
