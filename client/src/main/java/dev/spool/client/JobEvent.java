package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** One entry of a job's history: what happened ({@code kind}), and the status and attempt it left. */
public record JobEvent(long seq, String jobId, Instant at, String kind, String status, int attempt, JsonNode data) {}
