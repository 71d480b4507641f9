package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.Backoff;
import dev.spool.job.Batch;
import dev.spool.job.ErrorCode;
import dev.spool.job.FeedEvent;
import dev.spool.job.InputFile;
import dev.spool.job.Job;
import dev.spool.job.JobError;
import dev.spool.job.JobEvent;
import dev.spool.job.JobId;
import dev.spool.job.JobQuery;
import dev.spool.job.JobStatus;
import dev.spool.job.JobTiming;
import dev.spool.job.LogLine;
import dev.spool.job.NewJob;
import dev.spool.job.Outcome;
import dev.spool.job.Page;
import dev.spool.job.Progress;
import dev.spool.job.QueueState;
import dev.spool.job.SpoolException;
import dev.spool.job.Transition;
import dev.spool.job.Worker;
import dev.spool.store.EventLog;
import dev.spool.store.Storage;
import dev.spool.store.Store;
import dev.spool.store.WorkerStore;
import dev.spool.telemetry.Tracing;
import dev.spool.wake.WakeUp;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The one façade every transport calls. It applies the job types' rules (defaults, schemas,
 * retries and backoff, what cancel means in each status) and leaves atomicity to the {@link Store}.
 *
 * <p>Guarantees: at-least-once execution (a job whose executor vanished is rescued when its lease
 * runs out); exactly one job per idempotency key; exactly one accepted outcome per job (every
 * worker-side write is fenced by the attempt it belongs to).
 */
public final class Engine {
    /** The engine's tunables; see docs/configuration.md. */
    public record Settings(Duration lease, Backoff backoff, Duration idempotencyRetention, int maxBatchSize) {}

    /** The answer to a heartbeat: the job as it stands, including whether cancellation was requested. */
    public record Heartbeat(Job job) {
        public boolean cancelRequested() {
            return job.cancelRequested();
        }
    }

