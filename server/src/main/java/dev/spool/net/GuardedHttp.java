package dev.spool.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.util.Timeout;

/**
 * An HTTP client that asks an {@link OutboundPolicy} for the addresses of every host it connects
 * to, so that the address checked is the address connected to: a name that resolved to a public
 * address when a URL was registered and to a private one now (DNS rebinding) is refused now.
 * Redirects are never followed, nothing is retried here, and no proxy or cookie is used.
 */
public final class GuardedHttp implements AutoCloseable {

    /** A response read whole: the status and at most the first {@code maxBytes} of the body, as text. */
    public record Answer(int status, String body) {}

    /** A response whose body is still to be read; closing the body releases the connection. */
    public record Opened(int status, String contentType, InputStream body) {}

    private final CloseableHttpClient client;

    public GuardedHttp(OutboundPolicy policy, Duration connectTimeout, Duration responseTimeout, int maxConnections) {
        DnsResolver vetted = new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                return policy.addresses(host);
            }

            @Override
            public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
                return Arrays.stream(policy.addresses(host)).map(a -> new InetSocketAddress(a, port)).toList();
            }

            @Override
            public String resolveCanonicalHostname(String host) {
                return host;
            }
        };
        this.client = HttpClients.custom()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                        .setDnsResolver(vetted)
                        .setMaxConnTotal(maxConnections)
                        .setMaxConnPerRoute(maxConnections)
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(Timeout.of(connectTimeout))
                                .setSocketTimeout(Timeout.of(responseTimeout))
                                .build())
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.of(responseTimeout)).build())
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent("Spool")
                .build();
    }

    /**
     * POSTs {@code body}; answers the status and the start of the response body.
     *
     * @throws OutboundPolicy.Refused when the host's addresses are refused (no connection was made)
     * @throws IOException            when the request could not be made or answered
     */
    public Answer post(URI uri, Map<String, String> headers, byte[] body, String contentType, int maxBytes)
            throws IOException {
        refuseCredentials(uri);
        HttpPost post = new HttpPost(uri);
        headers.forEach(post::setHeader);
        post.setEntity(new ByteArrayEntity(body, ContentType.parse(contentType)));
        try {
            return client.execute(post, response -> new Answer(response.getCode(), start(response.getEntity(), maxBytes)));
        } catch (IOException e) {
            throw refusal(e);
        }
    }

    /** GETs {@code uri} and leaves its body to the caller, who must close it. */
    public Opened get(URI uri) throws IOException {
        refuseCredentials(uri);
        ClassicHttpResponse response;
        try {
            response = client.executeOpen(null, new HttpGet(uri), null);
        } catch (IOException e) {
            throw refusal(e);
        }
        HttpEntity entity = response.getEntity();
        InputStream body = entity == null ? InputStream.nullInputStream() : entity.getContent();
        String type = entity == null || entity.getContentType() == null ? "application/octet-stream" : entity.getContentType();
        return new Opened(response.getCode(), type, new java.io.FilterInputStream(body) {
            @Override
            public void close() throws IOException {
                response.close();
            }
        });
    }

    private static void refuseCredentials(URI uri) throws OutboundPolicy.Refused {
        if (uri.getRawUserInfo() != null) {
            throw new OutboundPolicy.Refused("credentials in the URL are not allowed");
        }
    }

    /** The policy's refusal, if that is what stopped the request (the client may wrap it). */
    private static IOException refusal(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutboundPolicy.Refused refused) {
                return refused;
            }
        }
        return e;
    }

    private static String start(HttpEntity entity, int maxBytes) throws IOException {
        if (entity == null) {
            return "";
        }
        try (InputStream in = entity.getContent()) {
            byte[] head = in.readNBytes(maxBytes);
            return new String(head, StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        client.close(org.apache.hc.core5.io.CloseMode.IMMEDIATE);
    }
}
