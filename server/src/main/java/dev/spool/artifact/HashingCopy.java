package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Streams bytes into a file while hashing them, refusing them as soon as they pass a limit. */
final class HashingCopy {
    private static final int BUFFER = 64 * 1024;

    private HashingCopy() {}

    /** Copies {@code content} into {@code target}; returns the bytes' SHA-256 and length. */
    static ArtifactStore.Blob copy(InputStream content, Path target, long maxBytes) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 0;
        try (OutputStream out = Files.newOutputStream(target)) {
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
        return new ArtifactStore.Blob(HexFormat.of().formatHex(digest.digest()), size);
    }
}