    /** What became of one item of a batch call: its value, or why it was refused (exactly one is set). */
    public record Answer<T>(T value, SpoolException error) {
        static <T> Answer<T> of(CompletableFuture<T> done) {
            try {
                return new Answer<>(done.join(), null);
            } catch (CompletionException e) {
                if (e.getCause() instanceof SpoolException refused) {
                    return new Answer<>(null, refused);
                }
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
    }

    /** One attempt's heartbeat in a batch, with its progress ({@link Progress#NONE}: none). */
    public record Beat(JobId id, int attempt, Progress progress) {}

    /** One attempt's end in a batch of reports: its outcome, or null to hand it back unspent (see {@link #giveBack}). */
    public record Report(JobId id, int attempt, Outcome outcome) {}

    /**
     * A worker asking for jobs. Empty {@code types} means every type declared for workers.
     *
     * @param workerId chosen by the worker, stable across its claims
     */
    public record WorkerClaim(String workerId, String name, String keyId, List<String> types, List<String> queues, int max) {
        public WorkerClaim {
            types = List.copyOf(types);
            queues = List.copyOf(queues);
        }
    }

    /** A submit's answer; {@code created} is false when an earlier job with the same idempotency key was returned. */
    public record Submitted(Job job, boolean created) {}

    private final Store store;
    private final WorkerStore workers;
    private final EventLog events;
    private final JobTypes types;
    private final InstantSource clock;
    private final Settings settings;
    private final RandomGenerator random;
    private final Map<String, Integer> caps;
    private final List<Runnable> wakeUps = new CopyOnWriteArrayList<>();
    /** Rung after every commit that made jobs claimable: long-polling claims wait on it. */
    private final WakeUp claimable = new WakeUp();
    private final Intake intake;
    private final Submissions submissions;
    private final Finishes finishes;
    private final JobMeter meter;
    private final Tracing tracing;

    /**
     * @param intake where submits put their input files, fetch their URL sources and check their
     *               webhook URLs
     */
    public Engine(Storage storage, JobTypes types, Intake intake, InstantSource clock, Settings settings,
                  RandomGenerator random, JobMeter meter, Tracing tracing) {
        this.meter = meter;
        this.tracing = tracing;
        this.store = storage.jobs();
        this.intake = intake;
        this.submissions = new Submissions(types, intake);
        this.finishes = new Finishes(store, clock);
        this.workers = storage.workers();
        this.events = storage.events();
        this.types = types;
        this.clock = clock;
        this.settings = settings;
        this.random = random;
        // Types are fixed at start, so their concurrency caps are too.
        this.caps = types.all().stream()
                .filter(t -> t.concurrency() > 0)
                .collect(Collectors.toMap(JobType::name, JobType::concurrency));
        store.onClaimable(this::wake);
    }

    public JobTypes types() {
        return types;
    }

    public InstantSource clock() {
        return clock;
    }

    public Settings settings() {
        return settings;
    }

    /** Registers a callback run after a commit that made a job claimable now (a submit or a retry). */
    public void onClaimable(Runnable wakeUp) {
        wakeUps.add(wakeUp);
    }

    private void wake() {
        claimable.ring();
        wakeUps.forEach(Runnable::run);
    }

    /**
     * Claims for an external worker, waiting up to {@code wait} for work: it answers as soon as a
     * commit (here, or on another node through the store) makes jobs claimable, and looks again at
     * least every second for jobs whose run_at has come.
     */
    public List<Job> claimForWorker(WorkerClaim claim, Duration wait) {
        List<String> types = workerTypes(claim.types());
        meter.claimAsked(claim.workerId(), claim.max());
        workers.workerSeen(claim.workerId(), claim.name(), claim.keyId(), types, claim.max(), clock.instant());
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long seen = claimable.rings();
            List<Job> jobs = claim(types, claim.queues(), claim.max(), claim.workerId());
            long left = deadline - System.nanoTime();
            if (!jobs.isEmpty() || left <= 0) {
                return jobs;
            }
            meter.claimWaiting(1);
            try {
                claimable.await(seen, Duration.ofNanos(Math.min(left, Duration.ofSeconds(1).toNanos())));
            } finally {
                meter.claimWaiting(-1);
            }
        }
    }

    /** The types a worker may claim: those declared with executor {@code worker}, all of them or the ones it names. */
    private List<String> workerTypes(List<String> requested) {
        List<String> declared = types.all().stream().filter(t -> t.executor().equals("worker")).map(JobType::name).toList();
        if (requested.isEmpty()) {
            if (declared.isEmpty()) {
                throw SpoolException.invalid("No job type is declared with 'executor: worker', so there is nothing for workers to claim.");
            }
            return declared;
        }
        for (String name : requested) {
            JobType type = types.get(name).orElseThrow(() -> new SpoolException(ErrorCode.UNKNOWN_TYPE,
                    "Unknown job type '" + name + "'. GET /v1/types lists the declared types."));
            if (!type.executor().equals("worker")) {
                throw SpoolException.invalid("Type '" + name + "' is run by the server (executor " + type.executor()
                        + "); workers can claim only types declared with 'executor: worker'.");
            }
        }
        return List.copyOf(requested);
    }

    /** Appends a worker's log lines to its running attempt; {@code STALE_ATTEMPT} once it is no longer current. */
    public void appendLogs(JobId id, int attempt, List<String> lines) {
        if (!workers.jobLogAppend(id, attempt, lines, clock.instant())) {
            throw staleOrMissing(id);
        }
    }

    /** The job's log lines after line {@code afterSeq} (0: from the first), oldest first, at most {@code limit}. */
    public List<LogLine> logs(String tenant, JobId id, long afterSeq, int limit) {
        get(tenant, id);
        return workers.jobLogs(tenant, id, afterSeq, limit);
    }

    /** Workers seen within {@code recent}, most recent first. */
    public List<Worker> workers(Duration recent) {
        return workers.workerList(clock.instant().minus(recent));
    }

