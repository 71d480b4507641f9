package dev.spool.job;

/** A job event with what subscribers filter on: its job's tenant, type, queue and batch. */
public record FeedEvent(JobEvent event, String tenant, String type, String queue, String batchId) {}
