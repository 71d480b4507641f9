package dev.spool.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One entry in a job's history, written in the same transaction as the change it records.
 * {@code seq} grows across all jobs, so it also orders events between jobs.
 */
public record JobEvent(long seq, JobId jobId, Instant at, String kind, JobStatus status, int attempt, JsonNode data) {}
