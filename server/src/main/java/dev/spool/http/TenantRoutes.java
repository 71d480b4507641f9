package dev.spool.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.Caller;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.job.Usage;
import dev.spool.limit.Accounts;
import dev.spool.limit.Limits;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A tenant's usage and limits: {@code GET /v1/usage} and {@code GET /v1/limits} for the caller's
 * own tenant (an admin may name another, or all), and {@code /v1/tenants/{id}/limits} for admins
 * to set a tenant's overrides. Another tenant's figures answer exactly like a tenant that has none.
 */
final class TenantRoutes {
    /** The most days one usage report spans. */
    static final int MAX_DAYS = 366;
    private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    private static final String ALL = "*";

    private final Accounts accounts;
    private final java.time.InstantSource clock;

    TenantRoutes(Accounts accounts, java.time.InstantSource clock) {
        this.accounts = accounts;
        this.clock = clock;
    }

    /** {@code tenant_id}: a tenant key may name only its own tenant; another answers as one that does not exist. */
    private static String tenantOf(Caller caller, String asked) {
        if (asked == null || asked.equals(caller.tenant())) {
            return caller.tenant();
        }
        if (!caller.isAdmin()) {
            throw SpoolException.notFound("tenant");
        }
        if (!asked.equals(ALL) && !TENANT.matcher(asked).matches()) {
            throw SpoolException.invalid("tenant_id must be a tenant's name (1 to 128 letters, digits and ._:@-) or * for all");
        }
        return asked;
    }

    void usage(Caller caller, ServerRequest req, ServerResponse res) {
        var q = req.query();
        String tenant = tenantOf(caller, JobRoutes.optional(q, "tenant_id"));
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate to = day("to", JobRoutes.optional(q, "to"), today);
        LocalDate from = day("from", JobRoutes.optional(q, "from"), to.withDayOfMonth(1));
        if (from.isAfter(to)) {
            throw SpoolException.invalid("from must not be after to");
        }
        if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
            throw SpoolException.invalid("a usage report spans at most " + MAX_DAYS + " days; ask for several");
        }
        Set<Usage.Group> groups = groups(JobRoutes.optional(q, "group_by"), tenant.equals(ALL));
        List<Usage.Row> rows = accounts.usage(new Usage.Query(tenant.equals(ALL) ? null : tenant, from, to, groups));
        if (wantsCsv(req)) {
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "text/csv; charset=utf-8");
            res.send(csv(rows, groups).getBytes(StandardCharsets.UTF_8));
            return;
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("tenant_id", tenant);
        out.put("from", from.toString());
        out.put("to", to.toString());
        ArrayNode by = out.putArray("group_by");
        groups.forEach(g -> by.add(g.wireName()));
        ArrayNode data = out.putArray("data");
        for (Usage.Row r : rows) {
            ObjectNode o = data.addObject();
            if (groups.contains(Usage.Group.TENANT)) {
                o.put("tenant_id", r.tenant());
            }
            if (groups.contains(Usage.Group.DAY)) {
                o.put("day", r.day());
            }
            if (groups.contains(Usage.Group.TYPE)) {
                o.put("type", r.type());
            }
            if (groups.contains(Usage.Group.QUEUE)) {
                o.put("queue", r.queue());
            }
            if (groups.contains(Usage.Group.KEY)) {
                o.put("key_id", r.keyId().isEmpty() ? null : r.keyId());
            }
            o.putObject("jobs").put("succeeded", r.succeeded()).put("failed", r.failed()).put("cancelled", r.cancelled())
                    .put("total", r.succeeded() + r.failed() + r.cancelled());
            o.put("run_ms", r.runMs());
            o.put("units", r.units());
            o.putObject("cost").put("amount", amount(r.costMicros())).put("amount_micros", r.costMicros())
                    .put("currency", r.currency());
        }
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private static BigDecimal amount(long micros) {
        return BigDecimal.valueOf(micros, 6);
    }

    private static boolean wantsCsv(ServerRequest req) {
        return req.headers().first(HeaderNames.ACCEPT).map(a -> {
            try {
                return HttpMediaType.create(a.split(",")[0].trim()).test(io.helidon.common.media.type.MediaTypes.create("text/csv"));
            } catch (RuntimeException e) {
                return a.toLowerCase(Locale.ROOT).contains("text/csv");
            }
        }).orElse(false);
    }

