package dev.spool.http;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spool.testing.ContractCheck;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/** The contract check itself: it must reject what the document does not allow, or the API tests prove nothing. */
class ContractCheckTest {
    private final ContractCheck check = new ContractCheck();

    @Test
    void aProblemThatMatchesTheDocumentPasses() {
        assertThatCode(() -> check.check(response("GET", "/v1/jobs/x", 404, "application/problem+json",
                "{\"type\":\"urn:spool:problem:not_found\",\"title\":\"Not found\",\"status\":404,\"detail\":\"No job.\",\"code\":\"not_found\"}")))
                .doesNotThrowAnyException();
    }

    @Test
    void aBodyWithAnUndocumentedFieldFails() {
        assertThatThrownBy(() -> check.check(response("GET", "/v1/jobs/x", 404, "application/problem+json",
                "{\"type\":\"urn:spool:problem:not_found\",\"title\":\"t\",\"status\":404,\"detail\":\"d\",\"code\":\"not_found\",\"extra\":1}")))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void theServedDocumentIsOpenToNewFieldsButTheCheckClosesEveryObjectItValidates() {
        String secret = "\"secret\":\"whsec_abc\",\"previous_secret\":null,\"previous_valid_until\":null";
        assertThatCode(() -> check.check(response("GET", "/v1/webhooks/default/secret", 200, "application/json",
                "{" + secret + "}"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> check.check(response("GET", "/v1/webhooks/default/secret", 200, "application/json",
                "{" + secret + ",\"rotated_by\":\"x\"}"))).isInstanceOf(AssertionError.class);
        // One level down, in a list: a queue with a field the document does not name.
        String queue = "\"name\":\"q\",\"queued\":1,\"running\":0,\"oldest_queued_age_seconds\":null,\"paused\":false,\"paused_at\":null";
        assertThatCode(() -> check.check(response("GET", "/v1/queues", 200, "application/json",
                "{\"data\":[{" + queue + "}]}"))).doesNotThrowAnyException();
        assertThatThrownBy(() -> check.check(response("GET", "/v1/queues", 200, "application/json",
                "{\"data\":[{" + queue + ",\"weight\":2}]}"))).isInstanceOf(AssertionError.class);
    }

    @Test
    void anUndocumentedStatusFails() {
        assertThatThrownBy(() -> check.check(response("GET", "/v1/jobs/x", 418, "application/json", "{}")))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void aJobMissingARequiredFieldFails() {
        assertThatThrownBy(() -> check.check(response("GET", "/v1/jobs/x", 200, "application/json", "{\"id\":\"x\"}")))
                .isInstanceOf(AssertionError.class);
    }

    private static HttpResponse<byte[]> response(String method, String path, int status, String contentType, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:1" + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        HttpHeaders headers = HttpHeaders.of(Map.of("content-type", List.of(contentType)), (a, b) -> true);
        return new HttpResponse<>() {
            public int statusCode() { return status; }
            public HttpRequest request() { return request; }
            public Optional<HttpResponse<byte[]>> previousResponse() { return Optional.empty(); }
            public HttpHeaders headers() { return headers; }
            public byte[] body() { return body.getBytes(StandardCharsets.UTF_8); }
            public Optional<SSLSession> sslSession() { return Optional.empty(); }
            public URI uri() { return request.uri(); }
            public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
        };
    }
}
