package dev.spool.store;

import dev.spool.job.ApiKey;
import dev.spool.job.Artifact;
import dev.spool.job.Batch;
import dev.spool.job.Delivery;
import dev.spool.job.FeedEvent;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.LogLine;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.Payloads;
import dev.spool.job.Progress;
import dev.spool.job.SigningSecret;
import dev.spool.job.Transition;
import dev.spool.job.WebhookEndpoint;
import dev.spool.job.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Where jobs live. Every method is one atomic unit: it commits entirely or not at all, and what it
 * returns was committed (durably: an acknowledged write survives a crash of the machine). Every
 * change of a job's status records a {@link JobEvent} in the same transaction.
 *
 * <p>Methods named for a tenant see only that tenant's rows; the worker-side methods ({@code
 * jobClaim}, {@code jobHeartbeat}, {@code jobFinish}) act across tenants and are fenced instead by
 * the job's {@code attempt}.
 */
public sealed interface Store extends AutoCloseable permits JdbcStore {

    /** What {@link #jobInsert} did: stored a new job, or found the one already made under the same idempotency key. */
    record Inserted(Job job, boolean created) {}

    /**
     * Which jobs a claimer can run: by type, by queue, or both (a job must match every non-empty
     * list). {@code concurrency} caps the number of running jobs of a type, across all claimers.
     */
    record Claim(List<String> types, List<String> queues, int max, String workerId, Duration lease,
                 Map<String, Integer> concurrency) {
        public Claim {
            types = List.copyOf(types);
            queues = List.copyOf(queues);
            concurrency = Map.copyOf(concurrency);
        }
    }

    /**
     * Stores a new queued job. With an idempotency key that is still kept, returns the job made
     * under it instead, or throws {@code IDEMPOTENCY_MISMATCH} if that was made from another request.
     *
     * @param keyRetention how long the idempotency key is kept
     */
    Inserted jobInsert(NewJob job, Instant now, Duration keyRetention);

    /** Stores all the jobs as one batch, or none of them. */
    List<Job> jobInsertBatch(String batchId, String tenant, List<NewJob> jobs, Instant now);

    Optional<Job> jobGet(String tenant, JobId id);

    /** Any tenant's job: for the engine's own bookkeeping, never for answering a tenant. */
    Optional<Job> jobGetAny(JobId id);

    Page<Job> jobList(JobQuery query);

    /**
     * Moves up to {@code claim.max()} due queued jobs to running, highest priority first, then
     * oldest {@code run_at}; each gets {@code attempt + 1} and a lease until {@code now + lease}. A
     * job is never handed to two claimers.
     */
    List<Job> jobClaim(Claim claim, Instant now);

    /**
     * Extends the lease of a running attempt and records its progress (null fields are kept).
     * Empty when {@code attempt} is no longer the job's running attempt.
     */
    Optional<Job> jobHeartbeat(JobId id, int attempt, Progress progress, Instant leaseUntil, Instant now);

    /**
     * The end of one running attempt, as the engine decided it from the job it read.
     *
     * @param cancelRequested the job's cancel flag when the engine decided
     */
    record Finish(JobId id, int attempt, boolean cancelRequested, Transition transition) {}

    /**
     * Ends running attempts, in one statement. Each applies only if its job is still running at
     * its {@code attempt} and its cancel flag still equals {@code cancelRequested} (the engine's
     * decision was made on that), and with {@link Transition#onlyIfExpired()} only while the lease
     * is expired or the attempt is past its timeout. Returns, in the order given, the job after each finish, or empty where it did not
     * apply. The ids must be distinct.
     */
    List<Optional<Job>> jobFinish(List<Finish> finishes, Instant now);

    /** {@link #jobFinish(List, Instant)} for one attempt. */
    default Optional<Job> jobFinish(JobId id, int attempt, boolean cancelRequested, Transition transition, Instant now) {
        return jobFinish(List.of(new Finish(id, attempt, cancelRequested, transition)), now).getFirst();
    }

    /** Any tenant's jobs among {@code ids}, in no particular order: for the engine's own bookkeeping. */
    List<Job> jobGetMany(Collection<JobId> ids);

    /** Running jobs whose lease ran out, or whose attempt ran past its timeout, before {@code now}; oldest lease first. */
    List<Job> jobListExpired(Instant now, int limit);

