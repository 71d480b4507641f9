package dev.spool.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spool.job.InputFile;
import dev.spool.job.JobWebhook;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A submit request as a transport parsed it, before the engine checks it, applies the type's
 * defaults (null fields take them), turns its sources into input files and stores it. Made with
 * {@link #builder}.
 *
 * @param identity     what identifies the request for its idempotency key (the JSON as sent); its
 *                     hash, with the uploads' hashes, is compared when the key is used again
 * @param sources      inputs the engine makes files of: text as given, URLs fetched
 * @param uploads      input files already stored with {@link Engine#upload} as the request was read
 * @param webhookField the request's name for the webhook URL, for errors
 */
public record Submission(
        String type,
        JsonNode input,
        String queue,
        Integer priority,
        String title,
        Map<String, String> metadata,
        Integer maxAttempts,
        Integer timeoutSeconds,
        Instant runAt,
        String idempotencyKey,
        JsonNode identity,
        List<Source> sources,
        List<InputFile> uploads,
        JobWebhook webhook,
        String webhookField) {
    public Submission {
        sources = List.copyOf(sources == null ? List.of() : sources);
        uploads = List.copyOf(uploads == null ? List.of() : uploads);
    }

    /** A source the engine turns into an input file: {@code text} as given, or a {@code url} it fetches. */
    public record Source(String kind, String url, String text, String name) {}

    public static Builder builder(String type, JsonNode input) {
        return new Builder(type, input);
    }

    /** Collects a submission field by field; whatever is not set takes the type's default. */
    public static final class Builder {
        private final String type;
        private final JsonNode input;
        private String queue;
        private Integer priority;
        private String title;
        private Map<String, String> metadata;
        private Integer maxAttempts;
        private Integer timeoutSeconds;
        private Instant runAt;
        private String idempotencyKey;
        private JsonNode identity;
        private List<Source> sources;
        private List<InputFile> uploads;
        private JobWebhook webhook;
        private String webhookField = "webhook.url";

        private Builder(String type, JsonNode input) {
            this.type = type;
            this.input = input;
        }

        public Builder queue(String queue) {
            this.queue = queue;
            return this;
        }

        public Builder priority(Integer priority) {
            this.priority = priority;
            return this;
        }

        public Builder title(String title) {
            this.title = title;
            return this;
        }

        public Builder metadata(Map<String, String> metadata) {
            this.metadata = metadata;
            return this;
        }

        public Builder maxAttempts(Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder timeoutSeconds(Integer timeoutSeconds) {
            this.timeoutSeconds = timeoutSeconds;
            return this;
        }

        public Builder runAt(Instant runAt) {
            this.runAt = runAt;
            return this;
        }

        /** The idempotency key, with what identifies the request under it. */
        public Builder idempotencyKey(String key, JsonNode identity) {
            this.idempotencyKey = key;
            this.identity = identity;
            return this;
        }

        public Builder sources(List<Source> sources) {
            this.sources = sources;
            return this;
        }

        public Builder uploads(List<InputFile> uploads) {
            this.uploads = uploads;
            return this;
        }

        /** The job's own webhook; {@code field} names its URL in the request, for errors. */
        public Builder webhook(JobWebhook webhook, String field) {
            this.webhook = webhook;
            this.webhookField = field;
            return this;
        }

        public Submission build() {
            return new Submission(type, input, queue, priority, title, metadata, maxAttempts, timeoutSeconds, runAt,
                    idempotencyKey, identity, sources, uploads, webhook, webhookField);
        }
    }
}
