package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.ApiKey;
import dev.spool.auth.Caller;
import dev.spool.job.ErrorCode;
import dev.spool.job.SpoolException;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The console at {@code /ui}: its files (built into the jar from {@code server/src/main/console}),
 * served with a strict Content-Security-Policy, and its session. Signing in with an API key puts the
 * key in an {@code HttpOnly}, {@code SameSite=Strict} cookie (never where scripts can read it); the
 * console then calls the public API like any client, with the cookie instead of an
 * {@code Authorization} header. A request that changes something must also carry
 * {@code X-Spool-Console: 1}, which a page of another site cannot send.
 */
final class Console {
    static final String COOKIE = "spool_console";
    /** The tenant an admin's console acts for (its tenant picker); read only with the session cookie. */
    static final String TENANT_COOKIE = "spool_console_tenant";
    static final HeaderName CONSOLE_HEADER = HeaderNames.create("X-Spool-Console");
    private static final HeaderName CSP = HeaderNames.create("Content-Security-Policy");
    private static final HeaderName REFERRER_POLICY = HeaderNames.create("Referrer-Policy");
    private static final HeaderName FRAME_OPTIONS = HeaderNames.create("X-Frame-Options");
    private static final HeaderName NOSNIFF = HeaderNames.create("X-Content-Type-Options");
    /** Scripts and styles of this origin only: nothing inline, nothing injected through a job's data can run. */
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    /** How long a console session lasts without signing in again. */
    private static final int SESSION_SECONDS = 12 * 3600;
    private static final Pattern ASSET = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    private static final Map<String, String> TYPES = Map.of("js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "html", "text/html; charset=utf-8", "svg", "image/svg+xml",
            "png", "image/png", "ico", "image/x-icon", "json", "application/json", "woff2", "font/woff2");

    record SignIn(String apiKey) {}

    record Pick(String tenant) {}

    private final Gate gate;

    Console(Gate gate) {
        this.gate = gate;
    }

    void register(HttpRouting.Builder r) {
        r.get("/ui", (req, res) -> {
            res.status(Status.MOVED_PERMANENTLY_301).header(HeaderNames.LOCATION, "/ui/").send();
        });
        r.post("/ui/session", this::signIn);
        r.get("/ui/session", this::session);
        r.delete("/ui/session", this::signOut);
        r.patch("/ui/session", this::pick);
        r.get("/ui/", this::file);
        r.get("/ui/{+path}", this::file);
    }

    /**
     * The {@code Authorization} a console request carries in its cookie, or empty. One that would
     * change something without the console's header is refused: a cross-site request.
     */
    static Optional<String> authorization(ServerRequest req) {
        Optional<String> key = cookie(req);
        if (key.isPresent() && !safe(req.prologue().method()) && !req.headers().contains(CONSOLE_HEADER)) {
            throw new SpoolException(ErrorCode.FORBIDDEN,
                    "A request with the console's cookie that changes something must carry 'X-Spool-Console: 1'.");
        }
        return key.map(k -> "Bearer " + k);
    }

    /** The tenant an admin's console picked, when the request is the console's (its session cookie, no Authorization). */
    static Optional<String> pickedTenant(ServerRequest req) {
        if (req.headers().contains(HeaderNames.AUTHORIZATION) || cookie(req).isEmpty()) {
            return Optional.empty();
        }
        return req.headers().cookies().first(TENANT_COOKIE).filter(v -> !v.isBlank());
    }

    private static boolean safe(Method method) {
        return method == Method.GET || method == Method.HEAD || method == Method.OPTIONS;
    }

    private static Optional<String> cookie(ServerRequest req) {
        return req.headers().cookies().first(COOKIE).filter(v -> !v.isBlank());
    }

