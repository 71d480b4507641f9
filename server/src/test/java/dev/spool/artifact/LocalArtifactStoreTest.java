package dev.spool.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalArtifactStoreTest {
    @TempDir
    Path dir;

    @Test
    void bytesAreStoredOnceUnderTheirHashAndReadFromAnyOffset() throws Exception {
        ArtifactStore store = new LocalArtifactStore(dir);
        byte[] bytes = "hello artifacts".getBytes(StandardCharsets.UTF_8);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));

        ArtifactStore.Blob blob = store.put(new ByteArrayInputStream(bytes), 1000);
        ArtifactStore.Blob again = store.put(new ByteArrayInputStream(bytes), 1000);
        assertThat(blob).isEqualTo(new ArtifactStore.Blob(expected, bytes.length)).isEqualTo(again);
        try (InputStream in = store.open(expected, 6)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("artifacts");
        }
        store.delete(expected, java.time.Instant.now().minusSeconds(3600));
        try (InputStream in = store.open(expected, 0)) {
            assertThat(in.readAllBytes()).as("stored within the grace: kept").isEqualTo(bytes);
        }
        store.delete(expected, java.time.Instant.now().plusSeconds(1));
        assertThatThrownBy(() -> store.open(expected, 0)).isInstanceOf(SpoolException.class);
    }

    @Test
    void aFileOverTheLimitIsRefusedAndLeavesNothingBehind() throws Exception {
        ArtifactStore store = new LocalArtifactStore(dir);
        assertThatThrownBy(() -> store.put(new ByteArrayInputStream(new byte[2000]), 1000))
                .isInstanceOfSatisfying(SpoolException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE));
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }
}