    // ---------------------------------------------------------------- a tenant's side

    /**
     * Stores one input file of a submit as its request is read (a multipart upload), before the
     * job exists; pass it in {@link Submission#uploads}. Bytes whose job never comes are freed.
     */
    public InputFile upload(String name, String contentType, InputStream content) {
        return intake.store(name, contentType, content);
    }

    /**
     * Submits one job: checks it, makes its sources into input files, and stores it (or, under an
     * idempotency key already used for the same request, finds the job made then).
     */
    public Submitted submit(String tenant, String keyId, Submission s) {
        Span span = tracing.childSpan("spool.job.submit");
        try {
            NewJob job = submissions.resolve(tenant, keyId, s, null).traced(Tracing.traceparent(span));
            intake.admit(tenant, keyId, 1, inputBytes(job));
            Store.Inserted inserted = store.jobInsert(job, clock.instant(), settings.idempotencyRetention());
            span.setAttribute("spool.job.id", inserted.job().id().value()).setAttribute("spool.job.type", job.type());
            if (inserted.created()) {
                meter.submitted(inserted.job());
                wake();
            }
            return new Submitted(inserted.job(), inserted.created());
        } catch (RuntimeException e) {
            span.recordException(e).setStatus(StatusCode.ERROR);
            throw e;
        } finally {
            span.end();
        }
    }

    /** Checks a submit as {@link #submit} would, storing and fetching nothing: for a job a schedule submits later. */
    public void checkSubmission(String tenant, String keyId, Submission s) {
        submissions.check(tenant, keyId, s);
    }

    private static long inputBytes(NewJob job) {
        return job.inputs().stream().mapToLong(InputFile::size).sum();
    }

    /** A batch as submitted: made now, or found under the idempotency key of an earlier identical call. */
    public record BatchSubmitted(Batch batch, boolean created) {}

    /**
     * Submits all the jobs as one batch, or none of them if any is invalid. With an idempotency
     * key, a repeat of the call (the same {@code fingerprint}: a hash of its request) finds the
     * batch made the first time instead of making another, however the two calls interleave.
     */
    public BatchSubmitted submitBatch(String tenant, String keyId, List<Submission> submissions, String idempotencyKey,
                                      String fingerprint) {
        if (submissions.isEmpty() || submissions.size() > settings.maxBatchSize()) {
            throw SpoolException.invalid("a batch holds 1 to " + settings.maxBatchSize() + " jobs");
        }
        Store.Call call = call(tenant, "POST /v1/batches", idempotencyKey, fingerprint);
        String batchId = JobId.generate().value();
        List<NewJob> jobs = new ArrayList<>(submissions.size());
        Span span = tracing.childSpan("spool.batch.submit").setAttribute("spool.batch.id", batchId);
        String traceparent = Tracing.traceparent(span);
        span.end(); // the batch's jobs hang under it; its time is the request's
        for (int i = 0; i < submissions.size(); i++) {
            try {
                jobs.add(this.submissions.resolve(tenant, keyId, submissions.get(i), batchId).traced(traceparent));
            } catch (SpoolException e) {
                throw new SpoolException(e.code(), "jobs[" + i + "]: " + e.getMessage());
            }
        }
        intake.admit(tenant, keyId, jobs.size(), jobs.stream().mapToLong(Engine::inputBytes).sum());
        Store.BatchInserted inserted = store.jobInsertBatch(batchId, tenant, jobs, clock.instant(), call);
        if (inserted.earlier().isPresent()) {
            Store.CallSeen earlier = inserted.earlier().get();
            mismatch(earlier, call);
            return new BatchSubmitted(batch(tenant, earlier.answer()), false);
        }
        inserted.jobs().forEach(meter::submitted);
        wake();
        return new BatchSubmitted(new Batch(batchId, tenant, inserted.jobs().getFirst().createdAt(),
                inserted.jobs().stream().map(j -> new Batch.Member(j.id(), j.status())).toList()), true);
    }

