package dev.spool.artifact;


import dev.spool.job.ErrorCode;
import dev.spool.job.FileName;
import dev.spool.job.InputFile;
import dev.spool.job.JobId;
import dev.spool.job.JobStatus;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of jobs: executors upload them (fenced by attempt, within per-job limits), tenants list
 * and read them, and anyone holding a signed link may download one until the link expires. Links
 * are signed with HMAC-SHA256 under a key every node shares (configured, or made once and kept in
 * the database).
 */
public final class JobFiles {
    private static final Logger log = LoggerFactory.getLogger(JobFiles.class);
    /** @param signingKey empty: a key made once and shared through the database */
    public record Settings(long maxUploadBytes, int maxPerJob, long maxBytesPerJob, Duration linkTtl, String signingKey) {}

    /** A download link: its path with the signature in the query, and when it stops working. */
    public record Link(String path, Instant expiresAt) {}

    private final FileStore store;
    private final ArtifactStore blobs;
    private final InstantSource clock;
    private final Settings settings;
    private final byte[] key;
    private volatile Quota quota = (tenant, adding) -> {};

    /** The quota on the bytes of a tenant's files: refuses {@code adding} more with {@code QUOTA_EXCEEDED}. */
    @FunctionalInterface
    public interface Quota {
        void check(String tenant, long adding);
    }

    public JobFiles(FileStore store, ArtifactStore blobs, InstantSource clock, Settings settings) {
        this.store = store;
        this.blobs = blobs;
        this.clock = clock;
        this.settings = settings;
        this.key = settings.signingKey().isEmpty()
                ? store.secret("artifact-link-key", () -> {
                    byte[] made = new byte[32];
                    new SecureRandom().nextBytes(made);
                    return made;
                })
                : settings.signingKey().getBytes(StandardCharsets.UTF_8);
    }

    public Settings settings() {
        return settings;
    }

    /** Holds executors' uploads to {@code quota} from now on. */
    public void useQuota(Quota quota) {
        this.quota = quota;
    }

    /**
     * Streams an output file of a running attempt into the store. Checks the attempt before reading
     * a byte, so a stale executor does not upload for nothing, and again when recording it.
     */
    public Artifact upload(JobId id, int attempt, String name, String contentType, InputStream content) {
        FileName.check(name);
        var job = store.job(id).orElseThrow(() -> SpoolException.notFound("job"));
        if (job.status() != JobStatus.RUNNING || job.attempt() != attempt) {
            throw new SpoolException(ErrorCode.STALE_ATTEMPT, "Attempt " + attempt + " is no longer current: the job is "
                    + job.status().wireName() + " at attempt " + job.attempt() + ".");
        }
        ArtifactStore.Blob blob;
        try {
            blob = blobs.put(content, Math.min(settings.maxUploadBytes(), settings.maxBytesPerJob()));
        } catch (IOException e) {
            throw storeFailed(e);
        }
        quota.check(job.tenant(), blob.size()); // the bytes stay an orphan if refused, swept later
        Artifact artifact = new Artifact(id, Artifact.Kind.OUTPUT, name, attempt,
                contentType == null || contentType.isBlank() ? "application/octet-stream" : contentType,
                blob.size(), blob.sha256(), clock.instant());
        if (!store.artifactAdd(artifact, settings.maxPerJob(), settings.maxBytesPerJob())) {
            throw new SpoolException(ErrorCode.STALE_ATTEMPT, "Attempt " + attempt + " is no longer current.");
        }
        return artifact;
    }

    /**
     * A file the store could not take (a full disk, an object store that is down, an upload cut
     * short) is not a bug: the caller is told to retry, and nothing refers to the bytes.
     */
    private static SpoolException storeFailed(IOException e) {
        log.warn("the file store could not take an upload: {}", e.getMessage());
        return new SpoolException(ErrorCode.UNAVAILABLE,
                "The file store cannot take this file right now (" + e.getMessage() + "); retry shortly.", e);
    }

