package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.actor.ActionCall;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.RawRequest;
import dev.rivetkitjava.actor.RawResponse;
import dev.rivetkitjava.actor.spi.ActorEvent;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.ConnectionSink;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.store.ActorRecord;
import dev.rivetkitjava.protocol.ActorSpecifier;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.HttpActionResponse;
import dev.rivetkitjava.protocol.HttpResponseError;
import dev.rivetkitjava.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every plain HTTP route: the engine's ({@code /metadata}, {@code /health}, {@code /actors}) and,
 * under the gateway, the actor's ({@code /action/{name}}); any other GET goes to the static files,
 * when there are some. WebSocket routes are {@link ConnectEndpoint}'s.
 */
final class HttpRoutes extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(HttpRoutes.class);
    private static final String CLUSTER_ACTORS = "/cluster/actors/";
    static final String VERSION = "0.1.0";

    /** Stateless actions get a connection of their own, as in RivetKit; it takes no events. */
    private static final ConnectionSink NO_EVENTS =
            new ConnectionSink() {
                @Override
                public void send(ActorEvent event) {}

                @Override
                public void close(String reason, @Nullable ActorError error) {}
            };

    private final Placement placement;
    private final WireValues values;
    private final ServerConfig config;
    private final ServerMetrics metrics;
    private final java.util.concurrent.atomic.AtomicBoolean draining;
    private final @Nullable Handler staticFiles;
    private final @Nullable ClusterView cluster;

    HttpRoutes(ServerContext server) {
        this.placement = server.placement();
        this.values = server.values();
        this.config = server.config();
        this.metrics = server.metrics();
        this.draining = server.draining();
        this.staticFiles = server.staticFiles();
        this.cluster = server.cluster();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        Guard.cors(request, response, config);
        try {
            if (method.equals("OPTIONS")) {
                Guard.preflight(response);
                response.setStatus(204);
                callback.succeeded();
                return true;
            }
            if (path.equals("/metadata") && method.equals("GET")) {
                writeJson(
                        response,
                        callback,
                        200,
                        values.json()
                                .createObjectNode()
                                .put("runtime", "rivetkit-java")
                                .put("version", VERSION));
            } else if (path.equals("/health")) {
                // 503 while actors' state saves fail (the store is full, read-only, locked...),
                // with the reason.
                dev.rivetkitjava.actor.RuntimeHealth health = placement.health();
                writeText(
                        response,
                        callback,
                        health.ok() ? 200 : 503,
                        health.ok() ? "ok" : health.reason());
            } else if (path.equals("/metrics") && method.equals("GET")) {
                Guard.admin(config, request);
                write(
                        response,
                        callback,
                        200,
                        "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(StandardCharsets.UTF_8));
            } else if (cluster != null
                    && method.equals("GET")
                    && (path.equals("/cluster") || path.startsWith(CLUSTER_ACTORS))) {
                Guard.token(config, request, null);
                Object body =
                        path.equals("/cluster")
                                ? Map.of("members", cluster.members())
                                : cluster.owner(
                                        GatewayTarget.decodePath(
                                                path.substring(CLUSTER_ACTORS.length())));
                writeJson(response, callback, 200, values.tree(body));
            } else if (path.equals("/actors")
                    || path.startsWith("/actors/")
                    || path.startsWith(GatewayUrl.PATH_PREFIX)) {
                if (draining.get()) {
                    throw Guard.serviceUnavailable();
                }
                if (path.startsWith(GatewayUrl.PATH_PREFIX)) {
                    gateway(request, response, callback, path, method);
                } else {
                    if (isAdminRoute(request, path, method)) {
                        Guard.admin(config, request);
                    } else {
                        Guard.token(config, request, null);
                    }
                    actorsApi(request, response, callback, path, method);
                }
            } else if (!serveStatic(request, response, callback, method)) {
                throw new ActorError("guard", "not_found", "No route `" + path + "`.");
            }
        } catch (ActorError e) {
            gatewayError(request, response, callback, e);
        } catch (ProtocolException e) {
            gatewayError(
                    request,
                    response,
                    callback,
                    new ActorError(
                            "actor",
                            "invalid_request",
                            // every ProtocolException is thrown with a message
                            Objects.requireNonNull(e.getMessage(), "message")));
        } catch (RuntimeException | IOException e) {
            log.error("{} {} failed", method, path, e);
            gatewayError(
                    request,
                    response,
                    callback,
                    new ActorError("rivetkit", "internal_error", "An internal error occurred"));
        }
        return true;
    }

    /**
     * The page's files (served while draining too: they need no actor). False when there is no such
     * file.
     */
    private boolean serveStatic(
            Request request, Response response, Callback callback, String method)
            throws IOException {
        if (staticFiles == null || !(method.equals("GET") || method.equals("HEAD"))) {
            return false;
        }
        try {
            return staticFiles.handle(request, response, callback);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    // ---------------------------------------------------------------- gateway

    private void gateway(
            Request request, Response response, Callback callback, String path, String method)
            throws IOException {
        GatewayTarget target =
                GatewayTarget.parse(
                        path, request.getHttpURI().getQuery(), values, config.maxQueryInputBytes());
        Guard.namespace(config, target.namespace());
        Guard.token(config, request, target.token());
        String actorPath = target.actorPath();
        if (actorPath.startsWith("/action/")) {
            if (!method.equals("POST")) {
                throw new ActorError(
                        "actor", "method_not_allowed", "Actions are called with POST.");
            }
            action(
                    request,
                    response,
                    callback,
                    target.query(),
                    GatewayTarget.decodePath(actorPath.substring("/action/".length())));
        } else if (actorPath.equals("/request") || actorPath.startsWith("/request/")) {
            raw(request, response, callback, target, actorPath.substring("/request".length()));
        } else {
            throw new ActorError(
                    "actor",
                    "not_found",
                    "Actor route '" + actorPath + "' was not found.",
                    Map.of("resource", "route"),
                    null);
        }
    }

    private void action(
            Request request, Response response, Callback callback, ActorQuery query, String name)
            throws IOException {
        Encoding encoding = Encoding.fromWireName(headerOr(request, "x-rivet-encoding", "json"));
        byte[] body = readBody(request);
        JsonNode args =
                body.length == 0
                        ? null
                        : ClientProtocol.decodeHttpActionRequest(encoding, body).args();
        JsonNode params =
                values.params(
                        request.getHeaders().get("x-rivet-conn-params"),
                        config.maxConnParamsBytes());
        Placement.ConnectionHandle conn = null;
        long start = System.nanoTime();
        boolean ok = false;
        try {
            conn = placement.connect(query, params, NO_EVENTS);
            // A retry with the same key (after an unknown outcome) gets the first call's outcome.
            String idempotencyKey = request.getHeaders().get("x-rivet-idempotency-key");
            Object result =
                    conn.invoke(new ActionCall(name, WireValues.arguments(args), idempotencyKey));
            actorHeaders(response, conn.actorId(), conn.generation(), conn.key());
            write(
                    response,
                    callback,
                    200,
                    encoding.contentType(),
                    ClientProtocol.encode(encoding, new HttpActionResponse(values.tree(result))));
            ok = true;
        } catch (ActorError e) {
            ActorSpecifier actor = conn != null ? specifier(conn) : actorOf(query, e);
            if (conn != null) {
                actorHeaders(response, conn.actorId(), conn.generation(), conn.key());
            }
            response.getHeaders().put("x-rivet-error", e.qualifiedCode());
            write(
                    response,
                    callback,
                    ErrorStatus.of(e),
                    encoding.contentType(),
                    ClientProtocol.encode(
                            encoding,
                            new HttpResponseError(
                                    e.group(), e.code(), e.message(), metadata(e), actor)));
        } finally {
            metrics.action(false, ok, start);
            if (conn != null) {
                conn.close();
            }
        }
    }

    /**
     * {@code handle.fetch(path)}: the request as it came, minus the gateway, to the actor's {@code
     * onRequest}.
     */
    private void raw(
            Request request,
            Response response,
            Callback callback,
            GatewayTarget target,
            String path)
            throws IOException {
        Map<String, List<String>> headers = new java.util.LinkedHashMap<>();
        for (HttpField field : request.getHeaders()) {
            headers.computeIfAbsent(
                            field.getName().toLowerCase(java.util.Locale.ROOT),
                            k -> new java.util.ArrayList<>())
                    .add(field.getValue());
        }
        RawResponse answer =
                placement.request(
                        target.query(),
                        new RawRequest(
                                request.getMethod(),
                                path.isEmpty() ? "/" : path,
                                target.actorQuery(),
                                headers,
                                readBody(request)));
        answer.headers().forEach((name, value) -> response.getHeaders().put(name, value));
        response.setStatus(answer.status());
        response.write(
                true,
                ByteBuffer.wrap(answer.body() == null ? new byte[0] : answer.body()),
                callback);
    }

    /**
     * For an error the actor raised before a connection existed (a connect hook refused): which
     * actor it was.
     */
    private @Nullable ActorSpecifier actorOf(ActorQuery query, ActorError error) {
        if (!error.group().equals("user") && !error.group().equals("rivetkit")) {
            return null;
        }
        ActorRecord record = placement.describe(new ActorQuery.ById(placement.resolve(query)));
        return new ActorSpecifier(record.id(), record.generation(), record.key().serialize());
    }

    static ActorSpecifier specifier(Placement.ConnectionHandle conn) {
        return new ActorSpecifier(conn.actorId(), conn.generation(), conn.key().serialize());
    }

    @Nullable JsonNode metadata(ActorError error) {
        return error.metadata().isEmpty() ? null : values.tree(error.metadata());
    }

    private static void actorHeaders(
            Response response, String actorId, long generation, ActorKey key) {
        response.getHeaders().put("x-rivet-actor", actorId);
        response.getHeaders().put("x-rivet-actor-generation", Long.toString(generation));
        response.getHeaders().put("x-rivet-actor-key", key.serialize());
    }

    // ---------------------------------------------------------------- actors API

    /**
     * The actors API routes that list or destroy actors: {@code GET /actors} by name alone (the
     * official client's lookups by name and key, or by ids, are not) and {@code DELETE
     * /actors/{id}}.
     */
    private static boolean isAdminRoute(Request request, String path, String method) {
        if (method.equals("DELETE")) {
            return path.startsWith("/actors/");
        }
        if (!method.equals("GET") || !path.equals("/actors")) {
            return false;
        }
        Fields query = Request.extractQueryParameters(request);
        return query.getValue("name") != null
                && query.getValue("key") == null
                && query.getValue("actor_ids") == null;
    }

    private void actorsApi(
            Request request, Response response, Callback callback, String path, String method)
            throws IOException {
        Fields query = Request.extractQueryParameters(request);
        Guard.namespace(
                config,
                query.getValue("namespace") == null ? "default" : query.getValue("namespace"));
        if (path.equals("/actors/names") && method.equals("GET")) {
            writeJson(
                    response,
                    callback,
                    200,
                    values.json()
                            .createObjectNode()
                            .<ObjectNode>set("names", namesJson())
                            .set("pagination", pagination()));
            return;
        }
        if (path.startsWith("/actors/") && method.equals("DELETE")) {
            placement.destroy(GatewayTarget.decodePath(path.substring("/actors/".length())));
            writeJson(response, callback, 200, values.json().createObjectNode());
            return;
        }
        if (!path.equals("/actors")) {
            throw new ActorError("guard", "not_found", "No route `" + path + "`.");
        }
        switch (method) {
            case "GET" -> {
                ArrayNode actors = values.json().createArrayNode();
                String ids = query.getValue("actor_ids");
                if (ids != null) {
                    for (String id : ids.split(",")) {
                        describe(new ActorQuery.ById(id), actors);
                    }
                } else if (query.getValue("name") != null && query.getValue("key") != null) {
                    describe(
                            new ActorQuery.Get(
                                    query.getValue("name"), ActorKey.parse(query.getValue("key"))),
                            actors);
                } else if (query.getValue("name") != null) {
                    placement
                            .list(query.getValue("name"), null, 100)
                            .forEach(r -> actors.add(actorJson(r)));
                }
                writeJson(
                        response,
                        callback,
                        200,
                        values.json()
                                .createObjectNode()
                                .<ObjectNode>set("actors", actors)
                                .set("pagination", pagination()));
            }
            case "PUT", "POST" -> {
                JsonNode body = values.json().readTree(readBody(request));
                String name = body.path("name").asText(null);
                if (name == null) {
                    throw new ActorError(
                            "actor", "invalid_request", "The request body needs a `name`.");
                }
                ActorKey key =
                        body.hasNonNull("key")
                                ? ActorKey.parse(body.get("key").asText())
                                : ActorKey.empty();
                JsonNode input =
                        body.hasNonNull("input")
                                ? values.decodeBase64Cbor(body.get("input").asText(), false)
                                : null;
                if (method.equals("POST")) {
                    ActorRecord created =
                            placement.describe(new ActorQuery.Create(name, key, input));
                    writeJson(
                            response,
                            callback,
                            200,
                            values.json().createObjectNode().set("actor", actorJson(created)));
                } else {
                    boolean existed = exists(new ActorQuery.Get(name, key));
                    ActorRecord record =
                            placement.describe(new ActorQuery.GetOrCreate(name, key, input));
                    writeJson(
                            response,
                            callback,
                            200,
                            values.json()
                                    .createObjectNode()
                                    .<ObjectNode>set("actor", actorJson(record))
                                    .put("created", !existed));
                }
            }
            default ->
                    throw new ActorError(
                            "actor",
                            "method_not_allowed",
                            "`" + method + " /actors` is not a route.");
        }
    }

    private boolean exists(ActorQuery query) {
        try {
            placement.resolve(query);
            return true;
        } catch (ActorError e) {
            if (e.qualifiedCode().equals("actor.not_found")) {
                return false;
            }
            throw e;
        }
    }

    private void describe(ActorQuery query, ArrayNode into) {
        if (exists(query)) {
            into.add(actorJson(placement.describe(query)));
        }
    }

    private ObjectNode namesJson() {
        ObjectNode names = values.json().createObjectNode();
        placement.actorNames().forEach(name -> names.putObject(name).putObject("metadata"));
        return names;
    }

    private ObjectNode pagination() {
        ObjectNode pagination = values.json().createObjectNode();
        pagination.putNull("cursor");
        return pagination;
    }

    /**
     * The engine's Actor shape; the timestamps the runtime does not track are its creation time or
     * null.
     */
    private ObjectNode actorJson(ActorRecord record) {
        ObjectNode actor =
                values.json()
                        .createObjectNode()
                        .put("actor_id", record.id())
                        .put("name", record.name())
                        .put("key", record.key().serialize())
                        .put("namespace_id", "default")
                        .put("datacenter", "default")
                        .put("runner_name_selector", "default")
                        .put("crash_policy", "sleep")
                        .put("create_ts", record.createdAtMillis())
                        .put("start_ts", record.createdAtMillis())
                        .put("connectable_ts", record.createdAtMillis());
        for (String field :
                List.of("pending_allocation_ts", "sleep_ts", "reschedule_ts", "destroy_ts")) {
            actor.putNull(field);
        }
        return actor;
    }

    // ---------------------------------------------------------------- plumbing

    private byte[] readBody(Request request) throws IOException {
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] body = in.readNBytes(config.maxHttpBodyBytes() + 1);
            if (body.length > config.maxHttpBodyBytes()) {
                throw new ActorError(
                        "message",
                        "incoming_too_long",
                        "The request body is larger than " + config.maxHttpBodyBytes() + " bytes.");
            }
            return body;
        }
    }

    private static String headerOr(Request request, String name, String fallback) {
        HttpField field = request.getHeaders().getField(name);
        return field == null ? fallback : field.getValue();
    }

    /**
     * Answers with a gateway-level error. Whatever body the request still has is read and dropped
     * first, so the connection stays usable for the client's next request (keep-alive).
     */
    private void gatewayError(
            Request request, Response response, Callback callback, ActorError error) {
        try (InputStream rest = Content.Source.asInputStream(request)) {
            byte[] sink = new byte[8192];
            long left = config.maxHttpBodyBytes();
            for (int n;
                    left > 0 && (n = rest.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
                left -= n; // past the limit Jetty closes the connection instead
            }
        } catch (IOException | RuntimeException e) {
            log.debug("could not drain the body of a refused request", e);
        }
        response.getHeaders().put("x-rivet-error", error.qualifiedCode());
        writeJson(response, callback, ErrorStatus.of(error), values.error(error));
    }

    private void writeJson(Response response, Callback callback, int status, JsonNode body) {
        write(response, callback, status, "application/json", values.bytes(body));
    }

    private static void writeText(Response response, Callback callback, int status, String text) {
        write(
                response,
                callback,
                status,
                "text/plain; charset=utf-8",
                text.getBytes(StandardCharsets.UTF_8));
    }

    private static void write(
            Response response, Callback callback, int status, String contentType, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