    private void signIn(ServerRequest req, ServerResponse res) {
        fromTheConsole(req, "Sign in");
        SignIn body = Json.read(ApiServer.body(req), SignIn.class);
        if (body.apiKey() == null || body.apiKey().isBlank()) {
            throw SpoolException.invalid("api_key is required: the API key to sign in with");
        }
        Caller caller = gate.enter("Bearer " + body.apiKey().trim(), res);
        if (caller.role() == ApiKey.Role.WORKER) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "A worker key cannot sign in to the console; use a tenant or admin key.");
        }
        res.headers().add(HeaderNames.SET_COOKIE, cookie(req, COOKIE, body.apiKey().trim()), cookie(req, TENANT_COOKIE, ""));
        ApiServer.sendJson(res, Status.OK_200, who(caller).put("acting_for", caller.tenant()));
    }

    /** Who is signed in: {@code signed_in} false (not an error: the page asks it first) when nobody is, or the key stopped working. */
    private void session(ServerRequest req, ServerResponse res) {
        Optional<String> key = cookie(req);
        Caller caller = null;
        if (key.isPresent()) {
            try {
                caller = gate.enter("Bearer " + key.get(), res);
            } catch (SpoolException e) {
                if (e.code() != ErrorCode.UNAUTHENTICATED) {
                    throw e;
                }
            }
        }
        if (caller == null) {
            ApiServer.sendJson(res, Status.OK_200, Json.MAPPER.createObjectNode().put("signed_in", false));
            return;
        }
        ObjectNode who = who(caller);
        who.put("acting_for", caller.isAdmin() ? pickedTenant(req).orElse(caller.tenant()) : caller.tenant());
        ApiServer.sendJson(res, Status.OK_200, who);
    }

    /** An admin picks the tenant the console acts for ({@code tenant} null or empty: its own). */
    private void pick(ServerRequest req, ServerResponse res) {
        fromTheConsole(req, "Pick a tenant");
        String key = cookie(req).orElseThrow(() -> new SpoolException(ErrorCode.UNAUTHENTICATED, "Sign in first."));
        Caller caller = gate.enter("Bearer " + key, res);
        if (!caller.isAdmin()) {
            throw new SpoolException(ErrorCode.FORBIDDEN, "Only an admin key may act for another tenant.");
        }
        Pick body = Json.read(ApiServer.body(req), Pick.class);
        String tenant = body.tenant() == null ? "" : body.tenant().trim();
        if (!tenant.isEmpty() && !ApiServer.TENANT_NAME.matcher(tenant).matches()) {
            throw SpoolException.invalid("tenant must be a tenant's name (1 to 128 letters, digits and ._:@-)");
        }
        res.header(HeaderNames.SET_COOKIE, cookie(req, TENANT_COOKIE, tenant));
        ObjectNode who = who(caller);
        who.put("acting_for", tenant.isEmpty() ? caller.tenant() : tenant);
        ApiServer.sendJson(res, Status.OK_200, who);
    }

    private void signOut(ServerRequest req, ServerResponse res) {
        fromTheConsole(req, "Sign out");
        res.headers().add(HeaderNames.SET_COOKIE, cookie(req, COOKIE, ""), cookie(req, TENANT_COOKIE, ""));
        res.status(Status.NO_CONTENT_204).send();
    }

    /** The session's own calls come from the console's page only: {@code X-Spool-Console}, which another site cannot send. */
    private static void fromTheConsole(ServerRequest req, String what) {
        if (!req.headers().contains(CONSOLE_HEADER)) {
            throw new SpoolException(ErrorCode.FORBIDDEN, what + " from the console: 'X-Spool-Console: 1' is missing.");
        }
    }

    private static ObjectNode who(Caller caller) {
        return Json.MAPPER.createObjectNode().put("signed_in", true).put("key_id", caller.keyId()).put("tenant", caller.tenant())
                .put("role", caller.role().name().toLowerCase(Locale.ROOT));
    }

    /** A console cookie: HttpOnly, SameSite=Strict, Secure over TLS; an empty value clears it. */
    private static String cookie(ServerRequest req, String name, String value) {
        return name + "=" + value + "; Path=/; Max-Age=" + (value.isEmpty() ? 0 : SESSION_SECONDS) + "; HttpOnly; SameSite=Strict"
                + (secure(req) ? "; Secure" : "");
    }

    /** Served over TLS, here or at a proxy in front that says so. */
    static boolean secure(ServerRequest req) {
        return req.isSecure() || req.headers().first(HeaderNames.create("X-Forwarded-Proto")).map("https"::equalsIgnoreCase).orElse(false);
    }

    /** A file of the console; any other path is the page itself (its router shows the view). */
    private void file(ServerRequest req, ServerResponse res) {
        var parameters = req.path().pathParameters();
        String path = parameters.contains("path") ? parameters.get("path") : null;
        byte[] bytes = null;
        String type = null;
        if (path != null && ASSET.matcher(path).matches() && !path.contains("..")) {
            bytes = read("/ui/" + path);
            int dot = path.lastIndexOf('.');
            type = dot < 0 ? null : TYPES.get(path.substring(dot + 1));
        }
        boolean asset = bytes != null && type != null;
        if (!asset) {
            if (path != null && path.startsWith("assets/")) {
                throw SpoolException.notFound("file");
            }
            bytes = read("/ui/index.html");
            type = TYPES.get("html");
            if (bytes == null) {
                throw new SpoolException(ErrorCode.NOT_FOUND, "The console was not built into this jar (server/src/main/console).");
            }
        }
        headers(res);
        res.header(HeaderNames.CONTENT_TYPE, type);
        // Built files carry a hash in their names: kept for a year. The page itself is asked for again each time.
        res.header(HeaderNames.CACHE_CONTROL, asset && path.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache");
        res.send(bytes);
    }

    static void headers(ServerResponse res) {
        res.header(CSP, POLICY);
        res.header(NOSNIFF, "nosniff");
        res.header(REFERRER_POLICY, "no-referrer");
        res.header(FRAME_OPTIONS, "DENY");
    }

    /** The jar's files do not change while it runs: each is read once (only those that exist, so the map stays small). */
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    private byte[] read(String resource) {
        byte[] cached = files.get(resource);
        if (cached != null) {
            return cached;
        }
        try (InputStream in = Console.class.getResourceAsStream(resource)) {
            if (in == null) {
                return null;
            }
            byte[] bytes = in.readAllBytes();
            files.put(resource, bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
