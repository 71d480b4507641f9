package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Artifacts in S3-compatible object storage, so that every node sees every file. Keys are
 * {@code <prefix>ab/cd/<sha256>}. An upload is first streamed into a temporary file while it is
 * hashed (the key is its hash), then sent from that file; nothing is held in memory whole.
 */
public final class S3ArtifactStore implements ArtifactStore {
    /** @param secretKey a secret, never logged */
    public record Settings(String endpoint, String region, String bucket, String prefix, String accessKey, String secretKey,
                           boolean pathStyle) {}


    private final S3Client s3;
    private final Settings settings;

    public S3ArtifactStore(Settings settings) {
        this.settings = settings;
        var builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                // Plain checksums only where S3 demands them: S3-compatible servers vary in the rest.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (!settings.accessKey().isEmpty()) {
            builder.credentialsProvider(StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKey(), settings.secretKey())));
        }
        if (!settings.endpoint().isEmpty()) {
            builder.endpointOverride(URI.create(settings.endpoint()));
        }
        this.s3 = builder.build();
        try {
            s3.headBucket(b -> b.bucket(settings.bucket()));
        } catch (NoSuchBucketException e) {
            s3.createBucket(b -> b.bucket(settings.bucket()));
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw new IllegalStateException("cannot reach bucket " + settings.bucket() + ": " + e.getMessage(), e);
            }
            s3.createBucket(b -> b.bucket(settings.bucket()));
        }
    }

    @Override
    public Blob put(InputStream content, long maxBytes) throws IOException {
        Path temp = Files.createTempFile("spool-upload-", ".part");
        try {
            Blob blob = HashingCopy.copy(content, temp, maxBytes);
            String sha = blob.sha256();
            // Written again even when present: its time becomes now, which restarts the pruner's grace.
            try {
                s3.putObject(p -> p.bucket(settings.bucket()).key(key(sha)), RequestBody.fromFile(temp));
            } catch (software.amazon.awssdk.core.exception.SdkException e) {
                throw new IOException("the object store refused the file: " + e.getMessage(), e);
            }
            return blob;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream open(String sha256, long offset) {
        try {
            return s3.getObject(g -> {
                g.bucket(settings.bucket()).key(key(sha256));
                if (offset > 0) {
                    g.range("bytes=" + offset + "-");
                }
            });
        } catch (NoSuchKeyException e) {
            throw new SpoolException(ErrorCode.NOT_FOUND, "No such artifact.");
        }
    }

    @Override
    public void delete(String sha256, Instant storedBefore) {
        try {
            Instant stored = s3.headObject(h -> h.bucket(settings.bucket()).key(key(sha256))).lastModified();
            if (stored.isBefore(storedBefore)) {
                s3.deleteObject(d -> d.bucket(settings.bucket()).key(key(sha256)));
            }
        } catch (NoSuchKeyException e) {
            // nothing to delete
        } catch (S3Exception e) {
            if (e.statusCode() != 404) {
                throw e;
            }
        }
    }

    @Override
    public String describe() {
        return "s3:" + (settings.endpoint().isEmpty() ? "aws" : settings.endpoint()) + "/" + settings.bucket() + "/" + settings.prefix();
    }

    private String key(String sha256) {
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a SHA-256: " + sha256);
        }
        return settings.prefix() + sha256.substring(0, 2) + "/" + sha256.substring(2, 4) + "/" + sha256;
    }

}
