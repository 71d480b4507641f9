package dev.spool.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Filters for {@link SpoolClient#list}; every filter is optional. */
public final class ListQuery {
    private final Map<String, String> params;

    private ListQuery(Map<String, String> params) {
        this.params = Map.copyOf(params);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The query string, starting with '?' when there is one. */
    String toQueryString() {
        List<String> parts = new ArrayList<>();
        params.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> parts.add(
                URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)));
        return parts.isEmpty() ? "" : "?" + String.join("&", parts);
    }

    public static final class Builder {
        private final Map<String, String> params = new LinkedHashMap<>();

        /** One or more statuses, any of which matches. */
        public Builder status(String... statuses) {
            params.put("status", String.join(",", statuses));
            return this;
        }

        public Builder type(String type) {
            params.put("type", type);
            return this;
        }

        public Builder queue(String queue) {
            params.put("queue", queue);
            return this;
        }

        public Builder batchId(String batchId) {
            params.put("batch_id", batchId);
            return this;
        }

        public Builder createdAfter(Instant time) {
            params.put("created_after", time.toString());
            return this;
        }

        public Builder createdBefore(Instant time) {
            params.put("created_before", time.toString());
            return this;
        }

        /** Only jobs whose metadata has {@code key} set to {@code value}. */
        public Builder metadata(String key, String value) {
            params.put("metadata[" + key + "]", value);
            return this;
        }

        public Builder limit(int limit) {
            params.put("limit", Integer.toString(limit));
            return this;
        }

        public Builder cursor(String cursor) {
            params.put("cursor", cursor);
            return this;
        }

        public ListQuery build() {
            return new ListQuery(params);
        }
    }
}