    /**
     * Cancels a queued job at once, or flags a running one for its executor. Empty when neither
     * applied (no such job, or it is in another status).
     */
    Optional<Job> jobCancel(String tenant, JobId id, Instant now);

    /** Queues a failed or cancelled job again with a fresh budget of attempts; empty when it is in another status. */
    Optional<Job> jobRetry(String tenant, JobId id, Instant now);

    /**
     * Deletes a job that is not running, with its history, logs and file records (its files'
     * bytes become orphans, see {@link #blobOrphansDue}); false when there was none such.
     */
    boolean jobDelete(String tenant, JobId id, Instant now);

    /**
     * Which finished jobs to prune: those of {@code type} that ended before {@code endedBefore}, or,
     * with {@code type} null, those of every type not in {@code exceptTypes}; at most {@code limit}.
     */
    record Prune(String type, Set<String> exceptTypes, Instant endedBefore, int limit) {
        public Prune {
            exceptTypes = Set.copyOf(exceptTypes);
        }
    }

    /** Deletes the finished jobs {@code prune} names, as {@link #jobDelete} does; returns how many. */
    int jobPruneFinished(Prune prune, Instant now);

    /**
     * Blobs unreferenced since before {@code orphanedBefore}, up to {@code limit}; blobs referenced
     * again are dropped from the orphan list as they are met.
     */
    List<String> blobOrphansDue(Instant orphanedBefore, int limit);

    /**
     * Marks bytes as an orphan candidate from {@code now}: done for every upload before its record
     * is written, so bytes whose record never comes (a refused submit) are freed too.
     */
    void blobOrphanAdd(String sha256, Instant now);

    /** Forgets an orphan whose bytes were deleted. */
    void blobOrphanForget(String sha256);

    List<JobEvent> jobEvents(String tenant, JobId id);

    Optional<Batch> batchGet(String tenant, String id);

    /** Forgets idempotency keys that expired before {@code now}; returns how many. */
    int idempotencyPrune(Instant now);

    /** Records that a worker was seen now (it claimed, or heartbeated), creating it on first sight. */
    void workerSeen(String id, String name, String keyId, List<String> types, Instant now);

    /** Workers seen at or after {@code since}, most recently seen first, each with the jobs it holds. */
    List<Worker> workerList(Instant since);

    /**
     * Appends lines to a job's log, fenced like every worker write: only while the job is running
     * at {@code attempt}. False when that no longer holds.
     */
    boolean jobLogAppend(JobId id, int attempt, List<String> lines, Instant now);

    /** A job's log lines, oldest first, at most {@code limit}; empty for another tenant's job. */
    List<LogLine> jobLogs(String tenant, JobId id, int limit);

    /**
     * Records an output file of a running attempt, fenced like every worker write; replaces an
     * earlier file of the same name. False when the job is no longer running at {@code attempt}, or
     * when adding it would pass {@code maxCount} files or {@code maxBytes} in all for the job.
     */
    boolean artifactAdd(Artifact artifact, int maxCount, long maxBytes);

    /** A job's files, inputs first, by name; empty for another tenant's job. */
    List<Artifact> artifactList(String tenant, JobId id);

    /** One file of any tenant's job: for signed download links, which carry no API key. */
    Optional<Artifact> artifactGetAny(JobId id, String name);

    /** The value of a shared secret, created with {@code create} by whichever node asks first. */
    byte[] secret(String name, Supplier<byte[]> create);

    void keyInsert(ApiKey key);

    Optional<ApiKey> keyByPrefix(String prefix);

    /** The keys of one tenant, or of every tenant when {@code tenant} is null, oldest first. */
    List<ApiKey> keyList(String tenant);

    /** Revokes a key; false when there is no such key. Revoking twice keeps the first time. */
    boolean keyRevoke(String id, Instant now);

    long keyCount();

    // ---------------------------------------------------------------- live events

    /**
     * Events with {@code after < seq <= upTo}, oldest first, at most {@code limit}; only {@code
     * tenant}'s when it is not null, only {@code job}'s when that is not null.
     */
    List<FeedEvent> eventsBetween(long after, long upTo, String tenant, JobId job, int limit);

