package dev.spool.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.spool.Config;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/docker-compose.yml, which no container engine here can start: its Spool service names the
 * image this build makes, and its environment is a configuration Spool accepts and reads as meant
 * (PostgreSQL, files in the S3-compatible store). Its healthcheck is run against the image by
 * {@link ImageTest}.
 */
class ComposeTest {
    static final Path COMPOSE = Path.of("..", "deploy", "docker-compose.yml");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z0-9_]+)(?::\\?[^}]*)?}");

    static JsonNode spoolService() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.toFile()).at("/services/spool");
    }

    @Test
    void theComposeFilesSpoolUsesThisBuildsImageAndAConfigurationSpoolAccepts() throws Exception {
        JsonNode spool = spoolService();
        assertThat(spool.path("image").asText()).isEqualTo("spool:" + System.getProperty("project.version", "0.1.0-SNAPSHOT"));
        Map<String, String> given = Map.of("SPOOL_ADMIN_KEY", "spool_composetestk_abcdefghijklmnopqrstuvwxyz234567",
                "POSTGRES_PASSWORD", "pg-secret", "S3_SECRET_KEY", "s3-secret");
        Map<String, String> env = new HashMap<>();
        spool.path("environment").fields().forEachRemaining(e -> {
            Matcher m = VARIABLE.matcher(e.getValue().asText());
            StringBuilder value = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(value, Matcher.quoteReplacement(given.get(m.group(1))));
            }
            m.appendTail(value);
            env.put(e.getKey(), value.toString());
        });
        assertThat(env.keySet()).allMatch(k -> k.startsWith("SPOOL_"));

        Config config = Config.load(Optional.empty(), env, Map.of());
        assertThat(config.storage().database()).isEqualTo("postgresql://spool:pg-secret@postgres:5432/spool");
        assertThat(config.artifacts().backend()).isEqualTo("s3");
        assertThat(config.artifacts().s3().endpoint()).isEqualTo("http://minio:9000");
        assertThat(config.artifacts().s3().secretKey()).isEqualTo("s3-secret");
        assertThat(config.artifacts().s3().pathStyle()).isTrue();
        assertThat(config.logging().format()).isEqualTo("json");
        assertThat(spool.at("/healthcheck/test/0").asText()).isEqualTo("CMD");
        assertThat(spool.path("volumes").get(0).asText()).endsWith(":/data");
    }
}
