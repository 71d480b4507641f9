package dev.spool.http;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import io.helidon.common.parameters.Parameters;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * How lists page: newest first, {@code limit} items, and an opaque {@code next_cursor} that names
 * the last item shown, so the next page starts below it.
 */
final class Paging {
    private static final String PREFIX = "before:";

    private Paging() {}

    /** The {@code limit} parameter: {@code fallback} when absent, else an integer from 1 to {@code max}. */
    static int limit(Parameters q, int fallback, int max) {
        if (!q.contains("limit")) {
            return fallback;
        }
        try {
            int limit = Integer.parseInt(JobRoutes.single(q, "limit"));
            if (limit >= 1 && limit <= max) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw SpoolException.invalid("limit must be an integer between 1 and " + max);
    }

    /** The cursor for the page after the one that ends with the item {@code lastId}. */
    static String cursor(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString((PREFIX + lastId).getBytes(StandardCharsets.UTF_8));
    }

    /** The id a cursor names; {@code INVALID_CURSOR} for anything this server did not issue. */
    static String before(String cursor) {
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (text.startsWith(PREFIX)) {
                return text.substring(PREFIX.length());
            }
        } catch (IllegalArgumentException e) {
            // not base64: said below
        }
        throw invalid();
    }

    static SpoolException invalid() {
        return new SpoolException(ErrorCode.INVALID_CURSOR,
                "This cursor was not issued by this server; use next_cursor from a list answer as it is.");
    }
}
