package dev.spool.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client sends: a target with a lone
 * {@code %}, a Content-Type that does not parse, bytes that are not UTF-8. One connection per request.
 */
public final class RawHttp {
    /** One answer: its status, its headers (lower-case names), and its body (none for an event stream). */
    public record Answer(int status, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final int port;

    public RawHttp(int port) {
        this.port = port;
    }

    /**
     * Sends {@code method target} with {@code headers} (name, value pairs) and {@code body} (with its
     * Content-Length when not null), and reads the answer. A 200 event stream is not read past its headers.
     */
    public Answer send(String method, String target, List<String[]> headers, byte[] body) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            for (String[] h : headers) {
                head.writeBytes((h[0] + ": " + h[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            if (body != null) {
                head.writeBytes(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            head.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            out.write(head.toByteArray());
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return read(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * Sends {@code body} chunked, all of it, before reading the answer: as a client that does not
     * wait for a verdict does, however early the server gives one.
     */
    public Answer sendChunked(String method, String target, List<String[]> headers, byte[] body, int chunk) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(15_000);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.writeBytes((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n").getBytes(StandardCharsets.UTF_8));
            for (String[] h : headers) {
                head.writeBytes((h[0] + ": " + h[1] + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            head.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            out.write(head.toByteArray());
            for (int at = 0; at < body.length; at += chunk) {
                int n = Math.min(chunk, body.length - at);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, at, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return read(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + target + ": " + e.getMessage(), e);
        }
    }

    private static Answer read(InputStream in) throws IOException {
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("not an HTTP answer: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = new TreeMap<>();
        for (String l = line(in); !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            headers.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(), (a, b) -> a + "\n" + b);
        }
        String type = headers.getOrDefault("content-type", "");
        if (status == 200 && type.startsWith("text/event-stream")) {
            return new Answer(status, headers, new byte[0]);
        }
        byte[] body;
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (int size = Integer.parseInt(line(in).split(";")[0].trim(), 16); size > 0;
                 size = Integer.parseInt(line(in).split(";")[0].trim(), 16)) {
                all.writeBytes(in.readNBytes(size));
                line(in);
            }
            body = all.toByteArray();
        } else if (headers.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
        } else {
            body = in.readAllBytes();
        }
        return new Answer(status, headers, body);
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("the connection closed mid-answer");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
