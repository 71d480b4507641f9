package dev.spool.http;

import dev.spool.job.ErrorCode;
import io.helidon.webserver.WebServer;

/**
 * What a node answers while it waits for its database at start: {@code /healthz} says it is alive,
 * {@code /readyz} and every other route answer 503 with {@code Retry-After}, so that a load balancer
 * keeps traffic away and clients retry, instead of finding nothing listening.
 */
public final class Standby implements AutoCloseable {
    private final WebServer server;

    public Standby(String host, int port) {
        this.server = WebServer.builder()
                .host(host)
                .port(port)
                .routing(r -> r
                        .get("/healthz", ApiServer::alive)
                        .any((req, res) -> Problems.send(res, ErrorCode.UNAVAILABLE,
                                "Spool is starting: it is waiting for its database.")))
                .build()
                .start();
        if (!server.isRunning() || server.port() < 0) {
            server.stop();
            throw new IllegalStateException("cannot listen on " + host + ":" + port
                    + " (is the port already in use? choose another with --port or http.port)");
        }
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }
}