    /** The key of a repeatable call, or null without one; a malformed key is refused. */
    private Store.Call call(String tenant, String route, String key, String fingerprint) {
        if (key == null) {
            return null;
        }
        if (!NewJob.IDEMPOTENCY_KEY.matcher(key).matches()) {
            throw SpoolException.invalid("Idempotency-Key must be 1 to 255 printable ASCII characters");
        }
        return new Store.Call(tenant, route, key, fingerprint, clock.instant().plus(settings.idempotencyRetention()));
    }

    private static void mismatch(Store.CallSeen earlier, Store.Call call) {
        if (!earlier.fingerprint().equals(call.fingerprint())) {
            throw new SpoolException(ErrorCode.IDEMPOTENCY_MISMATCH,
                    "This Idempotency-Key was used for a different request; use a new key for a new request.");
        }
    }

    /** A digest of a request's JSON that ignores key order and white space: what an idempotency key compares. */
    public static String fingerprint(JsonNode request) {
        return Submissions.canonicalHash(request);
    }

    /** A call's answer: made now, or the answer of an earlier call under the same idempotency key. */
    public record Once(String answer, boolean replayed) {}

    /** How long a repeatable call may go unanswered before a repeat takes it over (its node died, say). */
    static final Duration ABANDONED_AFTER = Duration.ofMinutes(10);

    /**
     * Runs {@code run} (which answers in JSON text) once per idempotency key of the tenant and
     * route: a repeat of the same request gets the first answer; one made while the first still
     * runs is refused (409) unless the first was abandoned; a different request under the key is
     * refused (422). Without a key, just runs it.
     */
    public Once once(String tenant, String route, String key, String fingerprint, Supplier<String> run) {
        Store.Call call = call(tenant, route, key, fingerprint);
        if (call == null) {
            return new Once(run.get(), false);
        }
        Instant now = clock.instant();
        Optional<Store.CallSeen> earlier = store.callBegin(call, now, now.minus(ABANDONED_AFTER));
        if (earlier.isPresent()) {
            mismatch(earlier.get(), call);
            if (earlier.get().answer() == null) {
                throw new SpoolException(ErrorCode.INVALID_STATE,
                        "A call with this Idempotency-Key is still running; repeat it when that one has answered.");
            }
            return new Once(earlier.get().answer(), true);
        }
        try {
            String answer = run.get();
            store.callAnswer(call, answer);
            return new Once(answer, false);
        } catch (RuntimeException e) {
            store.callForget(call);
            throw e;
        }
    }

    // ---------------------------------------------------------------- an operator's levers

    /** What a bulk action does, and to the jobs of which statuses it can. */
    public enum BulkAction {
        CANCEL(Set.of(JobStatus.QUEUED, JobStatus.RUNNING)),
        RETRY(Set.of(JobStatus.FAILED, JobStatus.CANCELLED)),
        DELETE(Set.of(JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED));

        private final Set<JobStatus> applies;

        BulkAction(Set<JobStatus> applies) {
            this.applies = applies;
        }

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a bulk action found: the jobs its filter matched among those it applies to, and those it changed. */
    public record BulkResult(BulkAction action, boolean dryRun, long matched, long changed) {}

    /** Jobs a bulk action takes at a time, each chunk in its own short transaction. */
    static final int BULK_CHUNK = 500;

