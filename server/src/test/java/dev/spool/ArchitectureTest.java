package dev.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The arrows of DESIGN.md §1 point one way: each package imports only the Spool packages below it. */
class ArchitectureTest {
    private static final Map<String, Set<String>> MAY_IMPORT = Map.ofEntries(
            Map.entry("job", Set.of()),
            Map.entry("net", Set.of()),
            Map.entry("wake", Set.of()),
            Map.entry("telemetry", Set.of("job")),
            // Each area owns its records and the seam it needs from persistence...
            Map.entry("auth", Set.of("job")),
            Map.entry("artifact", Set.of("job", "net")),
            Map.entry("webhook", Set.of("artifact", "job", "net", "telemetry", "wake")),
            // ...and the store implements them all, in SQL.
            Map.entry("store", Set.of("artifact", "auth", "job", "limit", "telemetry", "webhook")),
            Map.entry("engine", Set.of("client", "job", "store", "telemetry", "wake")), // client: the worker runtime it shares with SpoolWorker
            Map.entry("limit", Set.of("auth", "job")),
            Map.entry("engine.maintenance", Set.of("engine", "job", "store")),
            Map.entry("executor", Set.of("engine", "job")),
            Map.entry("http", Set.of("artifact", "auth", "engine", "job", "limit", "telemetry", "webhook")),
            // a transport too, built on the native one's request reading
            Map.entry("compat", Set.of("artifact", "auth", "engine", "http", "job", "webhook")));
    private static final Pattern SPOOL_IMPORT = Pattern.compile("^import (?:static )?dev\\.spool\\.([a-z.]+)\\.[A-Z]", Pattern.MULTILINE);
    private static final Pattern QUALIFIED_USE = Pattern.compile("\\bdev\\.spool\\.([a-z.]+)\\.[A-Z]");

    @Test
    void eachPackageImportsOnlyThePackagesBelowIt() throws IOException {
        Path root = Path.of("src/main/java/dev/spool");
        List<String> violations = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(file.getParent()).toString().replace('/', '.');
                String source = Files.readString(file);
                if (!pkg.isEmpty() && !pkg.equals("http") && !pkg.equals("compat") && source.contains("import io.helidon")) {
                    violations.add(file + " imports Helidon; only the transports (http, compat) may");
                }
                if (pkg.isEmpty()) {
                    continue; // the wiring package sees everything
                }
                Set<String> allowed = MAY_IMPORT.get(pkg);
                assertThat(allowed).as("package %s is not in the architecture table", pkg).isNotNull();
                for (Pattern p : List.of(SPOOL_IMPORT, QUALIFIED_USE)) {
                    Matcher m = p.matcher(source);
                    while (m.find()) {
                        String target = m.group(1);
                        if (!target.equals(pkg) && !allowed.contains(target)) {
                            violations.add(file.getFileName() + " (" + pkg + ") uses " + target);
                        }
                    }
                }
            }
        }
        assertThat(violations).isEmpty();
    }

    @Test
    void everyPackageSaysWhatItIsFor() throws IOException {
        try (Stream<Path> dirs = Files.walk(Path.of("src/main/java/dev/spool")).filter(Files::isDirectory)) {
            assertThat(dirs.filter(d -> !Files.exists(d.resolve("package-info.java"))).toList()).isEmpty();
        }
    }
}
