package dev.spool.artifact;


import dev.spool.job.Job;
import dev.spool.job.JobId;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The records of jobs' files (inputs and outputs) and of the bytes no record names any more,
 * and the shared secrets the file links are signed with. The bytes themselves live in the
 * artifact package's blob stores.
 */
public interface FileStore {
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

    /**
     * Records an output file of a running attempt, fenced like every worker write; replaces an
     * earlier file of the same name. False when the job is no longer running at {@code attempt}, or
     * when adding it would pass {@code maxCount} files or {@code maxBytes} in all for the job.
     */
    boolean artifactAdd(Artifact artifact, int maxCount, long maxBytes);

    /** A job's files, inputs first, by name; empty for another tenant's job. */
    List<Artifact> artifactList(String tenant, JobId id);

    /** The input files of any tenant's jobs among {@code ids}, by name: for the claims that hand jobs to workers. */
    List<Artifact> artifactInputs(Collection<JobId> ids);

    /** One file of any tenant's job: for signed download links, which carry no API key. */
    Optional<Artifact> artifactGetAny(JobId id, String name);

    /** The value of a shared secret, created with {@code create} by whichever node asks first. */
    byte[] secret(String name, Supplier<byte[]> create);

    /** The job a file belongs to, of any tenant: to check an upload's attempt before reading its bytes. */
    Optional<Job> job(JobId id);
}
