package dev.spool.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SSRF guard against hostile URLs: every encoding of loopback, private, link-local, CGNAT,
 * multicast, unspecified and metadata addresses, names that resolve inside, a name that resolves
 * outside when checked and inside when connected (DNS rebinding), and a redirect. Each is refused
 * when registered and again when connected, and listeners on the loopback addresses count every
 * connection made to them: there must be none.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileUrlTest {
    private static final InetAddress PUBLIC = address("93.184.216.34");

    private final List<Listener> listeners = new ArrayList<>();
    private int port;
    private HttpServer redirector;
    private final AtomicInteger rebindLookups = new AtomicInteger();
    private OutboundPolicy policy;
    private GuardedHttp http;

    /** A loopback listener that counts connections and answers each with 204. */
    private static final class Listener implements AutoCloseable {
        final ServerSocket socket;
        final AtomicInteger accepted = new AtomicInteger();

        Listener(InetAddress address, int port) throws IOException {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, port));
            Thread.ofVirtual().start(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        accepted.incrementAndGet();
                        OutputStream out = s.getOutputStream();
                        out.write("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                    } catch (IOException closed) {
                        // the socket was closed, or the client went away
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The system resolver, plus test names: what a hostile DNS could answer. */
    private InetAddress[] resolve(String host) throws UnknownHostException {
        return switch (host) {
            case "loopback.test" -> new InetAddress[] {address("127.0.0.1")};
            case "metadata.test" -> new InetAddress[] {address("169.254.169.254")};
            case "private.test" -> new InetAddress[] {address("10.1.2.3")};
            case "mixed.test" -> new InetAddress[] {PUBLIC, address("127.0.0.1")};
            case "v6.test" -> new InetAddress[] {address("::1")};
            // Public when the URL is registered, loopback when the request connects.
            case "rebind.test" -> rebindLookups.getAndIncrement() == 0
                    ? new InetAddress[] {PUBLIC} : new InetAddress[] {address("127.0.0.1")};
            default -> InetAddress.getAllByName(host);
        };
    }

    @BeforeAll
    void start() throws IOException {
        Listener first = new Listener(address("127.0.0.1"), 0);
        listeners.add(first);
        port = first.socket.getLocalPort();
        listeners.add(new Listener(address("127.0.0.2"), port));
        try {
            listeners.add(new Listener(address("::1"), port));
        } catch (IOException noIpv6) {
            // a machine without IPv6 loopback cannot be reached over it either
        }
        redirector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        redirector.createContext("/", ex -> {
            ex.getResponseHeaders().add("Location", "http://127.0.0.2:" + port + "/inside");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        redirector.start();
        policy = new OutboundPolicy(Set.of(), this::resolve, "webhooks.allow_hosts");
        http = new GuardedHttp(policy, Duration.ofSeconds(2), Duration.ofSeconds(2), 4);
    }

    @AfterAll
    void stop() throws IOException {
        http.close();
        redirector.stop(0);
        for (Listener l : listeners) {
            l.close();
        }
    }

    Stream<String> hostileUrls() {
        String p = ":" + port;
        return Stream.of(
                // loopback, IPv4, in every textual form, on the listeners' port
                "http://127.0.0.1" + p + "/", "http://127.1" + p + "/", "http://127.0.1" + p + "/",
                "http://2130706433" + p + "/", "http://0x7f000001" + p + "/", "http://0x7f.0x0.0x0.0x1" + p + "/",
                "http://0177.0.0.1" + p + "/", "http://017700000001" + p + "/", "http://0177.1" + p + "/",
                "http://127.000.000.001" + p + "/", "http://127.0.0.2" + p + "/", "http://127.255.255.254" + p + "/",
                "https://127.0.0.1" + p + "/", "http://127.0.0.1" + p + "/path?q=1#frag",
                // unspecified: 0.0.0.0 reaches loopback listeners on Linux
                "http://0.0.0.0" + p + "/", "http://0" + p + "/", "http://[::]" + p + "/",
                // loopback, IPv6 and IPv4 inside IPv6
                "http://[::1]" + p + "/", "http://[0:0:0:0:0:0:0:1]" + p + "/", "http://[0000::0001]" + p + "/",
                "http://[::ffff:127.0.0.1]" + p + "/", "http://[::ffff:7f00:1]" + p + "/",
                "http://[0:0:0:0:0:ffff:127.0.0.1]" + p + "/", "http://[::127.0.0.1]" + p + "/",
                "http://[2002:7f00:1::]" + p + "/", "http://[64:ff9b::127.0.0.1]" + p + "/",
                // names that resolve to loopback
                "http://localhost" + p + "/", "http://LOCALHOST" + p + "/", "http://localhost." + p + "/",
                "http://loopback.test" + p + "/", "http://v6.test" + p + "/", "http://mixed.test" + p + "/",
                // cloud metadata
                "http://169.254.169.254/latest/meta-data/", "http://169.254.169.254:80/computeMetadata/v1/",
                "http://0xa9fea9fe/", "http://2852039166/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
                "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/", "http://[fd00:ec2::254]/",
                "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://metadata.test/",
                "http://100.100.100.200/latest/meta-data/",
                // private (RFC 1918), unique-local, link-local, site-local
                "http://10.0.0.1/", "http://10.255.255.255/", "http://172.16.0.1/", "http://172.31.255.255/",
                "http://192.168.0.1/", "http://192.168.1.1:8080/", "http://0xc0a80001/", "http://3232235521/",
                "http://[::ffff:10.0.0.1]/", "http://[::ffff:c0a8:1]/", "http://[fc00::1]/", "http://[fd12:3456:789a::1]/",
                "http://[fe80::1]/", "http://[fec0::1]/", "http://169.254.0.1/", "http://private.test/",
                // CGNAT, multicast, broadcast, reserved, benchmarking, protocol assignments
                "http://100.64.0.1/", "http://100.127.255.254/", "http://224.0.0.1/", "http://239.255.255.250/",
                "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/", "http://198.18.0.1/",
                "http://192.0.0.1/",
                // not http, credentials, no host, no such host
                "ftp://127.0.0.1" + p + "/", "file:///etc/passwd", "gopher://127.0.0.1" + p + "/",
                "http://user:pass@example.com/", "http:///nohost", "http://nonexistent.invalid/", "not a url");
    }

    @Test
    void theTableHoldsAtLeastSixtyUrls() {
        assertThat(hostileUrls().count()).isGreaterThanOrEqualTo(60);
    }

    @ParameterizedTest
    @MethodSource("hostileUrls")
    void aHostileUrlIsRefusedWhenRegisteredAndWhenConnectedAndNothingConnects(String url) {
        assertThatThrownBy(() -> policy.check(url)).as(url).isInstanceOf(OutboundPolicy.Refused.class);
        URI uri = parsed(url);
        if (uri != null && uri.getHost() != null && uri.getScheme().startsWith("http")) {
            // The connect-time guard on its own, as if the URL had slipped past registration.
            assertThatThrownBy(() -> http.post(uri, Map.of(), new byte[0], "application/json", 100)).as(url)
                    .isInstanceOf(OutboundPolicy.Refused.class);
        }
        assertNoConnections();
    }

    @Test
    void aNameThatResolvesOutsideWhenCheckedAndInsideWhenConnectedIsRefusedOnConnect() throws Exception {
        URI uri = policy.check("http://rebind.test:" + port + "/hook"); // passes: public, this time
        assertThatThrownBy(() -> http.post(uri, Map.of(), new byte[0], "application/json", 100))
                .isInstanceOf(OutboundPolicy.Refused.class)
                .hasMessageContaining("127.0.0.1");
        assertThat(rebindLookups.get()).isEqualTo(2);
        assertNoConnections();
    }

    @Test
    void aRedirectInsideIsNeverFollowed() throws Exception {
        OutboundPolicy allowing = new OutboundPolicy(Set.of("localhost"), this::resolve, "webhooks.allow_hosts");
        try (GuardedHttp client = new GuardedHttp(allowing, Duration.ofSeconds(2), Duration.ofSeconds(2), 2)) {
            URI uri = allowing.check("http://localhost:" + redirector.getAddress().getPort() + "/hook");
            GuardedHttp.Answer answer = client.post(uri, Map.of(), "{}".getBytes(), "application/json", 100);
            assertThat(answer.status()).isEqualTo(302);
        }
        assertNoConnections();
    }

    @Test
    void theListenersDoCountConnectionsSoTheirSilenceMeansSomething() throws Exception {
        OutboundPolicy allowing = new OutboundPolicy(Set.of("127.0.0.2"), this::resolve, "webhooks.allow_hosts");
        Listener second = listeners.get(1);
        int before = second.accepted.get();
        try (GuardedHttp client = new GuardedHttp(allowing, Duration.ofSeconds(2), Duration.ofSeconds(2), 2)) {
            URI uri = allowing.check("http://127.0.0.2:" + port + "/");
            assertThat(client.post(uri, Map.of(), new byte[0], "application/json", 100).status()).isEqualTo(204);
        }
        assertThat(second.accepted.get()).isEqualTo(before + 1);
        second.accepted.set(before);
    }

    @Test
    void publicAddressesPass() {
        for (String literal : List.of("93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1",
                "172.32.0.1", "192.169.0.1", "::ffff:8.8.8.8")) {
            assertThat(OutboundPolicy.isPublic(address(literal))).as(literal).isTrue();
        }
    }

    private void assertNoConnections() {
        for (Listener l : listeners) {
            assertThat(l.accepted.get()).as("connections to %s", l.socket.getLocalSocketAddress()).isZero();
        }
    }

    private static URI parsed(String url) {
        try {
            return new URI(url);
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
