package dev.spool.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A webhook receiver on loopback: records every request it gets (headers and raw body) and answers
 * with the status {@code answer} picks for it (with a Location for 3xx answers).
 */
public final class Receiver implements AutoCloseable {
    /** One request as received; header names lower-cased. */
    public record Received(String path, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile Function<Received, Integer> answer = r -> 204;

    public Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            Map<String, String> headers = new TreeMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
            Received r = new Received(ex.getRequestURI().getPath(), headers, ex.getRequestBody().readAllBytes());
            received.add(r);
            int status = answer.apply(r);
            if (status / 100 == 3) {
                ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + port() + "/redirected");
            }
            byte[] body = ("answer " + status).getBytes();
            ex.sendResponseHeaders(status, status == 204 ? -1 : body.length);
            if (status != 204) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
    }

    public void answer(Function<Received, Integer> answer) {
        this.answer = answer;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    public List<Received> received(String path) {
        return received.stream().filter(r -> r.path().equals(path)).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
