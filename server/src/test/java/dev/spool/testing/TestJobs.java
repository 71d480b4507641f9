package dev.spool.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.NewJob;
import dev.spool.job.Transition;
import dev.spool.store.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Puts a store in any state: new jobs with sensible defaults, and jobs already running or finished. */
public final class TestJobs {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final String TENANT = "acme";

    private final Store store;

    public TestJobs(Store store) {
        this.store = store;
    }

    public static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A new job of type {@code type} for {@link #TENANT}; change it with the record's fields through {@link #with}. */
    public static NewJob newJob(String type) {
        return new NewJob(TENANT, "key_test", type, "default", 0, null, json("{\"n\": 1}"), Map.of(), null, "hash",
                null, 3, 60, null, null, null, null);
    }

    public static NewJob with(NewJob j, int priority, Instant runAt) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), j.queue(), priority, j.title(), j.input(), j.metadata(),
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), runAt, j.inputs(), j.webhook(), j.traceparent());
    }

    public static NewJob forTenant(NewJob j, String tenant) {
        return new NewJob(tenant, j.keyId(), j.type(), j.queue(), j.priority(), j.title(), j.input(), j.metadata(),
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(), j.webhook(), j.traceparent());
    }

    public static NewJob withMetadata(NewJob j, Map<String, String> metadata) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), j.queue(), j.priority(), j.title(), j.input(), metadata,
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(), j.webhook(), j.traceparent());
    }

    public static NewJob withIdempotency(NewJob j, String key, String hash) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), j.queue(), j.priority(), j.title(), j.input(), j.metadata(),
                key, hash, j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(), j.webhook(), j.traceparent());
    }

    public static NewJob withWebhook(NewJob j, dev.spool.job.JobWebhook webhook) {
        return new NewJob(j.tenant(), j.keyId(), j.type(), j.queue(), j.priority(), j.title(), j.input(), j.metadata(),
                j.idempotencyKey(), j.requestHash(), j.batchId(), j.maxAttempts(), j.timeoutSeconds(), j.runAt(), j.inputs(), webhook, j.traceparent());
    }

    public Job queued(String type, Instant now) {
        return store.jobInsert(newJob(type), now, Duration.ofDays(1)).job();
    }

    public Job running(String type, Instant now) {
        // Top priority, so that the claim below takes this job even when others of its type wait.
        Job job = store.jobInsert(with(newJob(type), NewJob.MAX_PRIORITY, null), now, Duration.ofDays(1)).job();
        List<Job> claimed = store.jobClaim(claim(List.of(type), 1), now);
        if (claimed.size() != 1 || !claimed.getFirst().id().equals(job.id())) {
            throw new IllegalStateException("expected to claim " + job.id() + " but claimed " + claimed);
        }
        return claimed.getFirst();
    }

    public Job succeeded(String type, Instant now) {
        Job job = running(type, now);
        return store.jobFinish(job.id(), job.attempt(), false, Transition.succeed(json("{\"ok\": true}"), 0), now).orElseThrow();
    }

    public Job failed(String type, Instant now) {
        Job job = running(type, now);
        return store.jobFinish(job.id(), job.attempt(), false,
                Transition.fail(new JobError("boom", "it broke", false)), now).orElseThrow();
    }

    public static Store.Claim claim(List<String> types, int max) {
        return new Store.Claim(types, List.of(), max, "worker-1", Duration.ofSeconds(30), Map.of());
    }
}
