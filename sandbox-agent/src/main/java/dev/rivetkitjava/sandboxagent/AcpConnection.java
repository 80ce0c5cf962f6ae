package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ACP server on the Sandbox Agent server ({@code /v1/acp/{serverId}}, one agent process):
 * JSON-RPC sent by POST, everything the agent says received on an SSE stream read by one virtual
 * thread, which reconnects with {@code Last-Event-ID} and backs off. Responses come both in the
 * POST body and on the stream and are delivered once. A connection is <em>lost</em> for good when
 * the server no longer knows it (404, a restart), the agent process exited, or the agent's stdin
 * broke (502); the SDK then starts a new one.
 */
final class AcpConnection {

    private static final Logger log = LoggerFactory.getLogger(AcpConnection.class);

    /**
     * Longer than the server's 15 s heartbeat: a stream silent for this long is dead and reopened.
     */
    static final Duration STREAM_READ_TIMEOUT = Duration.ofSeconds(45);

    /**
     * A response read from the POST body waits for its copy on the stream while the stream is busy
     * or reconnecting (the messages before it are still to come), so events keep the agent's order;
     * once the stream has been open and silent this long it is delivered from the POST body.
     */
    private static final Duration POST_RESPONSE_GRACE = Duration.ofMillis(250);

    /**
     * The longest a response read from the POST body waits for a stream that does not come back.
     */
    private static final Duration POST_RESPONSE_MAX_WAIT = Duration.ofSeconds(5);

    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(2);
    private static final long FIRST_BACKOFF_MILLIS = 150;
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    private static final int ANSWERED_IDS_KEPT = 2048;

    /** The longest a silent server gets to answer a health probe. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Two of the server's 15 s heartbeats: a server silent this long is probed, and hung if the
     * probe fails.
     */
    static final Duration SERVER_SILENCE_TIMEOUT = Duration.ofSeconds(30);

    /** Receives what the agent says, on the stream's thread, in stream order. Must not block. */
    interface Inbound {
        void message(AcpConnection connection, JsonRpcMessage message);

        /** The stream skipped ids (the server keeps only its last 1 024 messages). */
        void eventsDropped(AcpConnection connection, long afterEventId, long firstEventId);

        /**
         * Called on the stream's thread before each message: waits while the SDK cannot take more
         * (back-pressure: the stream is not read meanwhile, so the server buffers and, past its
         * buffer, reports what it dropped).
         */
        default void awaitCapacity() {}
    }

    private final HttpApi api;
    private final String agent;
    private final String serverId;
    private final String connectionId = UUID.randomUUID().toString();
    private final ScheduledExecutorService timer;
    private final int maxMessageBytes;
    private final Duration streamReadTimeout;
    private final Duration serverSilenceTimeout;
    private final Inbound inbound;

