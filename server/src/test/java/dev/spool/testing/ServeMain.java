package dev.spool.testing;

import dev.spool.Config;
import dev.spool.Server;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Spool in a process of its own, for tests that kill it: {@code ServeMain key=value ...} with
 * configuration keys as in docs/configuration.md. Prints {@code PORT <n>} once it listens, then
 * runs until killed.
 */
public final class ServeMain {
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> settings = new HashMap<>(Map.of("http.port", "0"));
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            settings.put(kv[0], kv[1]);
        }
        Server server = Server.start(Config.load(Optional.empty(), Map.of(), settings));
        System.out.println("PORT " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