    private static String csv(List<Usage.Row> rows, Set<Usage.Group> groups) {
        StringBuilder out = new StringBuilder();
        for (Usage.Group g : groups) {
            out.append(g == Usage.Group.KEY ? "key_id" : g == Usage.Group.TENANT ? "tenant_id" : g.wireName()).append(',');
        }
        out.append("currency,succeeded,failed,cancelled,run_ms,units,cost\r\n");
        for (Usage.Row r : rows) {
            for (Usage.Group g : groups) {
                String value = switch (g) {
                    case TENANT -> r.tenant();
                    case DAY -> r.day();
                    case TYPE -> r.type();
                    case QUEUE -> r.queue();
                    case KEY -> r.keyId();
                };
                out.append(csvField(value)).append(',');
            }
            out.append(r.currency()).append(',').append(r.succeeded()).append(',').append(r.failed()).append(',')
                    .append(r.cancelled()).append(',').append(r.runMs()).append(',').append(r.units()).append(',')
                    .append(amount(r.costMicros()).toPlainString()).append("\r\n");
        }
        return out.toString();
    }

    /** RFC 4180: quoted when it holds a comma, quote or line break; a leading formula character is defused. */
    private static String csvField(String value) {
        String v = value == null ? "" : value;
        if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0) {
            v = "'" + v;
        }
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
            return "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }

    private static LocalDate day(String field, String text, LocalDate fallback) {
        if (text == null) {
            return fallback;
        }
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw SpoolException.invalid(field + " must be a day such as 2026-01-31, not '" + text + "'");
        }
    }

    private static Set<Usage.Group> groups(String text, boolean allTenants) {
        EnumSet<Usage.Group> groups = EnumSet.noneOf(Usage.Group.class);
        if (text != null && !text.isBlank()) {
            for (String part : text.split(",")) {
                String name = part.trim().toLowerCase(Locale.ROOT);
                Usage.Group group = null;
                for (Usage.Group g : Usage.Group.values()) {
                    if (g.wireName().equals(name)) {
                        group = g;
                    }
                }
                if (group == null) {
                    throw SpoolException.invalid("group_by takes day, type, queue, key or tenant (several with commas), not '"
                            + part.trim() + "'");
                }
                groups.add(group);
            }
        }
        if (groups.contains(Usage.Group.TENANT) && !allTenants) {
            throw SpoolException.invalid("group_by=tenant needs tenant_id=* (an admin's report over every tenant)");
        }
        return groups;
    }

    void ownLimits(Caller caller, ServerRequest req, ServerResponse res) {
        String tenant = tenantOf(caller, JobRoutes.optional(req.query(), "tenant_id"));
        if (tenant.equals(ALL)) {
            throw SpoolException.invalid("tenant_id names one tenant here");
        }
        ObjectNode out = limits(tenant);
        Usage.Held held = accounts.held(tenant);
        out.putObject("held").put("queued", held.queued()).put("running", held.running()).put("file_bytes", held.fileBytes());
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    private ObjectNode limits(String tenant) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("tenant_id", tenant);
        out.set("limits", Json.MAPPER.valueToTree(accounts.limits().effective(tenant)));
        out.set("set", Json.MAPPER.valueToTree(accounts.limits().set(tenant)));
        return out;
    }

    private static String tenantParam(ServerRequest req) {
        String tenant = req.path().pathParameters().get("id");
        if (!TENANT.matcher(tenant).matches()) {
            throw SpoolException.invalid("a tenant's name is 1 to 128 letters, digits and ._:@-");
        }
        return tenant;
    }

    void getLimits(Caller caller, ServerRequest req, ServerResponse res) {
        ApiServer.sendJson(res, Status.OK_200, limits(tenantParam(req)));
    }

    /** Replaces what is set for the tenant: each field given overrides the configuration's, each left out keeps it. */
    void putLimits(Caller caller, ServerRequest req, ServerResponse res) {
        String tenant = tenantParam(req);
        Limits limits = Json.read(ApiServer.body(req), Limits.class);
        accounts.limits().put(tenant, limits, clock.instant());
        ApiServer.sendJson(res, Status.OK_200, limits(tenant));
    }

    void deleteLimits(Caller caller, ServerRequest req, ServerResponse res) {
        String tenant = tenantParam(req);
        if (!accounts.limits().delete(tenant)) {
            throw new SpoolException(ErrorCode.NOT_FOUND, "No limits are set for this tenant through the API.");
        }
        res.status(Status.NO_CONTENT_204).send();
    }
}
