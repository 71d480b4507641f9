package dev.spool.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/** A job type the server declares, with its defaults, price and input schema. */
public record JobType(String name, String description, String executor, String queue, int maxAttempts,
                      int timeoutSeconds, int concurrency, Price price, JsonNode inputSchema) {
    public record Price(BigDecimal perJob, BigDecimal perSecond, BigDecimal perUnit, String currency) {}
}