    /**
     * Cancels, retries or deletes every job of the tenant that {@code filter} matches (its cursor
     * and limit are ignored) and that the action applies to, a chunk of {@link #BULK_CHUNK} at a
     * time, newest first; or, as a dry run, only counts them. Jobs that change status while it runs
     * are taken as they are when their chunk comes.
     */
    public BulkResult bulk(BulkAction action, JobQuery filter, boolean dryRun) {
        Set<JobStatus> statuses = EnumSet.copyOf(action.applies);
        if (!filter.statuses().isEmpty()) {
            statuses.retainAll(filter.statuses());
        }
        if (statuses.isEmpty()) {
            return new BulkResult(action, dryRun, 0, 0);
        }
        JobQuery all = new JobQuery(filter.tenant(), statuses, filter.type(), filter.queue(), filter.batchId(),
                filter.createdAfter(), filter.createdBefore(), filter.metadata(), null, BULK_CHUNK);
        if (dryRun) {
            return new BulkResult(action, true, store.jobCount(all), 0);
        }
        long matched = 0;
        long changed = 0;
        JobId cursor = null;
        while (true) {
            List<JobId> ids = store.jobIds(all.page(cursor, BULK_CHUNK));
            if (ids.isEmpty()) {
                break;
            }
            matched += ids.size();
            Instant now = clock.instant();
            switch (action) {
                case CANCEL -> {
                    List<Job> done = store.jobCancelAll(filter.tenant(), ids, now);
                    done.stream().filter(j -> j.status() == JobStatus.CANCELLED).forEach(meter::ended);
                    changed += done.size();
                }
                case RETRY -> {
                    List<Job> done = store.jobRetryAll(filter.tenant(), ids, now);
                    if (!done.isEmpty()) {
                        wake();
                    }
                    changed += done.size();
                }
                case DELETE -> changed += store.jobDeleteAll(filter.tenant(), ids, now);
            }
            if (ids.size() < BULK_CHUNK) {
                break;
            }
            cursor = ids.getLast();
        }
        return new BulkResult(action, false, matched, changed);
    }

    /** The tenant's jobs that ended in the last {@code window}, latest first (at most 50,000: an overview, not a report). */
    public List<JobTiming> recentlyEnded(String tenant, Duration window) {
        return store.jobTimings(tenant, clock.instant().minus(window), 50_000);
    }

    /** Cancels every queued or running job of a batch; see {@link #bulk}. */
    public BulkResult cancelBatch(String tenant, String batchId) {
        batch(tenant, batchId);
        return bulk(BulkAction.CANCEL, new JobQuery(tenant, Set.of(), null, null, batchId, null, null, Map.of(), null, 1), false);
    }

    /**
     * The queues an operator sees: those with queued or running jobs of {@code tenant} (null: of
     * every tenant, and every paused queue), and those the declared types use, by name.
     */
    public List<QueueState> queues(String tenant) {
        Map<String, QueueState> all = new TreeMap<>();
        for (QueueState q : store.queueStates(tenant, clock.instant())) {
            all.put(q.queue(), q);
        }
        Map<String, Instant> paused = tenant == null ? Map.of() : store.queuesPaused();
        for (JobType type : types.all()) {
            all.putIfAbsent(type.queue(), new QueueState(type.queue(), 0, 0, null, paused.get(type.queue())));
        }
        return List.copyOf(all.values());
    }

    /** Pauses a queue on every node: its jobs are still accepted, and none is claimed until it is resumed. */
    public QueueState pauseQueue(String queue, String by) {
        checkQueue(queue);
        store.queuePause(queue, by, clock.instant());
        return queue(queue);
    }

    public QueueState resumeQueue(String queue) {
        checkQueue(queue);
        if (store.queueResume(queue)) {
            wake();
        }
        return queue(queue);
    }

    private QueueState queue(String queue) {
        return queues(null).stream().filter(q -> q.queue().equals(queue)).findFirst()
                .orElse(new QueueState(queue, 0, 0, null, null));
    }

    private static void checkQueue(String queue) {
        if (queue == null || !NewJob.NAME.matcher(queue).matches()) {
            throw SpoolException.invalid("A queue is named by 1 to 64 letters, digits, '_', '.' or '-'.");
        }
    }

    public Job get(String tenant, JobId id) {
        return store.jobGet(tenant, id).orElseThrow(() -> SpoolException.notFound("job"));
    }

