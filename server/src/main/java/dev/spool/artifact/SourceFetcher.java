package dev.spool.artifact;

import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Fetches a job's URL sources for the server, refusing any URL whose host resolves to an address
 * that is not on the public internet (loopback, private, link-local and cloud metadata, CGNAT,
 * unique-local, multicast, unspecified), unless the operator allow-listed the host by name.
 * Redirects are never followed, since one could lead inside.
 */
public final class SourceFetcher {
    /** A fetched body: read it once, then close it. */
    public record Fetched(String contentType, InputStream body) {}

    private final Set<String> allowedHosts;
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    public SourceFetcher(Set<String> allowedHosts) {
        this.allowedHosts = Set.copyOf(allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList());
    }

    public Fetched fetch(String url) {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw refused(url, "it is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw refused(url, "only http and https URLs are fetched");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw refused(url, "it has no host");
        }
        if (!allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
            checkPublic(url, host);
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + url + " could not be fetched: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SpoolException(ErrorCode.UNAVAILABLE, "Interrupted while fetching " + url);
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            close(response.body());
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + url + " answered " + status
                    + (status / 100 == 3 ? " (redirects are not followed; give the final URL)" : "") + ".");
        }
        return new Fetched(response.headers().firstValue("content-type").orElse("application/octet-stream"), response.body());
    }

    /** Refuses a host unless every address it resolves to is public. */
    static void checkPublic(String url, String host) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new SpoolException(ErrorCode.INVALID_INPUT, "The source " + url + " names a host that does not resolve: " + host);
        }
        for (InetAddress address : addresses) {
            if (!isPublic(address)) {
                throw refused(url, "its host " + host + " resolves to " + address.getHostAddress()
                        + ", which is not a public address");
            }
        }
    }

    static boolean isPublic(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return !(first == 0 || (first == 100 && second >= 64 && second < 128) // "this network", CGNAT
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0)          // IETF protocol assignments
                    || (first == 198 && (second == 18 || second == 19))            // benchmarking
                    || first >= 240);                                              // reserved, broadcast
        }
        if (address instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) { // unique local fc00::/7
                return false;
            }
            boolean mapped = true; // ::ffff:a.b.c.d: judge the IPv4 address inside
            for (int i = 0; i < 10; i++) {
                mapped &= b[i] == 0;
            }
            if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                try {
                    return isPublic(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return false;
                }
            }
        }
        return true;
    }

    private static SpoolException refused(String url, String why) {
        return new SpoolException(ErrorCode.INVALID_INPUT, "The server will not fetch the source " + url + ": " + why
                + ". (An operator can allow a host with sources.allow_hosts.)");
    }

    private static void close(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing more to read anyway
        }
    }
}