    /** The highest event sequence number committed so far (0 when there is none). */
    long eventsLast();

    /** How many events are committed with a sequence number above some point, and the highest of them. */
    record EventSpan(long count, long last) {}

    /** The events committed with {@code seq > after}, counted; {@code last} is {@code after} when there are none. */
    EventSpan eventsAfter(long after);

    // ---------------------------------------------------------------- webhooks

    /**
     * Makes job webhooks' bodies with {@code payloads} from now on. Set once at start, before
     * any write; until then a minimal body (type, timestamp, job id and status) is used.
     */
    void renderPayloadsWith(Payloads payloads);

    /** Stores a new endpoint with its first signing secret. */
    void webhookInsert(WebhookEndpoint endpoint, String secret);

    Optional<WebhookEndpoint> webhookGet(String tenant, String id);

    /** A tenant's endpoints, oldest first. */
    List<WebhookEndpoint> webhookList(String tenant);

    /**
     * Replaces an endpoint's url, events, description and disabled state (its pending deliveries
     * go to the new url); empty when the tenant has no such endpoint.
     */
    Optional<WebhookEndpoint> webhookUpdate(WebhookEndpoint endpoint);

    /** Deletes an endpoint with its secret; its pending deliveries fail. False when there was none. */
    boolean webhookDelete(String tenant, String id, Instant now);

    /** The signing secret of {@code owner}, created with {@code create} if it has none yet. */
    SigningSecret signingSecret(String owner, Supplier<String> create);

    /** Makes {@code secret} the owner's secret; the one it replaces stays valid until {@code previousUntil}. */
    SigningSecret signingRotate(String owner, String secret, Supplier<String> create,
                                              Instant previousUntil);

    /**
     * Leases up to {@code limit} deliveries that are due now for {@code lease}: pending, not leased,
     * their endpoint enabled, and with no earlier pending delivery of the same job to the same target
     * (so each receiver gets a job's events in their order). A delivery is never leased to two at once.
     */
    List<Delivery> deliveryClaim(Instant now, Duration lease, int limit);

    /**
     * Records a try of a leased delivery: delivered on 2xx; on 410 failed, and its endpoint
     * disabled (or, for a job's own webhook, the job's other pending deliveries failed too);
     * otherwise pending again at {@code retryAt}, or failed when that is null.
     */
    void deliveryTried(Delivery delivery, Delivery.Tried tried, Instant retryAt, Instant now);

    /**
     * A tenant's deliveries, newest first: of one target when {@code target} is not null, of one job
     * when {@code job} is not null; only those with an id below {@code before} when that is not null.
     */
    Page<Delivery> deliveryList(String tenant, String target, JobId job, String before, int limit);

    Optional<Delivery> deliveryGet(String tenant, String id);

    /** The tries of a delivery, first first. */
    List<Delivery.Attempt> deliveryAttempts(String deliveryId);

    /** Sends a delivery again, now, with the same id and body; empty when the tenant has no such delivery. */
    Optional<Delivery> deliveryReplay(String tenant, String id, Instant now);

    /** Forgets finished (delivered or failed) deliveries last changed before {@code before}; returns how many. */
    int deliveryPrune(Instant before, int limit);

    /** Calls {@code listener} after every commit of this store's writes that recorded job events: it must only signal, never block. */
    void afterEventsCommitted(Runnable listener);

    /** Calls {@code listener} after every commit of this store's writes that recorded webhook deliveries: it must only signal. */
    void afterDeliveriesCommitted(Runnable listener);

    /**
     * Calls {@code wakeUp} when another process made jobs claimable (a submit on another node).
     * Best effort: a store may miss some, or have none to report, so claimers poll as well.
     */
    default void onClaimable(Runnable wakeUp) {}

    /**
     * Calls {@code wakeUp} when another process recorded job events. Best effort, like {@link
     * #onClaimable}: whoever waits for events also looks now and then.
     */
    default void onEvents(Runnable wakeUp) {}

    /** A short description for logs: the kind of database and where it is, without secrets. */
    String describe();

    /**
     * Whether the database answers: what the last call found, and when that was a failure, a
     * fresh question. While it does not, every call throws {@code UNAVAILABLE}.
     */
    boolean reachable();

    @Override
    void close();
}
