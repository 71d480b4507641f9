package dev.spool.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spool.auth.ApiKey;
import dev.spool.auth.ApiKeys;
import dev.spool.auth.Caller;
import dev.spool.job.SpoolException;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Locale;

/** API key management; every route here needs an admin key (see ApiServer). */
final class KeyRoutes {
    /** @param tenant defaults to the caller's tenant; @param role {@code tenant} (default) or {@code admin} */
    record CreateBody(String name, String tenant, String role) {}

    private final ApiKeys keys;

    KeyRoutes(ApiKeys keys) {
        this.keys = keys;
    }

    void create(Caller caller, ServerRequest req, ServerResponse res) {
        CreateBody body = Json.read(ApiServer.body(req), CreateBody.class);
        ApiKey.Role role = switch (body.role() == null ? "tenant" : body.role().toLowerCase(Locale.ROOT)) {
            case "tenant" -> ApiKey.Role.TENANT;
            case "admin" -> ApiKey.Role.ADMIN;
            case "worker" -> ApiKey.Role.WORKER;
            default -> throw SpoolException.invalid("role must be 'tenant', 'admin' or 'worker'");
        };
        ApiKeys.Created created = keys.create(body.tenant() == null ? caller.tenant() : body.tenant(), body.name(), role);
        ObjectNode out = Wire.key(created.key());
        out.put("key", created.secret());
        ApiServer.sendJson(res, Status.CREATED_201, out);
    }

    void list(Caller caller, ServerRequest req, ServerResponse res) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        var data = out.putArray("data");
        keys.list().forEach(k -> data.add(Wire.key(k)));
        ApiServer.sendJson(res, Status.OK_200, out);
    }

    void revoke(Caller caller, ServerRequest req, ServerResponse res) {
        keys.revoke(req.path().pathParameters().get("id"));
        res.status(Status.NO_CONTENT_204).send();
    }
}
