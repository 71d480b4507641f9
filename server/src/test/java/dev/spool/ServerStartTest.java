package dev.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.store.SqliteStore;
import dev.spool.testing.Node;
import dev.spool.testing.TestServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerStartTest {
    @TempDir
    Path dir;

    @Test
    void aTakenPortStopsTheStartWithAClearMessageAndReleasesTheDatabase() {
        try (TestServer first = new TestServer(dir.resolve("a"), Map.of())) {
            Path other = dir.resolve("b");
            assertThatThrownBy(() -> Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                    "http.port", Integer.toString(first.server.port()), "storage.data_dir", other.toString()))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + first.server.port());

            try (SqliteStore store = SqliteStore.open(other.resolve("spool.db"), 8, 1)) {
                assertThat(store.keys().keyCount()).as("the failed start let go of its database").isEqualTo(1);
            }
        }
    }

    @Test
    void aSecondServerOnTheSameDataFolderIsRefused() {
        try (TestServer first = new TestServer(dir, Map.of())) {
            assertThatThrownBy(() -> Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                    "http.port", "0", "storage.data_dir", dir.toString()))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another process");
        }
    }

    @Test
    void aServerInAnotherProcessOnTheSameDataFolderIsRefusedAndOnceItIsGoneTheFolderOpens() {
        try (Node other = new Node(Map.of("storage.data_dir", dir.toString(), "runner.slots", "0"))) {
            assertThatThrownBy(() -> Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                    "http.port", "0", "storage.data_dir", dir.toString()))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use by another process");
            other.kill();
        }
        // The lock dies with its process, even killed: no stale lock file to clean up by hand.
        try (SqliteStore store = SqliteStore.open(dir.resolve("spool.db"), 8, 1)) {
            assertThat(store.keys().keyCount()).isEqualTo(1);
        }
    }
}
