package dev.spool.client;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies a webhook Spool sent, per the Standard Webhooks specification: the {@code
 * webhook-signature} header must hold a {@code v1,} HMAC-SHA256 of {@code id.timestamp.body} made
 * with the endpoint's {@code whsec_} secret, and {@code webhook-timestamp} must be recent (which
 * stops replays of old messages). Use the raw body bytes, exactly as received.
 *
 * <pre>{@code
 * WebhookVerifier verifier = new WebhookVerifier(System.getenv("SPOOL_WEBHOOK_SECRET"));
 * verifier.verify(headers, body); // throws if the message is not from Spool
 * }</pre>
 *
 * Deduplicate by {@code webhook-id}: a delivery is sent at least once, and every try of it carries
 * the same id.
 */
public final class WebhookVerifier {
    /** A message that does not verify. */
    public static final class InvalidWebhook extends RuntimeException {
        InvalidWebhook(String message) {
            super(message);
        }
    }

    private static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private final List<byte[]> keys;
    private final Duration tolerance;

    /** @param secrets one or more {@code whsec_} secrets (during a rotation, the new and the old) */
    public WebhookVerifier(String... secrets) {
        this(DEFAULT_TOLERANCE, secrets);
    }

    public WebhookVerifier(Duration tolerance, String... secrets) {
        if (secrets.length == 0) {
            throw new IllegalArgumentException("give at least one secret");
        }
        this.keys = java.util.Arrays.stream(secrets).map(WebhookVerifier::key).toList();
        this.tolerance = tolerance;
    }

    private static byte[] key(String secret) {
        String base64 = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        return Base64.getDecoder().decode(base64);
    }

    /**
     * Checks the message at the current time; header names are matched without regard to case.
     *
     * @throws InvalidWebhook when a header is missing, the timestamp is too old or too new, or no signature matches
     */
    public void verify(Map<String, String> headers, byte[] body) {
        verify(headers, body, Instant.now());
    }

    void verify(Map<String, String> headers, byte[] body, Instant now) {
        String id = header(headers, "webhook-id");
        String timestamp = header(headers, "webhook-timestamp");
        String signatures = header(headers, "webhook-signature");
        long seconds;
        try {
            seconds = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new InvalidWebhook("webhook-timestamp is not a number of seconds");
        }
        if (Math.abs(now.getEpochSecond() - seconds) > tolerance.toSeconds()) {
            throw new InvalidWebhook("webhook-timestamp is more than " + tolerance.toSeconds() + " s away from now");
        }
        byte[] signed = (id + "." + seconds + ".").getBytes(StandardCharsets.UTF_8);
        for (byte[] key : keys) {
            byte[] expected = hmac(key, signed, body);
            for (String candidate : signatures.trim().split(" +")) {
                int comma = candidate.indexOf(',');
                if (comma < 0 || !candidate.substring(0, comma).equals("v1")) {
                    continue;
                }
                byte[] given;
                try {
                    given = Base64.getDecoder().decode(candidate.substring(comma + 1));
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (MessageDigest.isEqual(expected, given)) {
                    return;
                }
            }
        }
        throw new InvalidWebhook("no signature matches");
    }

    private static String header(Map<String, String> headers, String name) {
        for (var e : headers.entrySet()) {
            if (e.getKey().toLowerCase(Locale.ROOT).equals(name)) {
                return e.getValue();
            }
        }
        throw new InvalidWebhook("the " + name + " header is missing");
    }

    private static byte[] hmac(byte[] key, byte[] prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
