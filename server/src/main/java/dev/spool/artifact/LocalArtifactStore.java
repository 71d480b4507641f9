package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Artifacts in a local folder: {@code <root>/ab/cd/<sha256>}. A file is written under a temporary
 * name in the same folder tree and moved into place once its hash is known, so a reader never
 * sees a partial file and a crash leaves at most a temporary file behind.
 */
public final class LocalArtifactStore implements ArtifactStore {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int BUFFER = 64 * 1024;

    private final Path root;

    public LocalArtifactStore(Path root) throws IOException {
        this.root = Files.createDirectories(root.toAbsolutePath().normalize());
        Files.createDirectories(this.root.resolve("tmp"));
    }

    @Override
    public Blob put(InputStream content, long maxBytes) throws IOException {
        Path temp = Files.createTempFile(root.resolve("tmp"), "upload-", ".part");
        try {
            MessageDigest digest = sha256();
            long size = 0;
            try (OutputStream out = Files.newOutputStream(temp)) {
                byte[] buffer = new byte[BUFFER];
                for (int n; (n = content.read(buffer)) > 0; ) {
                    size += n;
                    if (size > maxBytes) {
                        throw new SpoolException(ErrorCode.PAYLOAD_TOO_LARGE,
                                "The file is larger than this server accepts (" + maxBytes + " bytes).");
                    }
                    digest.update(buffer, 0, n);
                    out.write(buffer, 0, n);
                }
            }
            String sha = HexFormat.of().formatHex(digest.digest());
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
            return new Blob(sha, size);
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
