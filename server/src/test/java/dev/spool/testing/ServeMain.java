package dev.spool.testing;

import dev.spool.Config;
import dev.spool.Server;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Spool in a process of its own, for tests that kill it or limit its memory: {@code ServeMain
 * key=value ...} with configuration keys as in docs/configuration.md, and {@code config=FILE}. Prints {@code PORT <n>} once it listens, then
 * runs until killed.
 */
public final class ServeMain {
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> settings = new HashMap<>(Map.of("http.port", "0"));
        Optional<java.nio.file.Path> file = Optional.empty();
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            if (kv[0].equals("config")) {
                file = Optional.of(java.nio.file.Path.of(kv[1])); // a YAML file, for job types
            } else {
                settings.put(kv[0], kv[1]);
            }
        }
        Server server = Server.start(Config.load(file, Map.of(), settings));
        System.out.println("PORT " + server.port());
        System.out.flush();
        Thread.currentThread().join();
    }
}
