package dev.spool.store;

import dev.spool.job.Batch;
import dev.spool.job.Job;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobTiming;
import dev.spool.job.NewJob;
import dev.spool.job.Page;
import dev.spool.job.Progress;
import dev.spool.job.QueueState;
import dev.spool.job.Transition;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where jobs live. Every method is one atomic unit: it commits entirely or not at all, and what it
 * returns was committed (durably: an acknowledged write survives a crash of the machine). Every
 * change of a job's status records a {@link JobEvent} in the same transaction.
 *
 * <p>Methods named for a tenant see only that tenant's rows; the worker-side methods ({@code
 * jobClaim}, {@code jobHeartbeat}, {@code jobFinish}) act across tenants and are fenced instead by
 * the job's {@code attempt}.
 */
public sealed interface Store permits JdbcStore {
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

    /** What {@link #jobInsertBatch} did: stored the batch's jobs, or found the call made before under the same key. */
    record BatchInserted(List<Job> jobs, Optional<CallSeen> earlier) {}

    /**
     * Stores all the jobs as one batch, or none of them. With {@code call} (an idempotency key),
     * its key is written in the same transaction with the batch's id as its answer; when the key
     * was written before, nothing is stored and the earlier call is returned instead.
     */
    BatchInserted jobInsertBatch(String batchId, String tenant, List<NewJob> jobs, Instant now, Call call);

    Optional<Job> jobGet(String tenant, JobId id);

    /** Any tenant's job: for the engine's own bookkeeping, never for answering a tenant. */
    Optional<Job> jobGetAny(JobId id);

    Page<Job> jobList(JobQuery query);

    /** The ids of the jobs {@link #jobList} would list (the page only, newest first). */
    List<JobId> jobIds(JobQuery query);

    /** How many jobs the query's filters match (its cursor included, its limit not). */
    long jobCount(JobQuery query);

    /** The tenant's jobs that ended at or after {@code since}, latest first, at most {@code limit}. */
    List<JobTiming> jobTimings(String tenant, Instant since, int limit);

    /**
     * Moves up to {@code claim.max()} due queued jobs to running, highest priority first, then
     * oldest {@code run_at}; each gets {@code attempt + 1} and a lease until {@code now + lease}. A
     * job is never handed to two claimers. Tenants with due work of the same priority share a
     * claim in turns (each one's oldest first, then each one's second, …), so that a tenant with
     * many queued jobs delays another's by about one claim; a tenant at its running quota gets none.
     */
    List<Job> jobClaim(Claim claim, Instant now);

    /** One running attempt's heartbeat, with its progress (null fields are kept). */
    record Beat(JobId id, int attempt, Progress progress) {}

    /**
     * Extends the leases of running attempts and records their progress, in one statement. Returns,
     * in the order given, the job after each heartbeat, or empty where the attempt is no longer the
     * job's running one. The ids must be distinct.
     */
    List<Optional<Job>> jobHeartbeat(List<Beat> beats, Instant leaseUntil, Instant now);

    /** {@link #jobHeartbeat(List, Instant, Instant)} for one attempt. */
    default Optional<Job> jobHeartbeat(JobId id, int attempt, Progress progress, Instant leaseUntil, Instant now) {
        return jobHeartbeat(List.of(new Beat(id, attempt, progress)), leaseUntil, now).getFirst();
    }

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

    /** Queued and running jobs of one queue and type; {@code oldestDue}: the earliest run_at of its due queued jobs, or null. */
    record QueueCount(String queue, String type, long queued, long running, Instant oldestDue) {}

    /**
     * Queued and running jobs per queue and type, for the metrics' gauges: one read of the jobs
     * that are not finished, which the caller makes at most once per refresh interval.
     */
    List<QueueCount> jobQueueCounts(Instant now);

    /**
     * Cancels a queued job at once, or flags a running one for its executor. Empty when neither
     * applied (no such job, or it is in another status).
     */
    Optional<Job> jobCancel(String tenant, JobId id, Instant now);

    /** {@link #jobCancel} for each of {@code ids}, in one transaction; returns the jobs it changed. */
    List<Job> jobCancelAll(String tenant, List<JobId> ids, Instant now);

    /** Queues a failed or cancelled job again with a fresh budget of attempts; empty when it is in another status. */
    Optional<Job> jobRetry(String tenant, JobId id, Instant now);

    /** {@link #jobRetry} for each of {@code ids}, in one transaction; returns the jobs it changed. */
    List<Job> jobRetryAll(String tenant, List<JobId> ids, Instant now);

    /**
     * Deletes a job that is not running, with its history, logs and file records (its files'
     * bytes become orphans, see {@link #blobOrphansDue}); false when there was none such.
     */
    boolean jobDelete(String tenant, JobId id, Instant now);

    /** {@link #jobDelete} for each of {@code ids}, in one transaction; returns how many it deleted. */
    int jobDeleteAll(String tenant, List<JobId> ids, Instant now);

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

    List<JobEvent> jobEvents(String tenant, JobId id);

    Optional<Batch> batchGet(String tenant, String id);

    /** Forgets idempotency keys (of submits and of other calls) that expired before {@code now}; returns how many. */
    int idempotencyPrune(Instant now);

    /**
     * The queues with queued or running jobs of {@code tenant} (null: of every tenant, and every
     * paused queue besides), by name.
     */
    List<QueueState> queueStates(String tenant, Instant now);

    /** The paused queues, with since when. */
    Map<String, Instant> queuesPaused();

    /** Stops claims from taking the queue's jobs, on every node, from the next claim on; false when it was paused already. */
    boolean queuePause(String queue, String by, Instant now);

    /** Lets claims take the queue's jobs again; false when it was not paused. */
    boolean queueResume(String queue);

    /** A call made safe to repeat by an idempotency key: whose, to which route, with which request (a hash of it). */
    record Call(String tenant, String route, String key, String fingerprint, Instant expiresAt) {}

    /** A call made before under the same key: its request's hash, its answer (null while it runs), and when it began. */
    record CallSeen(String fingerprint, String answer, Instant createdAt) {}

    /**
     * Writes the key of a call that is about to run, with no answer yet. Empty when this call may
     * run: its key was new, or the call that wrote it began before {@code staleBefore} and never
     * answered (it is taken over); else the call seen before.
     */
    Optional<CallSeen> callBegin(Call call, Instant now, Instant staleBefore);

    /** Records the answer of a call begun with {@link #callBegin}. */
    void callAnswer(Call call, String answer);

    /** Forgets the key of a call that failed, so that it may be made again. */
    void callForget(Call call);

    /**
     * Calls {@code wakeUp} when another process made jobs claimable (a submit on another node).
     * Best effort: a store may miss some, or have none to report, so claimers poll as well.
     */
    default void onClaimable(Runnable wakeUp) {}
}