    /**
     * Streams a file of a submit into the store, before the job exists. Its bytes are an orphan
     * candidate until the job's record refers to them, so a refused submit leaves nothing for long.
     */
    public InputFile storeInput(String name, String contentType, InputStream content) {
        FileName.check(name);
        ArtifactStore.Blob blob;
        try {
            blob = blobs.put(content, Math.min(settings.maxUploadBytes(), settings.maxBytesPerJob()));
        } catch (IOException e) {
            throw storeFailed(e);
        }
        store.blobOrphanAdd(blob.sha256(), clock.instant());
        return new InputFile(name, contentType == null || contentType.isBlank()
                ? "application/octet-stream" : contentType, blob.size(), blob.sha256());
    }

    public List<Artifact> list(String tenant, JobId id) {
        return store.artifactList(tenant, id);
    }

    /** The input files of any tenant's jobs, by job: one read for a whole claim. */
    public Map<JobId, List<Artifact>> inputs(Collection<JobId> ids) {
        return store.artifactInputs(ids).stream().collect(Collectors.groupingBy(Artifact::jobId));
    }

    public Artifact get(String tenant, JobId id, String name) {
        return list(tenant, id).stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new SpoolException(ErrorCode.NOT_FOUND, "No file with this name."));
    }

    /**
     * Deletes the bytes of files no job has referred to for {@code grace}; returns how many. Bytes
     * stored again meanwhile (the same content uploaded since) are kept.
     */
    public int deleteOrphans(Instant now, Duration grace, int limit) {
        int deleted = 0;
        for (String sha : store.blobOrphansDue(now.minus(grace), limit)) {
            try {
                blobs.delete(sha, now.minus(grace));
                store.blobOrphanForget(sha);
                deleted++;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete artifact bytes " + sha + ": " + e.getMessage(), e);
            }
        }
        return deleted;
    }

    public InputStream open(Artifact artifact, long offset) {
        try {
            return blobs.open(artifact.sha256(), offset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read artifact " + artifact.name() + ": " + e.getMessage(), e);
        }
    }

    /** Streams {@code artifacts} into {@code out} as one ZIP archive, inputs under {@code inputs/}. */
    public void zip(List<Artifact> artifacts, java.io.OutputStream out) throws IOException {
        try (var zip = new ZipOutputStream(out)) {
            for (Artifact a : artifacts) {
                zip.putNextEntry(new ZipEntry((a.kind() == Artifact.Kind.INPUT ? "inputs/" : "") + a.name()));
                try (InputStream in = open(a, 0)) {
                    in.transferTo(zip);
                }
                zip.closeEntry();
            }
        }
    }

    /** A link to download {@code artifact} without an API key, valid for the configured time. */
    public Link link(Artifact artifact) {
        Instant expires = clock.instant().plus(settings.linkTtl());
        long epoch = expires.getEpochSecond();
        String name = java.net.URLEncoder.encode(artifact.name(), StandardCharsets.UTF_8).replace("+", "%20");
        return new Link("/v1/files/" + artifact.jobId().value() + "/" + name + "?expires=" + epoch
                + "&sig=" + sign(artifact.jobId(), artifact.name(), epoch), Instant.ofEpochSecond(epoch));
    }

    /** The file a signed link names; {@code FORBIDDEN} when the link was altered or has expired. */
    public Artifact verify(JobId id, String name, String expires, String signature) {
        long epoch;
        try {
            epoch = Long.parseLong(expires);
        } catch (NumberFormatException | NullPointerException e) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "This link is not valid.");
        }
        byte[] expected = sign(id, name, epoch).getBytes(StandardCharsets.US_ASCII);
        byte[] given = signature == null ? new byte[0] : signature.getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, given)) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "This link is not valid.");
        }
        if (clock.instant().getEpochSecond() > epoch) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "This link has expired; ask for the job's artifacts again for a fresh one.");
        }
        return store.artifactGetAny(id, name).orElseThrow(() -> new SpoolException(ErrorCode.NOT_FOUND, "No such file."));
    }

    /** HMAC-SHA256 of "job id \n name \n expiry (epoch seconds)", base64url without padding. */
    private String sign(JobId id, String name, long expires) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] sig = mac.doFinal((id.value() + "\n" + name + "\n" + expires).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
