package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.HttpActionRequest;
import dev.rivetkitjava.protocol.HttpResponseError;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.UrlText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of the client: the metadata lookup, the actors API ({@code PUT|POST|GET /actors})
 * and stateless actions through the gateway, with URLs built as RivetKit 2.3.19's client builds
 * them.
 */
final class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    static final String USER_AGENT = "rivetkit-java-client/0.1.0";

    /**
     * RivetKit's {@code maxInputSize}: larger inputs go in a {@code PUT /actors} body instead of
     * the URL.
     */
    static final int MAX_QUERY_INPUT_BYTES = 4096;

    /**
     * Where requests go once the metadata lookup has run (it may move them: {@code
     * clientEndpoint}).
     */
    record Settings(String endpoint, String namespace, @Nullable String token) {}

    private final HttpClient http;
    private final Wire wire;
    private final Settings configured;
    private final String pool;
    private final Encoding encoding;
    private final Duration timeout;
    private final ReentrantLock metadataLock = new ReentrantLock();
    private volatile @Nullable Settings settings;

    Engine(
            HttpClient http,
            Wire wire,
            Settings configured,
            String pool,
            Encoding encoding,
            Duration timeout) {
        this.http = http;
        this.wire = wire;
        this.configured = configured;
        this.pool = pool;
        this.encoding = encoding;
        this.timeout = timeout;
    }

    HttpClient http() {
        return http;
    }

    Encoding encoding() {
        return encoding;
    }

    // ---------------------------------------------------------------- metadata

    /**
     * {@code GET /metadata?namespace=…}, once per client (again after a failure); honours {@code
     * clientEndpoint}.
     */
    Settings settings() {
        Settings known = settings;
        if (known != null) {
            return known;
        }
        metadataLock.lock();
        try {
            if (settings == null) {
                settings = lookUpMetadata();
            }
            return settings;
        } finally {
            metadataLock.unlock();
        }
    }

    private Settings lookUpMetadata() {
        String url =
                configured.endpoint()
                        + "/metadata?namespace="
                        + UrlText.form(configured.namespace());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(url)).GET();
        bearer(request, configured.token());
        HttpResponse<byte[]> response = send(request, url, "GET");
        if (response.statusCode() != 200) {
            throw error(response, Encoding.JSON, "GET", url);
        }
        JsonNode metadata;
        try {
            metadata = wire.mapper().readTree(response.body());
        } catch (IOException e) {
            metadata = null; // any 200 will do, as for the JS client
        }
        Settings resolved = configured;
        if (metadata != null && metadata.hasNonNull("clientEndpoint")) {
            resolved =
                    new Settings(
                            trimSlash(metadata.get("clientEndpoint").asText()),
                            metadata.hasNonNull("clientNamespace")
                                    ? metadata.get("clientNamespace").asText()
                                    : configured.namespace(),
                            metadata.hasNonNull("clientToken")
                                    ? metadata.get("clientToken").asText()
                                    : configured.token());
            log.info("{} sends clients to {}", configured.endpoint(), resolved.endpoint());
        }
        log.debug(
                "connected to {} {} at {}",
                metadata == null ? "?" : metadata.path("runtime").asText("?"),
                metadata == null ? "?" : metadata.path("version").asText("?"),
                resolved.endpoint());
        return resolved;
    }

    // ---------------------------------------------------------------- actors API

    /**
     * Whether the query gateway can carry this target: RivetKit joins key components with commas,
     * and caps the input.
     */
    boolean queryable(Target.ByKey target) {
        for (String component : target.key()) {
            if (component.indexOf(',') >= 0) {
                return false;
            }
        }
        return target.input() == null
                || ClientProtocol.encodeCborValue(target.input()).length <= MAX_QUERY_INPUT_BYTES;
    }

    /**
     * The id of the actor a key names: {@code PUT /actors} (getOrCreate) or {@code GET
     * /actors?name&key} (get).
     */
    String resolve(Target.ByKey target) {
        Settings s = settings();
        String serializedKey = Wire.serializeKey(target.key());
        if (target.create()) {
            ObjectNode body =
                    wire.mapper()
                            .createObjectNode()
                            .put("name", target.name())
                            .put("key", serializedKey)
                            .put("runner_name_selector", pool)
                            .put("crash_policy", "sleep");
            if (target.input() != null) {
                body.put(
                        "input",
                        Base64.getEncoder()
                                .encodeToString(ClientProtocol.encodeCborValue(target.input())));
            }
            return actorId(api(s, "PUT", "/actors", body));
        }
        JsonNode actors =
                api(
                                s,
                                "GET",
                                "/actors?name="
                                        + UrlText.form(target.name())
                                        + "&key="
                                        + UrlText.form(serializedKey),
                                null)
                        .path("actors");
        if (!actors.isArray() || actors.isEmpty()) {
            throw new RivetError(
                    "actor", "not_found", "The actor does not exist or was destroyed.", null, null);
        }
        return actors.get(0).path("actor_id").asText();
    }

    /**
     * {@code POST /actors}: a new actor, or {@code actor.duplicate_key}. Rivet Engine 2.3.19 now
     * and then answers a taken key with {@code actor.destroyed_during_creation} instead (the new
     * actor loses the race for the key and is destroyed): then the key is looked up, and a live
     * actor holding it is reported as the duplicate it is.
     */
    String create(String name, List<String> key, @Nullable JsonNode input) {
        Settings s = settings();
        String serializedKey = Wire.serializeKey(key);
        ObjectNode body =
                wire.mapper()
                        .createObjectNode()
                        .put("name", name)
                        .put("runner_name_selector", pool)
                        .put("key", serializedKey);
        if (input != null) {
            body.put(
                    "input",
                    Base64.getEncoder().encodeToString(ClientProtocol.encodeCborValue(input)));
        }
        body.put("crash_policy", "sleep");
        for (int attempt = 1; ; attempt++) {
            try {
                return actorId(api(s, "POST", "/actors", body));
            } catch (RivetError e) {
                if (!e.qualifiedCode().equals("actor.destroyed_during_creation") || attempt >= 3) {
                    throw e;
                }
                for (JsonNode actor :
                        api(
                                        s,
                                        "GET",
                                        "/actors?name="
                                                + UrlText.form(name)
                                                + "&key="
                                                + UrlText.form(serializedKey),
                                        null)
                                .path("actors")) {
                    if (actor.path("destroy_ts").isNull()
                            || actor.path("destroy_ts").isMissingNode()) {
                        String existing = actor.path("actor_id").asText();
                        log.debug(
                                "creating {} {}: {}, and {} holds the key: a duplicate",
                                name,
                                serializedKey,
                                e.qualifiedCode(),
                                existing);
                        throw new RivetError(
                                "actor",
                                "duplicate_key",
                                "Actor key '"
                                        + serializedKey
                                        + "' already in use for actor '"
                                        + existing
                                        + "'",
                                wire.mapper()
                                        .createObjectNode()
                                        .put("existing_actor_id", existing)
                                        .put("key", serializedKey),
                                null);
                    }
                }
                log.debug(
                        "creating {} {}: {}; trying again", name, serializedKey, e.qualifiedCode());
            }
        }
    }

    private static String actorId(JsonNode answer) {
        JsonNode id = answer.path("actor").path("actor_id");
        if (!id.isTextual()) {
            throw new ClientError("the actors API answered without an actor id: " + answer);
        }
        return id.asText();
    }

    private JsonNode api(Settings s, String method, String pathAndQuery, @Nullable JsonNode body) {
        String url =
                s.endpoint()
                        + pathAndQuery
                        + (pathAndQuery.contains("?") ? "&" : "?")
                        + "namespace="
                        + UrlText.form(s.namespace());
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri(url)).header("content-type", "application/json");
        bearer(request, s.token());
        request.method(
                method,
                body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<byte[]> response = send(request, url, method);
        if (response.statusCode() / 100 != 2) {
            throw error(response, Encoding.JSON, method, url);
        }
        try {
            return wire.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new ClientError(
                    method + " " + redact(url) + " answered with malformed JSON: " + e.getMessage(),
                    e);
        }
    }

    // ---------------------------------------------------------------- gateway

    /** {@code POST …/action/{name}}: one stateless action; its output, or the error it raised. */
    JsonNode action(
            Settings s, Target route, @Nullable JsonNode params, String name, ArrayNode args) {
        String url = gatewayUrl(s, route, "/action/" + UrlText.component(name));
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri(url))
                        .header("x-rivet-encoding", encoding.wireName())
                        .header("content-type", encoding.contentType())
                        .POST(
                                HttpRequest.BodyPublishers.ofByteArray(
                                        ClientProtocol.encode(
                                                encoding, new HttpActionRequest(args))));
        if (params != null) {
            request.header("x-rivet-conn-params", wire.asciiJson(params));
        }
        if (s.token() != null) {
            request.header("x-rivet-token", s.token());
        }
        HttpResponse<byte[]> response = send(request, url, "POST");
        if (response.statusCode() != 200) {
            throw error(response, encoding, "POST", url);
        }
        try {
            return ClientProtocol.decodeHttpActionResponse(encoding, response.body()).output();
        } catch (ProtocolException e) {
            throw new ClientError(
                    "POST "
                            + redact(url)
                            + " answered with a malformed action response: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * The gateway URL of a path inside an actor: {@code /gateway/{name}{path}?rvt-…} for a key, as
     * RivetKit 2.3.19 orders the parameters, or {@code /gateway/{id}[@token]{path}} for an id.
     */
    String gatewayUrl(Settings s, Target route, String actorPath) {
        return switch (route) {
            case Target.ById id ->
                    GatewayUrl.direct(s.endpoint(), id.actorId(), s.token(), actorPath);
            case Target.ByKey key -> {
                GatewayUrl.Query url =
                        GatewayUrl.query(s.endpoint(), key.name(), actorPath)
                                .namespace(s.namespace())
                                .key(key.key())
                                .token(s.token());
                if (key.create()) {
                    url.getOrCreate(pool);
                    if (key.input() != null) {
                        url.input(ClientProtocol.encodeCborValue(key.input()));
                    }
                } else {
                    url.get();
                }
                yield url.build();
            }
        };
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Sends a request; a request that got not one byte back because the server had closed the
     * pooled connection it went on is sent once more, on a fresh connection (as OkHttp does):
     * java.net.http retries only GETs.
     */
    private HttpResponse<byte[]> send(HttpRequest.Builder request, String url, String method) {
        request.timeout(timeout).header("user-agent", USER_AGENT);
        HttpRequest built = request.build();
        for (int attempt = 1; ; attempt++) {
            try {
                return http.send(built, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                if (attempt == 1 && closedBeforeAnswering(e)) {
                    log.debug(
                            "{} {}: the connection was closed before any answer; sending again",
                            method,
                            redact(url));
                    continue;
                }
                throw new ClientError(method + " " + redact(url) + " failed: " + describe(e), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClientError(method + " " + redact(url) + " was interrupted", e);
            }
        }
    }

    /** An I/O failure in words: java.net.http leaves a refused connection without a message. */
    static String describe(Throwable e) {
        if (e instanceof java.net.ConnectException) {
            return "cannot connect ("
                    + e.getClass().getName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + ")";
        }
        return e.toString();
    }

    private static boolean closedBeforeAnswering(IOException e) {
        return e instanceof java.io.EOFException
                || (e.getMessage() != null
                        && e.getMessage().contains("header parser received no bytes"));
    }

    /**
     * A failed answer as the JS client reads it: a structured error in JSON when the content type
     * says so (the gateway's own errors), else in the request's encoding (the actor's); anything
     * else names the URL and status.
     */
    static ClientError error(
            HttpResponse<byte[]> response, Encoding requestEncoding, String method, String url) {
        String contentType = response.headers().firstValue("content-type").orElse("");
        Encoding encoding =
                contentType.contains("application/json") ? Encoding.JSON : requestEncoding;
        try {
            HttpResponseError e = ClientProtocol.decodeHttpResponseError(encoding, response.body());
            return new RivetError(
                    e.group(),
                    e.code(),
                    e.message(),
                    e.metadata(),
                    e.actor() != null
                            ? e.actor().actorId()
                            : response.headers().firstValue("x-rivet-actor").orElse(null));
        } catch (ProtocolException e) {
            String text = new String(response.body(), StandardCharsets.UTF_8);
            return new ClientError(
                    method
                            + " "
                            + redact(url)
                            + " answered "
                            + response.statusCode()
                            + (text.isBlank()
                                    ? ""
                                    : ": "
                                            + (text.length() > 500
                                                    ? text.substring(0, 500) + "…"
                                                    : text)));
        }
    }

    private static void bearer(HttpRequest.Builder request, @Nullable String token) {
        if (token != null) {
            request.header("authorization", "Bearer " + token);
        }
    }

    static URI uri(String url) {
        try {
            return URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a valid URL: " + redact(url), e);
        }
    }

    /** A URL fit for a log or an error message: tokens replaced by {@code ***}. */
    static String redact(String url) {
        return GatewayUrl.redact(url);
    }

    static String trimSlash(String endpoint) {
        return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }
}
