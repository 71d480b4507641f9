package dev.spool.client;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/**
 * A tenant's usage over days, as {@code GET /v1/usage} answers it: one row per group and currency.
 *
 * @param tenantId the tenant reported on, or {@code *} for every tenant
 * @param groupBy  what the rows are grouped by: {@code day}, {@code type}, {@code queue}, {@code key}, {@code tenant}
 */
public record Usage(String tenantId, LocalDate from, LocalDate to, List<String> groupBy, List<Row> data) {
    /** One group's sums; the fields it is not grouped by are null. */
    public record Row(String tenantId, LocalDate day, String type, String queue, String keyId, Jobs jobs, long runMs,
                      long units, Cost cost) {}

    public record Jobs(long succeeded, long failed, long cancelled, long total) {}

    /** @param amountMicros the amount in millionths of the currency, exact */
    public record Cost(BigDecimal amount, long amountMicros, String currency) {}
}