    private final AtomicLong nextRequestId = new AtomicLong();
    private final Map<String, CompletableFuture<JsonRpcMessage.Response>> pending =
            new ConcurrentHashMap<>();
    private final Set<String> answered =
            Collections.newSetFromMap(
                    new LinkedHashMap<>() {
                        @Override
                        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                            return size() > ANSWERED_IDS_KEPT;
                        }
                    });
    private final Object deliverLock = new Object();
    private long lastEventId; // guarded by deliverLock

    private final AtomicLong streamsOpened = new AtomicLong();
    private volatile boolean posted;
    private volatile boolean closed;
    private volatile @Nullable SandboxAgentException lost;
    private volatile boolean streamOpen;
    private volatile @Nullable InputStream stream;
    private volatile long lastReadNanos;
    private volatile long lastMessageNanos;

    /**
     * When the server last said anything: stream bytes (heartbeats too), a POST answer, a health
     * probe.
     */
    private volatile long lastHeardNanos = System.nanoTime();

    private final AtomicLong silenceProbes = new AtomicLong();
    private volatile @Nullable Thread streamThread;
    private volatile boolean awaitingCapacity;
    private @Nullable ScheduledFuture<?> watchdog;

    AcpConnection(
            HttpApi api,
            String agent,
            ScheduledExecutorService timer,
            int maxMessageBytes,
            Duration streamReadTimeout,
            Duration serverSilenceTimeout,
            Inbound inbound) {
        this.api = api;
        this.agent = agent;
        this.serverId = "sdk-" + agent + "-" + UUID.randomUUID();
        this.timer = timer;
        this.maxMessageBytes = maxMessageBytes;
        this.streamReadTimeout = streamReadTimeout;
        this.serverSilenceTimeout = serverSilenceTimeout;
        this.inbound = inbound;
    }

    String agent() {
        return agent;
    }

    String serverId() {
        return serverId;
    }

    String connectionId() {
        return connectionId;
    }

    /** How many times the event stream was opened (reconnects included). */
    long streamsOpened() {
        return streamsOpened.get();
    }

    /**
     * How many times a call found the server silent and asked {@code /v1/health} whether it is
     * alive. For tests.
     */
    long silenceProbes() {
        return silenceProbes.get();
    }

    long nextRequestId() {
        return nextRequestId.getAndIncrement();
    }

    /** Why this connection can no longer be used, or null while it can. */
    @Nullable SandboxAgentException lostCause() {
        return closed ? new SandboxAgentException("the SDK was disposed") : lost;
    }

    /**
     * Sends a request and waits for its answer, at most {@code timeout}, and fails sooner when the
     * server stops answering (see {@link #checkServerAnswers}) or when {@code abort} (or null)
     * completes exceptionally.
     *
     * @return the result
     * @throws AcpRpcException when the agent answers with an error
     * @throws SandboxAgentTimeoutException when the timeout passes, or the server is silent and
     *     does not answer a health probe (the connection is then lost, and the SDK's next call
     *     starts a new one)
     */
    JsonNode call(ObjectNode request, Duration timeout, @Nullable CompletableFuture<?> abort) {
        failIfLost();
        String method = request.path("method").asText();
        String key = JsonRpcMessage.idKey(request.get("id"));
        CompletableFuture<JsonRpcMessage.Response> answer = new CompletableFuture<>();
        pending.put(key, answer);
        HttpRequest post = post(request, timeout.plusSeconds(1));
        CompletableFuture<HttpResponse<byte[]>> http = api.sendAsync(post);
        if (abort != null) {
            abort.whenComplete(
                    (ignored, error) -> {
                        if (error != null) {
                            answer.completeExceptionally(
                                    error instanceof CompletionException && error.getCause() != null
                                            ? error.getCause()
                                            : error);
                        }
                    });
        }
        long started = System.nanoTime();
        http.whenComplete(
                (response, error) -> {
                    if (error == null) {
                        lastHeardNanos = System.nanoTime();
                    }
                    if (error != null) {
                        answer.completeExceptionally(api.failure(error, post));
                    } else if (response.statusCode() / 100 != 2) {
                        answer.completeExceptionally(
                                noteLost(api.problem(response.statusCode(), response.body())));
                    } else if (response.statusCode() == 200 && response.body().length > 0) {
                        onPostBody(response.body(), answer);
                    }
                });
        if (streamThread == null) {
            // the stream is opened once the server exists, i.e. after the first POST was answered
            http.whenComplete(
                    (response, error) -> {
                        if (error == null && response.statusCode() / 100 == 2) {
                            startStream();
                        }
                    });
        }
        try {
            JsonRpcMessage.Response response = await(answer, method, started, timeout);
            if (response.error() != null) {
                JsonNode error = response.error();
                throw new AcpRpcException(
                        error.path("code").asInt(),
                        error.path("message").asText(""),
                        error.get("data"));
            }
            return response.result();
        } catch (TimeoutException e) {
            http.cancel(true);
            throw new SandboxAgentTimeoutException(
                    method + " got no answer from agent '" + agent + "' within " + timeout);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof SandboxAgentException known
                    ? known
                    : new SandboxAgentException(method + " failed", e.getCause());
        } catch (InterruptedException e) {
            http.cancel(true);
            Thread.currentThread().interrupt();
            throw new SandboxAgentException("interrupted while waiting for " + method, e);
        } finally {
            pending.remove(key);
        }
    }

    /** Waits for the answer in slices, checking between them that the server still answers. */
    private JsonRpcMessage.Response await(
            CompletableFuture<JsonRpcMessage.Response> answer,
            String method,
            long started,
            Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = started + timeout.toNanos();
        long slice =
                Math.max(TimeUnit.MILLISECONDS.toNanos(50), serverSilenceTimeout.toNanos() / 4);
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new TimeoutException();
            }
            try {
                return answer.get(Math.min(remaining, slice), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                checkServerAnswers(method, started);
            }
        }
    }

    /**
     * A server that sent nothing (no message, no heartbeat: it sends one every 15 s on the stream)
     * for {@code serverSilenceTimeout} is asked {@code GET /v1/health}; one that does not answer
     * that either is hung (stopped, or cut off from us): the connection is lost with a {@link
     * SandboxAgentTimeoutException}.
     */
    private void checkServerAnswers(String method, long started) {
        long now = System.nanoTime();
        long silentNanos = now - Math.max(lastHeardNanos, started);
        if (silentNanos < serverSilenceTimeout.toNanos() || lost != null || closed) {
            return;
        }
        silenceProbes.incrementAndGet();
        Duration probeTimeout =
                serverSilenceTimeout.compareTo(MAX_PROBE_TIMEOUT) < 0
                        ? serverSilenceTimeout
                        : MAX_PROBE_TIMEOUT;
        try {
            api.send(api.request("/v1/health").timeout(probeTimeout).GET().build());
            lastHeardNanos = System.nanoTime();
            return;
        } catch (HttpProblemException answered) {
            lastHeardNanos = System.nanoTime(); // it answered, if not with ok: alive
            return;
        } catch (SandboxAgentException e) {
            SandboxAgentTimeoutException hung =
                    new SandboxAgentTimeoutException(
                            "sandbox-agent at "
                                    + api.baseUrl()
                                    + " stopped answering: nothing from it for "
                                    + TimeUnit.NANOSECONDS.toMillis(silentNanos)
                                    + " ms while waiting for "
                                    + method
                                    + " of agent '"
                                    + agent
                                    + "' (its event stream heartbeats every"
                                    + " 15 s), and GET /v1/health got no answer within "
                                    + probeTimeout.toMillis()
                                    + " ms ("
                                    + e.getMessage()
                                    + "): the server is hung, stopped or cut off from this client");
            markLost(hung);
            throw hung;
        }
    }

    /** Sends a notification or a response to an agent's request (answered 202). */
    void send(ObjectNode message) {
        failIfLost();
        HttpRequest post = post(message, api.requestTimeout());
        try {
            api.send(post);
        } catch (HttpProblemException e) {
            throw noteLost(e);
        }
    }

    private HttpRequest post(ObjectNode message, Duration timeout) {
        String path =
                path()
                        + (posted
                                ? ""
                                : "?agent=" + URLEncoder.encode(agent, StandardCharsets.UTF_8));
        posted = true;
        return api.request(path)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpApi.jsonBody(message))
                .build();
    }

    private String path() {
        return "/v1/acp/" + URLEncoder.encode(serverId, StandardCharsets.UTF_8);
    }

    private void failIfLost() {
        SandboxAgentException cause = lostCause();
        if (cause != null) {
            throw cause;
        }
    }

    /**
     * A 404 or 400 "missing agent" (the server forgot this ACP server) or 502 (the agent's stdin
     * broke) is final.
     */
    private HttpProblemException noteLost(HttpProblemException problem) {
        boolean forgotten =
                problem.status() == 404
                        || problem.status() == 400
                                && String.valueOf(problem.detail())
                                        .contains("missing required 'agent'");
        if (forgotten || problem.status() == 502) {
            markLost(problem);
        }
        return problem;
    }

    void markLost(SandboxAgentException cause) {
        if (lost == null) {
            lost = cause;
            log.debug("ACP server {} lost: {}", serverId, cause.getMessage());
        }
        pending.values().forEach(answer -> answer.completeExceptionally(cause));
        stopStream();
    }

    private void onPostBody(byte[] body, CompletableFuture<JsonRpcMessage.Response> answer) {
        JsonRpcMessage message;
        try {
            message = JsonRpcMessage.parse(Json.MAPPER.readTree(body));
        } catch (IOException | IllegalArgumentException e) {
            answer.completeExceptionally(
                    new SandboxAgentException(
                            "agent '"
                                    + agent
                                    + "' answered with a body that is not a JSON-RPC response: "
                                    + e.getMessage(),
                            e));
            return;
        }
        if (!(message instanceof JsonRpcMessage.Response response)) {
            answer.completeExceptionally(
                    new SandboxAgentException(
                            "agent '"
                                    + agent
                                    + "' answered with a JSON-RPC message that is not a response: "
                                    + message.envelope()));
            return;
        }
        if (streamThread == null) {
            deliverResponse(response); // nothing came before it: the first request opens the stream
        } else {
            long deadline = System.nanoTime() + POST_RESPONSE_MAX_WAIT.toNanos();
            timer.schedule(
                    () -> deliverWhenStreamQuiet(response, deadline),
                    POST_RESPONSE_GRACE.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
    }

    private void deliverWhenStreamQuiet(JsonRpcMessage.Response response, long deadline) {
        boolean answeredAlready;
        synchronized (deliverLock) {
            answeredAlready = answered.contains(JsonRpcMessage.idKey(response.id()));
        }
        if (answeredAlready) {
            return;
        }
        long now = System.nanoTime();
        boolean streamBusy = !streamOpen || now - lastMessageNanos < POST_RESPONSE_GRACE.toNanos();
        if (streamBusy && now < deadline && lost == null && !closed) {
            timer.schedule(
                    () -> deliverWhenStreamQuiet(response, deadline),
                    POST_RESPONSE_GRACE.toMillis(),
                    TimeUnit.MILLISECONDS);
        } else {
            deliverResponse(response);
        }
    }

    private void deliverResponse(JsonRpcMessage.Response response) {
        String key = JsonRpcMessage.idKey(response.id());
        CompletableFuture<JsonRpcMessage.Response> answer;
        synchronized (deliverLock) {
            if (!answered.add(key)) {
                return;
            }
            inbound.message(this, response);
            answer = pending.get(key);
        }
        if (answer != null) {
            answer.complete(response);
        }
    }

    private synchronized void startStream() {
        if (streamThread == null && !closed && lost == null) {
            streamThread =
                    Thread.ofVirtual()
                            .name("sandbox-agent-sse-" + serverId)
                            .start(this::readStream);
            long period = Math.max(1, streamReadTimeout.toMillis() / 3);
            watchdog =
                    timer.scheduleAtFixedRate(
                            this::checkStreamAlive, period, period, TimeUnit.MILLISECONDS);
        }
    }

    private void readStream() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (!closed && lost == null) {
            HttpRequest.Builder get =
                    api.request(path()).header("Accept", "text/event-stream").GET();
            synchronized (deliverLock) {
                if (lastEventId > 0) {
                    get.header("Last-Event-ID", Long.toString(lastEventId));
                }
            }
            try {
                HttpResponse<InputStream> response =
                        api.client().send(get.build(), HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream body = new ActivityStream(response.body())) {
                    if (response.statusCode() == 200) {
                        stream = body;
                        lastReadNanos = System.nanoTime();
                        // A reopened stream is about to replay what was missed.
                        lastMessageNanos = lastReadNanos;
                        streamOpen = true;
                        streamsOpened.incrementAndGet();
                        backoff = FIRST_BACKOFF_MILLIS;
                        new SseParser(body, maxMessageBytes).run(this::onStreamEvent);
                        log.debug("stream of {} ended; reconnecting", serverId);
                    } else {
                        HttpProblemException problem =
                                api.problem(response.statusCode(), body.readAllBytes());
                        if (response.statusCode() == 404 || response.statusCode() == 401) {
                            markLost(problem); // the server no longer knows this ACP server:
                            // retrying would spin
                            return;
                        }
                        log.warn(
                                "stream of {} refused: {}; retrying in {} ms",
                                serverId,
                                problem.getMessage(),
                                backoff);
                    }
                } finally {
                    streamOpen = false;
                    stream = null;
                }
            } catch (IOException e) {
                if (closed || lost != null) {
                    return;
                }
                log.debug(
                        "stream of {} broke ({}); reconnecting in {} ms",
                        serverId,
                        e.toString(),
                        backoff);
            } catch (InterruptedException e) {
                // close() and markLost() interrupt after setting their flag, checked below
            }
            if (closed || lost != null) {
                return;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                // as above
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    private void onStreamEvent(SseEvent event) {
        awaitingCapacity = true;
        try {
            inbound.awaitCapacity();
        } finally {
            awaitingCapacity = false;
            lastReadNanos = System.nanoTime(); // the wait was ours, not the server's silence
        }
        lastMessageNanos = System.nanoTime();
        synchronized (deliverLock) {
            if (event.id() != null) {
                long id;
                try {
                    id = Long.parseLong(event.id());
                } catch (NumberFormatException e) {
                    log.warn(
                            "skipped a stream event of {} with a non-numeric id '{}'",
                            serverId,
                            event.id());
                    return;
                }
                if (id <= lastEventId) {
                    log.debug("skipped stream event {} of {}: already seen", id, serverId);
                    return;
                }
                if (id > lastEventId + 1) {
                    log.warn(
                            "stream of {} skipped events {}..{}: the server dropped them",
                            serverId,
                            lastEventId + 1,
                            id - 1);
                    inbound.eventsDropped(this, lastEventId, id);
                }
                lastEventId = id;
            }
            String data = event.data();
            if (event.oversized() || data == null) { // an oversized event's data is dropped
                log.warn(
                        "skipped stream event {} of {}: larger than {} bytes",
                        event.id(),
                        serverId,
                        maxMessageBytes);
                return;
            }
            if (!"message".equals(event.type())) {
                log.debug("skipped a '{}' stream event of {}", event.type(), serverId);
                return;
            }
            JsonRpcMessage message;
            try {
                message = JsonRpcMessage.parse(Json.MAPPER.readTree(data));
            } catch (IOException | IllegalArgumentException e) {
                log.warn(
                        "skipped stream event {} of {}: not a JSON-RPC message ({}): {}",
                        event.id(),
                        serverId,
                        e.getMessage(),
                        abbreviate(data));
                return;
            }
            switch (message) {
                case JsonRpcMessage.Response response -> deliverResponse(response);
                case JsonRpcMessage.Notification notification
                        when "_adapter/agent_exited".equals(notification.method()) -> {
                    inbound.message(this, notification);
                    JsonNode code = notification.params().get("code");
                    markLost(
                            new AgentExitedException(
                                    agent,
                                    code != null && code.canConvertToInt() ? code.asInt() : null));
                }
                default -> inbound.message(this, message);
            }
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "…";
    }

    private void checkStreamAlive() {
        InputStream current = stream;
        if (current != null
                && !awaitingCapacity
                && System.nanoTime() - lastReadNanos > streamReadTimeout.toNanos()) {
            log.warn("stream of {} silent for over {}: reopening it", serverId, streamReadTimeout);
            closeQuietly(current); // the blocked read then fails and the reader reconnects
        }
    }

    private void stopStream() {
        Thread reader = streamThread;
        if (reader != null) {
            reader.interrupt();
        }
        InputStream current = stream;
        if (current != null) {
            closeQuietly(current);
        }
        ScheduledFuture<?> check = watchdog;
        if (check != null) {
            check.cancel(false);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // closing a broken stream: nothing left to do
        }
    }

    /**
     * Fails waiting calls, stops the stream and deletes the ACP server (the server never answers
     * that DELETE).
     */
    void close() {
        closed = true;
        SandboxAgentException disposed = new SandboxAgentException("the SDK was disposed");
        pending.values().forEach(answer -> answer.completeExceptionally(disposed));
        stopStream();
        if (!posted) {
            return;
        }
        try {
            api.send(api.request(path()).timeout(DELETE_TIMEOUT).DELETE().build());
        } catch (SandboxAgentTimeoutException | ServerUnreachableException e) {
            // Expected: the DELETE is not answered, although the server removes the ACP server
            // at once.
        } catch (HttpProblemException e) {
            if (e.status() != 404) {
                log.debug("DELETE of ACP server {}: {}", serverId, e.getMessage());
            }
        }
    }

    /** Notes when the stream last delivered bytes, for the read-timeout watchdog. */
    private final class ActivityStream extends FilterInputStream {
        ActivityStream(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            lastReadNanos = System.nanoTime();
            lastHeardNanos = lastReadNanos;
            return n;
        }
    }
}
