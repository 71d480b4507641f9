package dev.spool.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.client.WebhookVerifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Spool's signer and the client's verifier against the example the Standard Webhooks specification publishes. */
class SignerTest {
    // The specification's worked example (standard-webhooks, spec/standard-webhooks.md).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330;
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void theSignerReproducesTheSpecificationsExample() {
        assertThat(Signer.signature(List.of(SECRET), ID, TIMESTAMP, BODY)).isEqualTo(EXPECTED);
    }

    @Test
    void theClientVerifierAcceptsTheExampleAndRefusesChanges() {
        WebhookVerifier verifier = new WebhookVerifier(Duration.ofDays(100_000), SECRET);
        Map<String, String> headers = Map.of("Webhook-Id", ID, "Webhook-Timestamp", Long.toString(TIMESTAMP),
                "Webhook-Signature", "v1,bm9wZQ== " + EXPECTED);
        verifier.verify(headers, BODY);

        assertThatThrownBy(() -> verifier.verify(headers, "{\"test\": 1}".getBytes()))
                .isInstanceOf(WebhookVerifier.InvalidWebhook.class);
        assertThatThrownBy(() -> verifier.verify(Map.of("webhook-id", ID, "webhook-timestamp", "1614265331",
                "webhook-signature", EXPECTED), BODY)).isInstanceOf(WebhookVerifier.InvalidWebhook.class);
        assertThatThrownBy(() -> new WebhookVerifier(SECRET).verify(headers, BODY)) // five years late: a replay
                .isInstanceOf(WebhookVerifier.InvalidWebhook.class).hasMessageContaining("timestamp");
        assertThatThrownBy(() -> verifier.verify(Map.of("webhook-id", ID), BODY))
                .isInstanceOf(WebhookVerifier.InvalidWebhook.class).hasMessageContaining("missing");
    }

    @Test
    void duringARotationBothSecretsSignAndEitherVerifies() {
        String fresh = Signer.newSecret();
        assertThat(fresh).startsWith("whsec_");
        long now = Instant.now().getEpochSecond();
        String header = Signer.signature(List.of(fresh, SECRET), ID, now, BODY);
        assertThat(header.split(" ")).hasSize(2);
        Map<String, String> headers = Map.of("webhook-id", ID, "webhook-timestamp", Long.toString(now), "webhook-signature", header);
        new WebhookVerifier(SECRET).verify(headers, BODY);
        new WebhookVerifier(fresh).verify(headers, BODY);
        assertThatThrownBy(() -> new WebhookVerifier(Signer.newSecret()).verify(headers, BODY))
                .isInstanceOf(WebhookVerifier.InvalidWebhook.class);
    }
}
