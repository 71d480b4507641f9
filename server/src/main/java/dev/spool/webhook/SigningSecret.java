package dev.spool.webhook;

import java.time.Instant;
import java.util.List;

/**
 * The {@code whsec_} secret(s) webhooks are signed with. After a rotation the previous secret stays
 * valid until {@code previousUntil}, and every payload is signed with both, so receivers can switch
 * at their own pace.
 */
public record SigningSecret(String current, String previous, Instant previousUntil) {

    /** The secrets to sign with at {@code now}, newest first. */
    public List<String> valid(Instant now) {
        return previous != null && previousUntil != null && now.isBefore(previousUntil)
                ? List.of(current, previous)
                : List.of(current);
    }
}
