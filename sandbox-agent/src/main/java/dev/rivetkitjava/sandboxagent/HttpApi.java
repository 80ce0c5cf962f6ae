package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * The server's HTTP surface: base URL, bearer token, timeouts, and one way to turn failures into
 * SDK errors.
 */
final class HttpApi {

    private final HttpClient client;
    private final String baseUrl;
    private final @Nullable String token;
    private final Duration requestTimeout;

    HttpApi(HttpClient client, String baseUrl, @Nullable String token, Duration requestTimeout) {
        this.client = client;
        this.baseUrl = baseUrl;
        this.token = token;
        this.requestTimeout = requestTimeout;
    }

    String baseUrl() {
        return baseUrl;
    }

    Duration requestTimeout() {
        return requestTimeout;
    }

    HttpClient client() {
        return client;
    }

    /**
     * A request to {@code baseUrl + path} with the token, {@code Accept: application/json} and the
     * request timeout.
     */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder =
                HttpRequest.newBuilder(URI.create(baseUrl + path))
                        .timeout(requestTimeout)
                        .header("Accept", "application/json");
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    static HttpRequest.BodyPublisher jsonBody(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot serialise " + body, e);
        }
    }

    <T> T getJson(String path, Class<T> type) {
        return parse(send(request(path).GET().build()), type);
    }

    <T> T postJson(String path, Object body, Class<T> type) {
        return parse(
                send(
                        request(path)
                                .header("Content-Type", "application/json")
                                .POST(jsonBody(body))
                                .build()),
                type);
    }

    /**
     * Sends and returns any 2xx response; other statuses throw {@link #problem}. Bounded as a
     * whole: the request's timeout covers only the wait for the response's headers, so a body that
     * stalls after them is given up at twice that timeout.
     */
    HttpResponse<byte[]> send(HttpRequest request) {
        Duration bound = request.timeout().orElse(requestTimeout).multipliedBy(2);
        CompletableFuture<HttpResponse<byte[]>> sending = sendAsync(request);
        try {
            HttpResponse<byte[]> response = sending.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            if (response.statusCode() / 100 != 2) {
                throw problem(response.statusCode(), response.body());
            }
            return response;
        } catch (ExecutionException e) {
            // the ExecutionException of a failed CompletableFuture always carries its cause
            throw failure(Objects.requireNonNull(e.getCause()), request);
        } catch (TimeoutException e) {
            sending.cancel(true);
            throw new SandboxAgentTimeoutException(
                    describe(request)
                            + " to sandbox-agent at "
                            + baseUrl
                            + " got no complete answer within "
                            + bound);
        } catch (InterruptedException e) {
            sending.cancel(true);
            Thread.currentThread().interrupt();
            throw new SandboxAgentException("interrupted during " + describe(request), e);
        }
    }

    CompletableFuture<HttpResponse<byte[]>> sendAsync(HttpRequest request) {
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private <T> T parse(HttpResponse<byte[]> response, Class<T> type) {
        try {
            return Json.MAPPER.readValue(response.body(), type);
        } catch (IOException e) {
            throw new SandboxAgentException(
                    "sandbox-agent at "
                            + baseUrl
                            + " answered "
                            + response.request().uri()
                            + " with a body that is not the expected JSON: "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * The SDK error for a non-2xx answer: problem+json parsed when it is JSON, the text kept when
     * it is not.
     */
    HttpProblemException problem(int status, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        JsonNode json = null;
        try {
            JsonNode parsed = Json.MAPPER.readTree(body);
            if (parsed != null && parsed.isObject()) {
                json = parsed;
            }
        } catch (IOException e) {
            // a text/plain body (axum's own rejections): kept as the detail
        }
        String type = json == null ? null : json.path("type").asText(null);
        String title = json == null ? null : json.path("title").asText(null);
        String detail = json == null ? text.strip() : json.path("detail").asText(null);
        if (status == 401) {
            return new AuthenticationException(
                    "sandbox-agent at "
                            + baseUrl
                            + " rejected the request (401 token_invalid): the token is missing or wrong; pass the server's"
                            + " --token with SandboxAgent.builder(url).token(...)",
                    type,
                    title,
                    detail,
                    json);
        }
        String what = title != null ? title : "HTTP " + status;
        return new HttpProblemException(
                "sandbox-agent at "
                        + baseUrl
                        + ": "
                        + what
                        + " ("
                        + status
                        + ")"
                        + (detail == null || detail.isEmpty() ? "" : ": " + detail),
                status,
                type,
                title,
                detail,
                json);
    }

    /**
     * An I/O failure as an SDK error: a timeout, or an unreachable server (the message names the
     * URL).
     */
    SandboxAgentException failure(Throwable error, HttpRequest request) {
        Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
        if (cause instanceof SandboxAgentException known) {
            return known;
        }
        if (cause instanceof HttpTimeoutException
                && !(cause instanceof HttpConnectTimeoutException)) {
            return new SandboxAgentTimeoutException(
                    describe(request)
                            + " to sandbox-agent at "
                            + baseUrl
                            + " timed out after "
                            + request.timeout().map(Duration::toString).orElse("its timeout"));
        }
        if (cause instanceof CancellationException) {
            return new SandboxAgentException(describe(request) + " was cancelled", cause);
        }
        String reason =
                cause instanceof ConnectException
                        ? "connection refused"
                        : cause instanceof HttpConnectTimeoutException
                                ? "connect timed out"
                                : String.valueOf(cause.getMessage());
        return new ServerUnreachableException(
                "cannot reach sandbox-agent at "
                        + baseUrl
                        + " ("
                        + describe(request)
                        + ": "
                        + reason
                        + ")",
                cause);
    }

    private static String describe(HttpRequest request) {
        return request.method() + " " + request.uri().getRawPath();
    }
}
