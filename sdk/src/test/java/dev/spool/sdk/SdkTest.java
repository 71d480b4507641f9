package dev.spool.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The SDKs' own suites (Python's unittest, TypeScript's node:test), each against real Spool servers
 * that the suite starts from the command-line jar this build made; the two run side by side. Their
 * output is passed on when each ends; a failing suite fails the build with its last lines.
 */
class SdkTest {
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path JAR = ROOT.resolve("cli/target/spool.jar");
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

    @Test
    void thePythonSdkPassesItsTests() throws Exception {
        String out = run(ROOT.resolve("sdk/python"), List.of("python3", "-m", "unittest", "discover", "-s", "tests", "-v"),
                Map.of("PYTHONDONTWRITEBYTECODE", "1", "PYTHONWARNINGS", "ignore::ResourceWarning"));
        assertThat(out).containsPattern("Ran \\d+ tests").contains("\nOK");
    }

    @Test
    void theTypeScriptSdkPassesItsTests() throws Exception {
        Path dir = ROOT.resolve("sdk/typescript");
        Path installed = dir.resolve("node_modules/.package-lock.json");
        // npm ci (the lock file's exact packages) only when they are missing or older than the lock file.
        if (!Files.exists(installed) || Files.getLastModifiedTime(dir.resolve("package-lock.json"))
                .compareTo(Files.getLastModifiedTime(installed)) > 0) {
            run(dir, List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), Map.of());
        }
        String out = run(dir, List.of("npm", "test"), Map.of());
        assertThat(out).containsPattern("# pass \\d+").contains("# fail 0");
    }

    private static String run(Path dir, List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        assertThat(JAR).as("the command-line jar, built before this module").exists();
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        builder.environment().put("SPOOL_JAR", JAR.toString());
        builder.environment().put("SPOOL_JAVA", JAVA.toString());
        Process process = builder.start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                out.append(line).append('\n');
            }
        }
        // The two suites run at once (junit-platform.properties): each one's output is printed whole.
        synchronized (System.out) {
            System.out.print(out);
            System.out.flush();
        }
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("%s finished within 10 minutes", command).isTrue();
        String text = out.toString();
        assertThat(process.exitValue()).as("%s exit code; its last output:%n%s", command,
                text.substring(Math.max(0, text.length() - 6000))).isZero();
        return text;
    }
}