    public Page<Job> list(JobQuery query) {
        return store.jobList(query);
    }

    public List<JobEvent> events(String tenant, JobId id) {
        get(tenant, id);
        return store.jobEvents(tenant, id);
    }

    /**
     * A tenant's events with {@code after < seq <= upTo}, oldest first, at most {@code limit}; of one
     * job when {@code job} is not null. For streams catching up before they follow an {@link EventFeed}.
     */
    public List<FeedEvent> eventsBetween(String tenant, JobId job, long after, long upTo, int limit) {
        return events.eventsBetween(after, upTo, tenant, job, limit);
    }

    public Batch batch(String tenant, String id) {
        return store.batchGet(tenant, id).orElseThrow(() -> SpoolException.notFound("batch"));
    }

    /**
     * Cancels a queued job at once; asks a running one to stop (its executor learns it from its next
     * heartbeat, and if it never answers, its lease running out ends it as cancelled). Cancelling
     * again is harmless; cancelling a job that already succeeded or failed is an error.
     */
    public Job cancel(String tenant, JobId id) {
        var changed = store.jobCancel(tenant, id, clock.instant());
        if (changed.isPresent()) {
            meter.ended(changed.get());
            return changed.get();
        }
        Job job = get(tenant, id);
        if (job.status() == JobStatus.CANCELLED || job.cancelRequested()) {
            return job;
        }
        throw new SpoolException(ErrorCode.INVALID_STATE,
                "The job already " + job.status().wireName() + "; only queued or running jobs can be cancelled.");
    }

    /** Queues a failed or cancelled job again, with a fresh budget of attempts. */
    public Job retry(String tenant, JobId id) {
        var changed = store.jobRetry(tenant, id, clock.instant());
        if (changed.isPresent()) {
            wake();
            return changed.get();
        }
        Job job = get(tenant, id);
        throw new SpoolException(ErrorCode.INVALID_STATE,
                "The job is " + job.status().wireName() + "; only failed or cancelled jobs can be retried.");
    }

    /** Deletes a job that is not running, with its history. */
    public void delete(String tenant, JobId id) {
        if (!store.jobDelete(tenant, id, clock.instant())) {
            get(tenant, id);
            throw new SpoolException(ErrorCode.INVALID_STATE, "The job is running; cancel it before deleting it.");
        }
    }

    // ---------------------------------------------------------------- an executor's side

    /** Claims due jobs for an executor; see {@link Store#jobClaim}. */
    public List<Job> claim(List<String> jobTypes, List<String> queues, int max, String workerId) {
        Instant now = clock.instant();
        List<Job> claimed = store.jobClaim(new Store.Claim(jobTypes, queues, max, workerId, settings.lease(), caps), now);
        Instant after = tracing.on() ? clock.instant() : now;
        for (Job job : claimed) {
            meter.started(job, now);
            if (tracing.on() && job.traceparent() != null) {
                Instant due = job.runAt() == null || job.runAt().isAfter(now) ? now : job.runAt();
                tracing.jobSpan("spool.job.queued", job.traceparent(), due, SpanKind.INTERNAL).setAllAttributes(attributes(job)).end(now);
                tracing.jobSpan("spool.job.claim", job.traceparent(), now, SpanKind.INTERNAL).setAllAttributes(attributes(job))
                        .setAttribute("spool.worker.id", workerId).end(after);
            }
        }
        return claimed;
    }

    /** Extends the lease of a running attempt; {@code STALE_ATTEMPT} when it is no longer current. */
    public Heartbeat heartbeat(JobId id, int attempt, Progress progress) {
        Instant now = clock.instant();
        return store.jobHeartbeat(id, attempt, progress, now.plus(settings.lease()), now)
                .map(Heartbeat::new)
                .orElseThrow(() -> staleOrMissing(id));
    }

