package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.ActorError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/** What the engine's guard checks before a request reaches an actor: CORS, the token, the namespace. */
final class Guard {
    private Guard() {
    }

    /** Echoes an allowed Origin with credentials: the client sends {@code credentials: "include"}, so {@code *} fails. */
    static void cors(Request request, Response response, ServerConfig config) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null || !config.corsAllows(origin)) {
            return;
        }
        response.getHeaders().put("access-control-allow-origin", origin);
        response.getHeaders().put("access-control-allow-credentials", "true");
        response.getHeaders().put("access-control-expose-headers", "*");
        response.getHeaders().add(HttpHeader.VARY, "Origin");
    }

    static void preflight(Request request, Response response) {
        response.getHeaders().put("access-control-allow-methods", "GET, POST, PUT, DELETE, OPTIONS, PATCH");
        String requested = request.getHeaders().get("access-control-request-headers");
        if (requested != null) {
            response.getHeaders().put("access-control-allow-headers", requested);
        }
        response.getHeaders().put("access-control-max-age", "86400");
    }

    /**
     * With {@code serve --token}, a request must carry it the way the official client sends it: in the gateway path
     * or {@code rvt-token} ({@code fromTarget}), the {@code rivet_token.} subprotocol (also {@code fromTarget}),
     * {@code Authorization: Bearer}, or {@code x-rivet-token}.
     */
    static void token(ServerConfig config, Request request, String fromTarget) {
        if (config.token() == null) {
            return;
        }
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String bearer = authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
        for (String offered : new String[] {fromTarget, bearer, request.getHeaders().get("x-rivet-token")}) {
            if (offered != null && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8),
                    config.token().getBytes(StandardCharsets.UTF_8))) {
                return;
            }
        }
        throw new ActorError("auth", "forbidden", "This server needs a token: pass the client's `token` option.");
    }

    /** While the server drains: a signal the official client retries on (it keeps retrying while it gets one). */
    static ActorError serviceUnavailable() {
        return new ActorError("guard", "service_unavailable", "The server is restarting; retry.");
    }

    static void namespace(ServerConfig config, String namespace) {
        if (!config.namespaces().contains(namespace)) {
            throw new ActorError("namespace", "not_found", "Namespace `" + namespace + "` was not found.");
        }
    }
}
