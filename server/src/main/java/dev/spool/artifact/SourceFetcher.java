package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import dev.spool.net.GuardedHttp;
import dev.spool.net.OutboundPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;

/**
 * Fetches a job's URL sources for the server through the {@link OutboundPolicy}: a URL whose host
 * resolves to an address that is not on the public internet is refused, before the request and
 * again on the address actually connected to, unless the operator allow-listed the host by name.
 * Redirects are never followed, since one could lead inside.
 */
public final class SourceFetcher implements AutoCloseable {
    /** A fetched body: read it once, then close it. */
    public record Fetched(String contentType, InputStream body) {}

    private final GuardedHttp http;
    private final OutboundPolicy policy;

    public SourceFetcher(OutboundPolicy policy) {
        this.policy = policy;
        this.http = new GuardedHttp(policy, Duration.ofSeconds(10), Duration.ofSeconds(60), 16);
    }

    public Fetched fetch(String url) {
        URI uri;
        GuardedHttp.Opened response;
        try {
            uri = policy.check(url);
            response = http.get(uri);
        } catch (OutboundPolicy.Refused e) {
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The server will not fetch the source " + url + ": "
                    + e.getMessage() + ".");
        } catch (IOException e) {
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + url + " could not be fetched: " + e.getMessage());
        }
        int status = response.status();
        if (status / 100 != 2) {
            close(response.body());
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + url + " answered " + status
                    + (status / 100 == 3 ? " (redirects are not followed; give the final URL)" : "") + ".");
        }
        return new Fetched(response.contentType(), response.body());
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing more to read anyway
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