    /**
     * Extends the leases of many running attempts in one write; each is answered on its own, in the
     * order given ({@code STALE_ATTEMPT} or {@code NOT_FOUND} where the attempt is not current).
     */
    public List<Answer<Heartbeat>> heartbeats(List<Beat> beats) {
        if (beats.stream().map(Beat::id).distinct().count() != beats.size()) {
            throw SpoolException.invalid("each job may appear once in a call");
        }
        Instant now = clock.instant();
        List<Optional<Job>> beaten = store.jobHeartbeat(beats.stream()
                .map(b -> new Store.Beat(b.id(), b.attempt(), b.progress())).toList(), now.plus(settings.lease()), now);
        List<Answer<Heartbeat>> answers = new ArrayList<>(beats.size());
        for (int i = 0; i < beats.size(); i++) {
            answers.add(beaten.get(i).isPresent()
                    ? new Answer<>(new Heartbeat(beaten.get(i).get()), null)
                    : new Answer<>(null, staleOrMissing(beats.get(i).id())));
        }
        return answers;
    }

    /** Ends a running attempt with what its executor reported. */
    public Job report(JobId id, int attempt, Outcome outcome) {
        Instant received = clock.instant();
        Map<JobId, Instant> started = tracing.on() ? new ConcurrentHashMap<>(1) : null;
        return traced(ended(finishes.finish(id, attempt, job -> decide(started(job, started), outcome, clock.instant()))),
                started, received);
    }

    /**
     * Ends many running attempts, each with what its executor reported, combined into as few writes
     * as there are; each is answered on its own, in the order given.
     */
    public List<Answer<Job>> reportAll(List<Report> reports) {
        if (reports.stream().map(Report::id).distinct().count() != reports.size()) {
            throw SpoolException.invalid("each job may appear once in a call");
        }
        Instant received = clock.instant();
        Map<JobId, Instant> started = tracing.on() ? new ConcurrentHashMap<>(reports.size()) : null;
        List<Finishes.Request> requests = reports.stream()
                .map(r -> new Finishes.Request(r.id(), r.attempt(), r.outcome() == null
                        ? job -> givenBack(started(job, started))
                        : job -> decide(started(job, started), r.outcome(), clock.instant())))
                .toList();
        List<Answer<Job>> answers = finishes.finishAll(requests).stream().map(Answer::of).toList();
        for (Answer<Job> a : answers) {
            if (a.value() != null) {
                traced(ended(a.value()), started, received);
            }
        }
        return answers;
    }

    /** Hands a running attempt back to the queue without spending it (the executor is shutting down). */
    public Job giveBack(JobId id, int attempt) {
        return ended(finishes.finish(id, attempt, this::givenBack));
    }

    private Job ended(Job job) {
        meter.ended(job);
        return job;
    }

    /** Notes when the running attempt that a report ends started (for its run span; null: traces are off). */
    private Job started(Job running, Map<JobId, Instant> started) {
        if (started != null && running.attemptStartedAt() != null) {
            started.put(running.id(), running.attemptStartedAt());
        }
        return running;
    }

    /** The spans of an attempt that a report ended: its run (from its start) and the report's own write. */
    private Job traced(Job job, Map<JobId, Instant> started, Instant received) {
        if (started != null && job.traceparent() != null) {
            Instant runFrom = started.get(job.id());
            Instant now = clock.instant();
            String outcome = job.status() == JobStatus.QUEUED ? (job.error() != null ? "retry" : "requeued") : job.status().wireName();
            if (runFrom != null) {
                tracing.jobSpan("spool.job.run", job.traceparent(), runFrom, SpanKind.INTERNAL).setAllAttributes(attributes(job))
                        .setAttribute("spool.job.outcome", outcome).end(received);
            }
            Span complete = tracing.jobSpan("spool.job.complete", job.traceparent(), received, SpanKind.INTERNAL)
                    .setAllAttributes(attributes(job)).setAttribute("spool.job.outcome", outcome);
            if (job.error() != null && job.status() != JobStatus.CANCELLED) {
                complete.setAttribute("spool.job.error_code", job.error().code());
            }
            complete.end(now);
        }
        return job;
    }

