package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.sandboxagent.SessionRestorer.Binding;
import dev.rivetkitjava.sandboxagent.persist.InMemorySessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of one Sandbox Agent server: the Java twin of npm {@code sandbox-agent@0.4.2}'s {@code
 * SandboxAgent}. Sessions live on the client side, in a {@link SessionPersistDriver}; the SDK runs
 * one ACP server per agent on the server and restores sessions there when it lost them.
 * Thread-safe; {@link #dispose()} when done.
 *
 * <pre>{@code
 * try (SandboxAgent sdk = SandboxAgent.connect("http://127.0.0.1:2468")) {
 *     Session session = sdk.createSession(SessionCreateRequest.of("codex"));
 *     session.onEvent(event -> System.out.println(event.payload()));
 *     System.out.println(session.prompt("Summarise README.md").stopReason());
 * }
 * }</pre>
 */
public final class SandboxAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxAgent.class);
    private static final int ACP_PROTOCOL_VERSION = 1;

    private final HttpApi api;
    private final SessionPersistDriver persist;
    private final Duration promptTimeout;
    private final int maxMessageBytes;
    private final Duration streamReadTimeout;
    private final Duration serverSilenceTimeout;
    private final EventPipeline.Options pipelineOptions;
    private final Duration disposeTimeout;
    private final @Nullable SandboxAgentServer ownedServer;
    private final ExecutorService httpExecutor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient httpClient;
    private final ScheduledExecutorService timer =
            Executors.newSingleThreadScheduledExecutor(
                    runnable -> {
                        Thread thread = new Thread(runnable, "sandbox-agent-timer");
                        thread.setDaemon(true);
                        return thread;
                    });

    private final Map<String, AgentConnection> liveByAgent = new HashMap<>(); // guarded by itself
    private final Map<String, EventPipeline> pipelines = new ConcurrentHashMap<>();
    private final SessionListeners<SessionEvent> eventListeners = new SessionListeners<>("event");
    private final SessionListeners<SandboxAgentException> errorListeners =
            new SessionListeners<>("error");
    private final PermissionBroker permissions = new PermissionBroker();
    private final SessionRestorer.Sessions sessions =
            new SessionRestorer.Sessions() {
                @Override
                public EventPipeline pipeline(String sessionId) {
                    return SandboxAgent.this.pipeline(sessionId);
                }

                @Override
                public @Nullable EventPipeline existingPipeline(String sessionId) {
                    return pipelines.get(sessionId);
                }

                @Override
                public SessionRecord updateRecord(
                        String sessionId, UnaryOperator<SessionRecord> change) {
                    return SandboxAgent.this.updateRecord(sessionId, change);
                }

                @Override
                public SessionRecord record(String sessionId) {
                    return SandboxAgent.this.record(sessionId);
                }

                @Override
                public @Nullable AgentConnection currentConnection(String agent) {
                    synchronized (liveByAgent) {
                        return liveByAgent.get(agent);
                    }
                }

                @Override
                public AgentConnection connection(String agent) {
                    return live(agent);
                }
            };
    private final SessionRestorer restorer;

    /**
     * Serialises read-modify-writes of records; never held while waiting, so event listeners may
     * take it.
     */
    private final Object recordWrites = new Object();

    private volatile boolean disposed;

    private SandboxAgent(Builder builder, @Nullable SandboxAgentServer ownedServer) {
        this.httpClient =
                HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .executor(httpExecutor)
                        .connectTimeout(
                                builder.requestTimeout.compareTo(Duration.ofSeconds(10)) < 0
                                        ? builder.requestTimeout
                                        : Duration.ofSeconds(10))
                        .build();
        this.api = new HttpApi(httpClient, builder.baseUrl, builder.token, builder.requestTimeout);
        this.persist = new GuardedPersistDriver(builder.persist);
        this.promptTimeout = builder.promptTimeout;
        this.maxMessageBytes = builder.maxMessageBytes;
        this.streamReadTimeout = builder.streamReadTimeout;
        this.serverSilenceTimeout = builder.serverSilenceTimeout;
        this.pipelineOptions =
                new EventPipeline.Options(
                        builder.persistRetryTimeout, builder.maxQueuedEvents, builder.flushTimeout);
        this.disposeTimeout = builder.disposeTimeout;
        this.ownedServer = ownedServer;
        this.restorer =
                new SessionRestorer(
                        sessions,
                        persist,
                        builder.requestTimeout,
                        builder.replayMaxEvents,
                        builder.replayMaxChars);
    }

    /** Connects with the defaults and waits (at most 30 s) until the server is healthy. */
    public static SandboxAgent connect(String baseUrl) {
        return builder(baseUrl).build();
    }

    public static Builder builder(String baseUrl) {
        return new Builder(baseUrl);
    }

    /**
     * Starts a server (see {@link SandboxAgentServer}) and connects to it; disposing the SDK stops
     * the server.
     */
    public static SandboxAgent start(SandboxAgentServer.Builder server) {
        return start(server, UnaryOperator.identity());
    }

    /**
     * As {@link #start(SandboxAgentServer.Builder)}, with SDK options (the URL and token come from
     * the server).
     */
    public static SandboxAgent start(
            SandboxAgentServer.Builder server, UnaryOperator<Builder> options) {
        SandboxAgentServer started = server.start();
        try {
            Builder builder = options.apply(builder(started.baseUrl()).token(started.token()));
            SandboxAgent sdk = new SandboxAgent(builder, started);
            sdk.awaitHealth(builder.healthTimeout);
            return sdk;
        } catch (RuntimeException e) {
            started.stop();
            throw e;
        }
    }

    public String baseUrl() {
        return api.baseUrl();
    }

    // ---------------------------------------------------------------------------------------------- REST

    public Health health() {
        return api.getJson("/v1/health", Health.class);
    }

    public List<AgentInfo> listAgents() {
        return List.of(api.getJson("/v1/agents", AgentList.class).agents());
    }

    private record AgentList(AgentInfo[] agents) {}

    /** One agent; with {@code config}, its version, path and config options too. */
    public AgentInfo getAgent(String agent, boolean config) {
        return api.getJson(
                "/v1/agents/" + encode(agent) + (config ? "?config=true" : ""), AgentInfo.class);
    }

    public AgentInstallResult installAgent(String agent, AgentInstallRequest request) {
        return api.postJson(
                "/v1/agents/" + encode(agent) + "/install", request, AgentInstallResult.class);
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private void awaitHealth(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long backoff = 50;
        SandboxAgentException last;
        while (true) {
            try {
                Health health = health();
                if ("ok".equals(health.status())) {
                    return;
                }
                last =
                        new SandboxAgentException(
                                "sandbox-agent at "
                                        + baseUrl()
                                        + " reports status "
                                        + health.status());
            } catch (AuthenticationException e) {
                throw e;
            } catch (SandboxAgentException e) {
                last = e;
            }
            if (System.nanoTime() + backoff * 1_000_000 > deadline) {
                break;
            }
            sleep(backoff);
            backoff = Math.min(backoff * 2, 1_000);
        }
        dispose();
        if (last instanceof ServerUnreachableException) {
            throw new ServerUnreachableException(
                    "cannot reach sandbox-agent at "
                            + baseUrl()
                            + ": not healthy within "
                            + timeout
                            + " ("
                            + last.getMessage()
                            + ")",
                    last);
        }
        throw new SandboxAgentTimeoutException(
                "sandbox-agent at "
                        + baseUrl()
                        + " not healthy within "
                        + timeout
                        + ": "
                        + last.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxAgentException("interrupted", e);
        }
    }

    // ---------------------------------------------------------------------------------------------- sessions

    /**
     * Creates a session: an ACP {@code session/new} on the agent's ACP server, then the record
     * persisted.
     *
     * @throws SandboxAgentException "agent returned no sessionId" for an agent that is not an ACP
     *     agent (the builtin {@code mock})
     */
    public Session createSession(SessionCreateRequest request) {
        String id =
                request.id() == null || request.id().isBlank()
                        ? UUID.randomUUID().toString()
                        : request.id().trim();
        ReentrantLock lock = restorer.lock(id);
        try {
            if (persist.getSession(id).isPresent()) {
                throw new SandboxAgentException(
                        "session '" + id + "' already exists: resume it instead");
            }
            ObjectNode sessionInit = sessionInit(request.sessionInit(), request.cwd());
            AgentConnection live = live(request.agent());
            JsonNode result =
                    live.request(id, "session/new", sessionInit.deepCopy(), api.requestTimeout());
            String agentSessionId = agentSessionId(result, request.agent());
            persist.updateSession(
                    new SessionRecord(
                            id,
                            request.agent(),
                            agentSessionId,
                            live.acp.connectionId(),
                            System.currentTimeMillis(),
                            null,
                            null,
                            sessionInit,
                            result.get("configOptions"),
                            result.get("modes")));
            live.bind(id, agentSessionId);
        } finally {
            lock.unlock();
        }
        Session session = new Session(this, id, request.agent());
        try {
            applySettings(id, request);
        } catch (RuntimeException e) {
            destroySession(id);
            throw e;
        }
        return session;
    }

    /**
     * ACP {@code session/new} params: as given, with {@code cwd} (default this process's) and
     * {@code mcpServers}.
     */
    static ObjectNode sessionInit(@Nullable JsonNode given, @Nullable String cwd) {
        ObjectNode init =
                given instanceof ObjectNode object
                        ? object.deepCopy()
                        : Json.MAPPER.createObjectNode();
        if (!init.hasNonNull("cwd")) {
            init.put("cwd", cwd != null ? cwd : Path.of("").toAbsolutePath().toString());
        }
        if (!init.has("mcpServers")) {
            init.putArray("mcpServers");
        }
        return init;
    }

    static String agentSessionId(@Nullable JsonNode result, String agent) {
        JsonNode sessionId = result == null ? null : result.get("sessionId");
        if (sessionId == null || !sessionId.isTextual() || sessionId.asText().isEmpty()) {
            throw new SandboxAgentException(
                    "agent '"
                            + agent
                            + "' returned no sessionId from session/new: it does not"
                            + " speak ACP sessions (the builtin 'mock' agent only echoes requests); result: "
                            + result);
        }
        return sessionId.asText();
    }

    private void applySettings(String id, SessionCreateRequest request) {
        if (request.mode() != null) {
            setMode(id, request.mode());
        }
        if (request.model() != null) {
            setConfigCategory(id, "model", request.model());
        }
        if (request.thoughtLevel() != null) {
            setConfigCategory(id, "thought_level", request.thoughtLevel());
        }
    }

    // ---------------------------------------------------------------------------------------------- settings

    /**
     * ACP {@code session/set_mode}, checked against the session's modes; an agent without modes (or
     * without {@code set_mode}) gets its config option of category {@code mode} instead.
     */
    JsonNode setMode(String id, String modeId) {
        JsonNode modes = record(id).modes();
        JsonNode available = modes == null ? null : modes.get("availableModes");
        if (available == null || !available.isArray()) {
            return setConfigCategory(id, "mode", modeId);
        }
        List<String> ids = new ArrayList<>();
        available.forEach(mode -> ids.add(mode.path("id").asText()));
        if (!ids.contains(modeId)) {
            throw new UnsupportedSessionSettingException(id, "mode", modeId, ids);
        }
        try {
            return rawSend(
                    id, "session/set_mode", Json.MAPPER.createObjectNode().put("modeId", modeId));
        } catch (AcpRpcException e) {
            if (e.code() != -32601) {
                throw e;
            }
            return setConfigCategory(id, "mode", modeId);
        }
    }

    /**
     * Sets the config option of this category ({@code model}, {@code thought_level}, {@code mode}).
     */
    JsonNode setConfigCategory(String id, String category, String value) {
        JsonNode options = configOptions(id);
        List<String> categories = new ArrayList<>();
        for (JsonNode option : options) {
            if (category.equals(option.path("category").asText())) {
                return setConfigOption(id, option, value);
            }
            categories.add(option.path("category").asText());
        }
        throw new UnsupportedSessionSettingException(id, "setting", category, categories);
    }

    /** ACP {@code session/set_config_option}, checked against the agent's config options. */
    JsonNode setConfigOption(String id, String configId, String value) {
        List<String> ids = new ArrayList<>();
        for (JsonNode option : configOptions(id)) {
            if (configId.equals(option.path("id").asText())) {
                return setConfigOption(id, option, value);
            }
            ids.add(option.path("id").asText());
        }
        throw new UnsupportedSessionSettingException(id, "config option", configId, ids);
    }

    private JsonNode setConfigOption(String id, JsonNode option, String value) {
        String configId = option.path("id").asText();
        if (option.path("options").isArray()) {
            List<String> values = new ArrayList<>();
            option.path("options").forEach(choice -> values.add(choice.path("value").asText()));
            if (!values.contains(value)) {
                throw new UnsupportedSessionSettingException(id, configId, value, values);
            }
        }
        return rawSend(
                id,
                "session/set_config_option",
                Json.MAPPER.createObjectNode().put("configId", configId).put("value", value));
    }

    /**
     * The session's config options as the agent last reported them, else the agent's ({@code
     * ?config=true}).
     */
    private JsonNode configOptions(String id) {
        SessionRecord record = record(id);
        if (record.configOptions() != null && record.configOptions().isArray()) {
            return record.configOptions();
        }
        JsonNode options = getAgent(record.agent(), true).configOptions();
        return options != null && options.isArray() ? options : Json.MAPPER.createArrayNode();
    }

    /** A handle on a persisted session, bound (restored if needed) on the agent now. */
    public Session resumeSession(String id) {
        SessionRecord record = bound(id).record();
        return new Session(this, id, record.agent());
    }

    /** Resumes the session with the request's id if it is persisted, else creates it. */
    public Session resumeOrCreateSession(SessionCreateRequest request) {
        Objects.requireNonNull(request.id(), "resumeOrCreateSession needs an id");
        if (persist.getSession(request.id().trim()).isPresent()) {
            Session session = resumeSession(request.id().trim());
            applySettings(session.id(), request);
            return session;
        }
        return createSession(request);
    }

    public Optional<Session> getSession(String id) {
        return persist.getSession(id).map(record -> new Session(this, record.id(), record.agent()));
    }

    public ListPage<SessionRecord> listSessions(PageRequest request) {
        return persist.listSessions(request);
    }

    public ListPage<SessionEvent> getEvents(String sessionId, PageRequest request) {
        return persist.listEvents(sessionId, request);
    }

    /**
     * Cancels the session's running turn and pending permission requests and marks it destroyed.
     * The agent's ACP server stays until {@link #dispose()} (as in the TS SDK); a destroyed session
     * can be resumed.
     */
    public Session destroySession(String id) {
        SessionRecord record = record(id);
        permissions.cancelSession(id);
        try {
            cancel(id);
        } catch (SandboxAgentException e) {
            log.debug("session '{}': cancel while destroying failed: {}", id, e.getMessage());
        }
        updateRecord(id, current -> current.withDestroyedAt(System.currentTimeMillis()));
        pipeline(id).flush();
        return new Session(this, id, record.agent());
    }

    SessionRecord record(String id) {
        return persist.getSession(id).orElseThrow(() -> new SessionNotFoundException(id));
    }

    private SessionRecord updateRecord(String id, UnaryOperator<SessionRecord> change) {
        synchronized (recordWrites) {
            SessionRecord updated = change.apply(record(id));
            persist.updateSession(updated);
            return updated;
        }
    }

    // ---------------------------------------------------------------------------------------------- turns

    PromptResult prompt(String id, List<ContentBlock> blocks) {
        Objects.requireNonNull(blocks, "prompt");
        JsonNode result =
                sessionRequest(
                        id,
                        "session/prompt",
                        promptTimeout,
                        (binding, params) -> {
                            ArrayNode prompt = params.putArray("prompt");
                            String replay = binding.live().replay.remove(id);
                            if (replay != null) {
                                prompt.add(ContentBlock.text(replay).json());
                            }
                            blocks.forEach(block -> prompt.add(block.json()));
                        });
        return new PromptResult(result.path("stopReason").asText(null), result);
    }

    JsonNode rawSend(String id, String method, JsonNode params) {
        if ("session/cancel".equals(method)) {
            throw new IllegalArgumentException(
                    "send session/cancel with Session.cancel() (a notification, not a request)");
        }
        if (params != null && !params.isObject() && !params.isNull()) {
            throw new IllegalArgumentException(
                    "params must be a JSON object, got " + params.getNodeType());
        }
        return sessionRequest(
                id,
                method,
                api.requestTimeout(),
                (binding, out) -> {
                    if (params instanceof ObjectNode given) {
                        given.properties()
                                .forEach(
                                        field -> {
                                            if (!field.getKey().equals("sessionId")) {
                                                out.set(
                                                        field.getKey(),
                                                        field.getValue().deepCopy());
                                            }
                                        });
                    }
                });
    }

    private interface ParamsWriter {
        void write(Binding binding, ObjectNode params);
    }

    /**
     * Sends a session request on its current binding (restoring it first when needed). When the
     * request never reached the agent because the binding was lost (server restarted, agent gone),
     * restores and sends once more.
     */
    private JsonNode sessionRequest(
            String id, String method, Duration timeout, ParamsWriter writer) {
        for (int attempt = 0; ; attempt++) {
            Binding binding = bound(id);
            ObjectNode params =
                    Json.MAPPER.createObjectNode().put("sessionId", binding.agentSessionId());
            writer.write(binding, params);
            try {
                return binding.live().request(id, method, params, timeout);
            } catch (HttpProblemException e) {
                if (attempt > 0 || binding.live().acp.lostCause() == null) {
                    throw e;
                }
                log.info(
                        "session '{}': ACP server {} is gone ({}); restoring the session",
                        id,
                        binding.live().acp.serverId(),
                        e.getMessage());
            } catch (SandboxAgentTimeoutException | SessionPersistException e) {
                if ("session/prompt".equals(method)) {
                    // Its events could not be recorded, or it ran too long: stop it.
                    cancelQuietly(id, binding);
                }
                throw e;
            }
        }
    }

    /**
     * Cancels the turn on the binding it runs on, without reading the store (which may be what
     * failed).
     */
    private void cancelQuietly(String id, Binding binding) {
        if (binding.live().acp.lostCause() != null) {
            return; // the connection is gone, and the turn with it
        }
        try {
            binding.live()
                    .notify(
                            id,
                            "session/cancel",
                            Json.MAPPER
                                    .createObjectNode()
                                    .put("sessionId", binding.agentSessionId()));
        } catch (SandboxAgentException e) {
            log.debug(
                    "session '{}': cancelling the failed turn failed too: {}", id, e.getMessage());
        }
    }

    /** Cancels the running turn; a no-op when the session is not bound (nothing can be running). */
    void cancel(String id) {
        record(id);
        Binding binding = restorer.currentBinding(id);
        if (binding != null) {
            binding.live()
                    .notify(
                            id,
                            "session/cancel",
                            Json.MAPPER
                                    .createObjectNode()
                                    .put("sessionId", binding.agentSessionId()));
        }
    }

    // ---------------------------------------------------------------------------------------------- binding

    /** The session's binding, restoring the session when the live connection does not hold it. */
    private Binding bound(String id) {
        ensureOpen();
        return restorer.bound(id);
    }

    /**
     * The usable ACP connection for an agent, started (and {@code initialize}d) when there is none.
     */
    private AgentConnection live(String agent) {
        synchronized (liveByAgent) {
            ensureOpen();
            AgentConnection live = liveByAgent.get(agent);
            if (live != null && live.acp.lostCause() == null) {
                return live;
            }
            if (live != null) {
                liveByAgent.remove(agent);
                Thread.ofVirtual().start(live.acp::close);
            }
            AgentConnection fresh =
                    new AgentConnection(
                            inbound ->
                                    new AcpConnection(
                                            api,
                                            agent,
                                            timer,
                                            maxMessageBytes,
                                            streamReadTimeout,
                                            serverSilenceTimeout,
                                            inbound),
                            sessions,
                            permissions,
                            pipelineOptions.flushTimeout());
            ObjectNode initialize =
                    Json.MAPPER.createObjectNode().put("protocolVersion", ACP_PROTOCOL_VERSION);
            initialize.putObject("clientCapabilities");
            initialize
                    .putObject("clientInfo")
                    .put("name", "rivetkit-java-sandbox-agent")
                    .put("version", "v1");
            try {
                fresh.request(null, "initialize", initialize, api.requestTimeout());
            } catch (RuntimeException e) {
                Thread.ofVirtual().start(fresh.acp::close);
                throw e;
            }
            liveByAgent.put(agent, fresh);
            return fresh;
        }
    }

    /**
     * How many times the agent's current ACP connection opened its event stream; 0 without one. For
     * tests.
     */
    long streamsOpened(String agent) {
        synchronized (liveByAgent) {
            AgentConnection live = liveByAgent.get(agent);
            return live == null ? 0 : live.acp.streamsOpened();
        }
    }

    /**
     * How many health probes the agent's current ACP connection made on a silent server; 0 without
     * one. For tests.
     */
    long silenceProbes(String agent) {
        synchronized (liveByAgent) {
            AgentConnection live = liveByAgent.get(agent);
            return live == null ? 0 : live.acp.silenceProbes();
        }
    }

    private void ensureOpen() {
        if (disposed) {
            throw new SandboxAgentException("this SandboxAgent was disposed");
        }
    }

    // ---------------------------------------------------------------------------------------------- events

    private EventPipeline pipeline(String id) {
        return pipelines.computeIfAbsent(
                id,
                key ->
                        new EventPipeline(
                                key,
                                persist,
                                event -> deliver(key, event),
                                error -> reportSessionError(key, error),
                                pipelineOptions));
    }

    private void reportSessionError(String id, SandboxAgentException error) {
        errorListeners.deliver(id, error);
    }

    /**
     * Errors of the session that no call of the caller's reports: today a {@link
     * SessionPersistException} when the session's events could not be persisted (once per outage of
     * the store; the events are missing from the history, which records the gap as {@code
     * _sdk/events_not_persisted} once the store takes writes again). Called on the session's event
     * thread; a workspace turns it into its own error event.
     */
    public Subscription onSessionError(String sessionId, Consumer<SandboxAgentException> listener) {
        return errorListeners.add(sessionId, listener);
    }

    private void deliver(String id, SessionEvent event) {
        eventListeners.deliver(id, event);
    }

    /**
     * Every event of the session from now on, after it is persisted, in order, on the session's
     * event thread.
     */
    public Subscription onSessionEvent(String sessionId, Consumer<SessionEvent> listener) {
        return eventListeners.add(sessionId, listener);
    }

    /**
     * The session's permission requests. While a session has no such listener, the SDK answers them
     * {@code cancelled} at once.
     */
    public Subscription onPermissionRequest(
            String sessionId, Consumer<PermissionRequest> listener) {
        return permissions.onRequest(sessionId, listener);
    }

    // ---------------------------------------------------------------------------------------------- permissions

    /** Answers a permission request with the agent's option of the reply's kind. */
    public void respondPermission(String permissionId, PermissionReply reply) {
        permissions.respond(permissionId, reply);
    }

    /**
     * Answers a permission request {@code cancelled}, as the SDK does when no listener is
     * registered: the agent's turn goes on without the tool call (for a request none of the agent's
     * options fits).
     */
    public void cancelPermission(String permissionId) {
        permissions.cancel(permissionId);
    }

    // ---------------------------------------------------------------------------------------------- dispose

    /**
     * Answers pending permission requests {@code cancelled}, deletes the SDK's ACP servers (2 s at
     * most each), waits for queued events to be persisted, and stops a server this SDK started. All
     * of it but the server's stop (SIGTERM, SIGKILL 5 s later) within {@code disposeTimeout} (5 s
     * by default): what did not finish by then is given up and named in a warning. Idempotent.
     */
    public void dispose() {
        if (disposed) {
            return;
        }
        long deadline = System.nanoTime() + disposeTimeout.toNanos();
        disposed = true;
        List<AgentConnection> lives;
        synchronized (liveByAgent) {
            lives = List.copyOf(liveByAgent.values());
            liveByAgent.clear();
        }
        List<String> gaveUp = new ArrayList<>();
        Map<Thread, String> closing = new HashMap<>();
        for (AgentConnection live : lives) {
            closing.put(
                    Thread.ofVirtual()
                            .start(
                                    () -> {
                                        permissions.cancelAllOf(live);
                                        live.acp.close();
                                    }),
                    "deleting ACP server " + live.acp.serverId());
        }
        for (Map.Entry<Thread, String> close : closing.entrySet()) {
            try {
                if (!close.getKey()
                        .join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    gaveUp.add(close.getValue());
                    close.getKey().interrupt();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                gaveUp.add(close.getValue() + " (interrupted)");
            }
        }
        permissions.close();
        pipelines.forEach(
                (id, pipeline) -> {
                    Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
                    if (!Thread.currentThread().isInterrupted() && !pipeline.awaitFlushed(left)) {
                        gaveUp.add(pipeline.stuck(disposeTimeout));
                    }
                });
        if (!gaveUp.isEmpty()) {
            log.warn(
                    "dispose of the SandboxAgent for {} gave up after {} ms on: {}",
                    baseUrl(),
                    disposeTimeout.toMillis(),
                    String.join("; ", gaveUp));
        }
        timer.shutdownNow();
        httpClient.shutdownNow();
        httpExecutor.shutdownNow();
        if (ownedServer != null) {
            ownedServer.stop();
        }
    }

    @Override
    public void close() {
        dispose();
    }

    // ---------------------------------------------------------------------------------------------- builder

    /**
     * Options of a {@link SandboxAgent}; {@link #build()} connects and waits for the server's
     * health.
     */
    public static final class Builder {
        private final String baseUrl;
        private @Nullable String token;
        private SessionPersistDriver persist = new InMemorySessionPersistDriver();
        private Duration requestTimeout = Duration.ofSeconds(30);
        private Duration promptTimeout = Duration.ofMinutes(30);
        private Duration healthTimeout = Duration.ofSeconds(30);
        private int replayMaxEvents = 50;
        private int replayMaxChars = 12_000;
        private int maxMessageBytes = 16 * 1024 * 1024;
        private Duration streamReadTimeout = AcpConnection.STREAM_READ_TIMEOUT;
        private Duration serverSilenceTimeout = AcpConnection.SERVER_SILENCE_TIMEOUT;
        private Duration persistRetryTimeout = EventPipeline.Options.DEFAULTS.retryTimeout();
        private int maxQueuedEvents = EventPipeline.Options.DEFAULTS.maxQueued();
        private Duration flushTimeout = EventPipeline.Options.DEFAULTS.flushTimeout();
        private Duration disposeTimeout = Duration.ofSeconds(5);

        private Builder(String baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            String trimmed = baseUrl.strip();
            while (trimmed.endsWith("/")) {
                trimmed = trimmed.substring(0, trimmed.length() - 1);
            }
            if (!trimmed.startsWith("http://") && !trimmed.startsWith("https://")) {
                throw new IllegalArgumentException(
                        "baseUrl must be an http(s) URL, got '" + baseUrl + "'");
            }
            this.baseUrl = trimmed;
        }

        /**
         * Sent as {@code Authorization: Bearer <token>}; null for a server started with {@code
         * --no-token}.
         */
        public Builder token(@Nullable String token) {
            this.token = token;
            return this;
        }

        /** Where sessions and events are kept; in memory by default. */
        public Builder persist(SessionPersistDriver persist) {
            this.persist = Objects.requireNonNull(persist, "persist");
            return this;
        }

        /** The timeout of every call but a prompt (30 s by default). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout);
            return this;
        }

        /** The timeout of a whole turn (30 min by default). */
        public Builder promptTimeout(Duration timeout) {
            this.promptTimeout = positive(timeout);
            return this;
        }

        /** How long {@link #build()} waits for the server's health (30 s by default). */
        public Builder healthTimeout(Duration timeout) {
            this.healthTimeout = positive(timeout);
            return this;
        }

        /**
         * At most this many persisted events are replayed into a restored session (50 by default).
         */
        public Builder replayMaxEvents(int events) {
            this.replayMaxEvents = atLeastOne(events);
            return this;
        }

        /** The replay text is at most about this long (12 000 characters by default). */
        public Builder replayMaxChars(int chars) {
            this.replayMaxChars = atLeastOne(chars);
            return this;
        }

        /** A stream message larger than this is skipped with a log line (16 MiB by default). */
        public Builder maxMessageBytes(int bytes) {
            this.maxMessageBytes = atLeastOne(bytes);
            return this;
        }

        /**
         * A stream silent for this long is reopened (45 s by default, above the server's 15 s
         * heartbeat).
         */
        public Builder streamReadTimeout(Duration timeout) {
            this.streamReadTimeout = positive(timeout);
            return this;
        }

        /**
         * How long a call may hear nothing from the server (no message, no heartbeat: the server
         * sends one every 15 s on the event stream) before the SDK asks {@code GET /v1/health}
         * whether it is alive; when that gets no answer either (within this timeout, at most 10 s),
         * the server is hung (stopped, or cut off from us) and the call fails with a {@link
         * SandboxAgentTimeoutException}. The next call restores the session on a new ACP server. 30
         * s by default; a long silent turn on a live server is not affected.
         */
        public Builder serverSilenceTimeout(Duration timeout) {
            this.serverSilenceTimeout = positive(timeout);
            return this;
        }

        /**
         * How long a failing write of events is retried (back-off from 50 ms, doubling to 1 s)
         * before they are given up with a {@link SessionPersistException} (5 s by default). Later
         * events wait meanwhile, so order holds.
         */
        public Builder persistRetryTimeout(Duration timeout) {
            this.persistRetryTimeout = positive(timeout);
            return this;
        }

        /**
         * How many of a session's events may wait to be persisted (4 096 by default); past that the
         * SDK stops reading the server's event stream until there is room, so the server buffers
         * them (its last 1 024) and, past its buffer, the SDK reports what it dropped as {@code
         * _sdk/events_dropped}.
         */
        public Builder maxQueuedEvents(int events) {
            this.maxQueuedEvents = atLeastOne(events);
            return this;
        }

        /**
         * How long a call waits for its session's events to be persisted before it fails with a
         * {@link SandboxAgentTimeoutException} naming what is still pending (10 s by default).
         */
        public Builder flushTimeout(Duration timeout) {
            this.flushTimeout = positive(timeout);
            return this;
        }

        /**
         * The most {@link SandboxAgent#dispose()} waits, besides stopping a server it started (5 s
         * by default).
         */
        public Builder disposeTimeout(Duration timeout) {
            this.disposeTimeout = positive(timeout);
            return this;
        }

        /** Connects and waits until {@code GET /v1/health} answers ok. */
        public SandboxAgent build() {
            SandboxAgent sdk = new SandboxAgent(this, null);
            sdk.awaitHealth(healthTimeout);
            return sdk;
        }

        private static Duration positive(Duration duration) {
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("a timeout must be positive, got " + duration);
            }
            return duration;
        }

        private static int atLeastOne(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("must be at least 1, got " + value);
            }
            return value;
        }
    }
}
