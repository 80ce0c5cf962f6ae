package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.ActorError;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.jspecify.annotations.Nullable;

/**
 * What the engine's guard checks before a request reaches an actor: host, origin, CORS, tokens, the
 * namespace.
 */
final class Guard {
    /** The methods a browser may use across origins: the ones the official client uses. */
    static final String ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";

    /**
     * The request headers a browser may send across origins: the ones the official client sends
     * (its {@code ALLOWED_PUBLIC_HEADERS}, the API's {@code Authorization}, its raw-request and
     * tracing headers). A fixed list, not whatever the preflight asks for.
     */
    static final String ALLOWED_HEADERS =
            String.join(
                    ", ",
                    List.of(
                            "content-type",
                            "user-agent",
                            "authorization",
                            "x-rivet-encoding",
                            "x-rivet-conn-params",
                            "x-rivet-idempotency-key",
                            "x-rivet-token",
                            "x-rivet-target",
                            "x-rivet-actor",
                            "x-rivet-actor-generation",
                            "x-rivet-actor-key",
                            "x-rivet-namespace",
                            "x-rivet-query",
                            "x-rivet-skip-ready-wait",
                            "x-rivet-ray-id",
                            "x-rivet-internal-original-request-url",
                            "traceparent",
                            "tracestate"));

    private Guard() {}

    /**
     * Refuses a request whose {@code Host} the server does not answer to (DNS rebinding), or that
     * has none.
     */
    static void host(ServerConfig config, Request request) {
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (config.origins().hostAllowed(host)) {
            return;
        }
        if (host == null) {
            throw new ActorError(
                    "guard",
                    "host_not_allowed",
                    "A request without a Host header is not allowed (it could come from a DNS-rebinding page).");
        }
        String name = OriginPolicy.hostname(host);
        throw new ActorError(
                "guard",
                "host_not_allowed",
                "Host `"
                        + host
                        + "` is not allowed; start the server with"
                        + " --public-url set to the URL it is reached at (e.g. --public-url https://"
                        + (name == null || name.isEmpty()
                                ? host
                                : name.contains(":") ? "[" + name + "]" : name)
                        + ") to allow it.");
    }

    /**
     * Refuses a request that a page of a foreign origin sent (any method, preflights and upgrades
     * included).
     */
    static void origin(ServerConfig config, Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null || originAllowed(config, request, origin)) {
            return;
        }
        throw new ActorError(
                "guard",
                "origin_not_allowed",
                "Origin `"
                        + origin
                        + "` is not allowed; start the server with --cors-origin "
                        + origin
                        + " to allow it");
    }

    private static boolean originAllowed(ServerConfig config, Request request, String origin) {
        return config.origins()
                .originAllowed(
                        origin, request.isSecure(), request.getHeaders().get(HttpHeader.HOST));
    }

    /**
     * Echoes an allowed Origin with credentials: the client sends {@code credentials: "include"},
     * so {@code *} fails. Nothing for a request without an Origin (not from a browser page) or with
     * one not allowed.
     */
    static void cors(Request request, Response response, ServerConfig config) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin == null || !originAllowed(config, request, origin)) {
            return;
        }
        response.getHeaders().put("access-control-allow-origin", origin);
        response.getHeaders().put("access-control-allow-credentials", "true");
        response.getHeaders().put("access-control-expose-headers", "*");
        response.getHeaders().add(HttpHeader.VARY, "Origin");
    }

    static void preflight(Response response) {
        response.getHeaders().put("access-control-allow-methods", ALLOWED_METHODS);
        response.getHeaders().put("access-control-allow-headers", ALLOWED_HEADERS);
        response.getHeaders().put("access-control-max-age", "86400");
    }

    /**
     * With {@code serve --token}, a request must carry it the way the official client sends it: in
     * the gateway path or {@code rvt-token} ({@code fromTarget}), the {@code rivet_token.}
     * subprotocol (also {@code fromTarget}), {@code Authorization: Bearer}, or {@code
     * x-rivet-token}.
     */
    static void token(ServerConfig config, Request request, @Nullable String fromTarget) {
        if (config.token() == null || offers(request, fromTarget, config.token())) {
            return;
        }
        throw new ActorError(
                "auth",
                "forbidden",
                "This server needs a token: pass the client's `token` option.");
    }

    /**
     * The routes that list or destroy actors, and the metrics: they need the admin token when there
     * is one (as {@code Authorization: Bearer} or {@code x-rivet-token}), else the token when there
     * is one; with neither they are open unless the server was built with {@code
     * adminRoutesOpen(false)}.
     */
    static void admin(ServerConfig config, Request request) {
        if (config.adminToken() == null) {
            if (config.token() == null && !config.adminRoutesOpen()) {
                throw new ActorError(
                        "guard",
                        "admin_token_required",
                        "This route lists or destroys actors or shows"
                                + " metrics, and this server has no token; start the server with --token to use this route.");
            }
            token(config, request, null);
            return;
        }
        if (!offers(request, null, config.adminToken())) {
            throw new ActorError(
                    "auth",
                    "forbidden",
                    "This route needs the admin token: send it as `Authorization: Bearer <token>` or `x-rivet-token`.");
        }
    }

    private static boolean offers(Request request, @Nullable String fromTarget, String expected) {
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        String bearer =
                authorization != null && authorization.startsWith("Bearer ")
                        ? authorization.substring(7)
                        : null;
        for (String offered :
                new String[] {fromTarget, bearer, request.getHeaders().get("x-rivet-token")}) {
            if (offered != null
                    && MessageDigest.isEqual(
                            offered.getBytes(StandardCharsets.UTF_8),
                            expected.getBytes(StandardCharsets.UTF_8))) {
                return true;
            }
        }
        return false;
    }

    /**
     * While the server drains: a signal the official client retries on (it keeps retrying while it
     * gets one).
     */
    static ActorError serviceUnavailable() {
        return new ActorError("guard", "service_unavailable", "The server is restarting; retry.");
    }

    static void namespace(ServerConfig config, String namespace) {
        if (!config.namespaces().contains(namespace)) {
            throw new ActorError(
                    "namespace", "not_found", "Namespace `" + namespace + "` was not found.");
        }
    }
}