    private static Attributes attributes(Job job) {
        return Attributes.of(AttributeKey.stringKey("spool.job.id"), job.id().value(), AttributeKey.stringKey("spool.job.type"),
                job.type(), AttributeKey.longKey("spool.job.attempt"), (long) job.attempt());
    }

    private Transition givenBack(Job job) {
        return job.cancelRequested()
                ? Transition.cancel("cancelled while its executor was shutting down")
                : Transition.requeue(clock.instant(), "given_back");
    }

    private Transition decide(Job job, Outcome outcome, Instant now) {
        return switch (outcome) {
            case Outcome.Succeeded s -> Transition.succeed(s.result(), s.units());
            case Outcome.Cancelled c -> Transition.cancel(c.reason());
            case Outcome.Snoozed s -> job.cancelRequested()
                    ? Transition.cancel("cancelled while snoozing")
                    : Transition.requeue(now.plus(s.delay()), "snoozed");
            case Outcome.Failed f -> afterFailure(job, f.error(), now);
        };
    }

    /** A failed attempt: cancelled if that was asked, else retried with backoff while attempts remain. */
    private Transition afterFailure(Job job, JobError error, Instant now) {
        if (job.cancelRequested()) {
            return Transition.cancel("cancelled; the last attempt failed: " + error.message());
        }
        if (error.retryable() && job.attemptsLeft() > 0) {
            int spent = job.attempt() - job.attemptOffset();
            return Transition.retry(error, now.plus(settings.backoff().delay(spent, random.nextDouble())));
        }
        return Transition.fail(error);
    }

    /**
     * Ends the attempts whose leases ran out, or that ran past their timeout, before {@code now}: as
     * cancelled when cancel was asked, else retried with backoff while attempts remain, else failed. Safe to run on every node at once:
     * each write applies only while the lease is still expired and the attempt is still current.
     *
     * @return how many jobs were rescued
     */
    public int rescueExpired(Instant now, int limit) {
        List<Store.Finish> rescues = new ArrayList<>();
        for (Job job : store.jobListExpired(now, limit)) {
            boolean timedOut = job.attemptStartedAt() != null
                    && job.attemptStartedAt().plusSeconds(job.timeoutSeconds()).isBefore(now);
            JobError expired = timedOut
                    ? new JobError("timeout", "The attempt ran longer than its timeout of " + job.timeoutSeconds() + " s.", true)
                    : new JobError("lease_expired",
                            "The executor stopped heartbeating; its lease expired at " + job.leaseExpiresAt() + ".", true);
            Transition t = (job.cancelRequested()
                    ? Transition.cancel("cancelled; the executor did not confirm before its lease expired")
                    : afterFailure(job, expired, now)).ifLeaseExpired();
            rescues.add(new Store.Finish(job.id(), job.attempt(), job.cancelRequested(), t));
        }
        int rescued = 0;
        for (Optional<Job> done : store.jobFinish(rescues, now)) {
            if (done.isPresent()) {
                rescued++;
                if (tracing.on() && done.get().traceparent() != null) {
                    tracing.jobSpan("spool.job.rescue", done.get().traceparent(), now, SpanKind.INTERNAL)
                            .setAllAttributes(attributes(done.get())).end(now);
                }
                meter.rescued(done.get());
                meter.ended(done.get());
            }
        }
        if (rescued > 0) {
            wake();
        }
        return rescued;
    }

    /** How many combined finish statements were sent so far (each ends one or more attempts). */
    public long finishStatements() {
        return finishes.statements();
    }

    public int pruneIdempotencyKeys(Instant now) {
        return store.idempotencyPrune(now);
    }

    private SpoolException staleOrMissing(JobId id) {
        return finishes.staleOrMissing(id);
    }
}
