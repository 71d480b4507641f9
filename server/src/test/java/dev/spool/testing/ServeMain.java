package dev.spool.testing;

import dev.spool.Config;
import dev.spool.Server;
import java.util.Map;
import java.util.Optional;

/**
 * Spool in a process of its own, for tests that kill it: {@code ServeMain DATA_DIR ADMIN_KEY SLOTS}.
 * Prints {@code PORT <n>} once it listens, then runs until killed.
 */
public final class ServeMain {
    public static void main(String[] args) throws InterruptedException {
        Server server = Server.start(Config.load(Optional.empty(), Map.of(), Map.of(
                "http.port", "0",
                "storage.data_dir", args[0],
                "auth.admin_key", args[1],
                "runner.slots", args[2])));
        System.out.println("PORT " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
