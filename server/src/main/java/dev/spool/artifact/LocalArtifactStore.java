package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.regex.Pattern;

/**
 * Artifacts in a local folder: {@code <root>/ab/cd/<sha256>}. A file is written under a temporary
 * name in the same folder tree and moved into place once its hash is known, so a reader never
 * sees a partial file and a crash leaves at most a temporary file behind.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private final Path root;

    public LocalArtifactStore(Path root) throws IOException {
        this.root = Files.createDirectories(root.toAbsolutePath().normalize());
        Files.createDirectories(this.root.resolve("tmp"));
    }

    @Override
    public Blob put(InputStream content, long maxBytes) throws IOException {
        Path temp = Files.createTempFile(root.resolve("tmp"), "upload-", ".part");
        try {
            Blob blob = HashingCopy.copy(content, temp, maxBytes);
            String sha = blob.sha256();
            Path target = path(sha);
            Files.createDirectories(target.getParent());
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                if (!Files.exists(target)) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            // Stored now, even if the bytes were there already: the pruner's grace starts again.
            Files.setLastModifiedTime(target, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
            return blob;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public InputStream open(String sha256, long offset) throws IOException {
        try {
            InputStream in = Files.newInputStream(path(sha256));
            in.skipNBytes(offset);
            return in;
        } catch (NoSuchFileException e) {
            throw new SpoolException(ErrorCode.NOT_FOUND, "No such artifact.");
        }
    }

    @Override
    public void delete(String sha256, java.time.Instant storedBefore) throws IOException {
        Path file = path(sha256);
        try {
            if (Files.getLastModifiedTime(file).toInstant().isBefore(storedBefore)) {
                Files.deleteIfExists(file);
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            // nothing to delete
        }
    }

    @Override
    public String describe() {
        return "local:" + root;
    }

    private Path path(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256: " + sha256);
        }
        return root.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
    }

}
