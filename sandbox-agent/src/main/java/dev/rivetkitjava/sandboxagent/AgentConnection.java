package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's ACP connection and which local sessions are bound on it: requests and answers go out
 * recorded as the session's events, and what the agent sends is recorded, then applied (config and
 * mode updates, permission requests). The {@link SandboxAgent} facade keeps one per agent.
 */
final class AgentConnection implements AcpConnection.Inbound, PermissionBroker.Responder {
    private static final Logger log = LoggerFactory.getLogger(AgentConnection.class);

    /** What the connection needs of the SDK's sessions. */
    interface Sessions {
        /** The session's event pipeline, made on first use. */
        EventPipeline pipeline(String sessionId);

        /** The session's event pipeline, or null if it has none yet. */
        @Nullable EventPipeline existingPipeline(String sessionId);

        /** Changes the session's stored record; the record as changed. */
        SessionRecord updateRecord(String sessionId, UnaryOperator<SessionRecord> change);
    }

    final AcpConnection acp;
    private final Sessions sessions;
    private final PermissionBroker permissions;
    private final Duration flushTimeout;
    private final Map<String, String> localByAgentSession = new ConcurrentHashMap<>();
    private final Map<String, String> agentSessionByLocal = new ConcurrentHashMap<>();
    private final Map<String, String> localByRequest = new ConcurrentHashMap<>();

    /** Replay text waiting for the session's next prompt. */
    final Map<String, String> replay = new ConcurrentHashMap<>();

    AgentConnection(
            Function<AcpConnection.Inbound, AcpConnection> connect,
            Sessions sessions,
            PermissionBroker permissions,
            Duration flushTimeout) {
        this.sessions = sessions;
        this.permissions = permissions;
        this.flushTimeout = flushTimeout;
        this.acp = connect.apply(this);
    }

    void bind(String id, String agentSessionId) {
        String previous = agentSessionByLocal.put(id, agentSessionId);
        if (previous != null) {
            localByAgentSession.remove(previous);
        }
        localByAgentSession.put(agentSessionId, id);
    }

    @Nullable String agentSessionOf(String id) {
        return agentSessionByLocal.get(id);
    }

    /**
     * Sends a request, persisting it (and its response) as the session's events when {@code id} is
     * not null. It fails with a {@link SessionPersistException} as soon as the session's events are
     * given up meanwhile, and returns once the request's events are persisted (and delivered), at
     * most the flush timeout later.
     */
    JsonNode request(@Nullable String id, String method, ObjectNode params, Duration timeout) {
        ObjectNode envelope = JsonRpcMessage.request(acp.nextRequestId(), method, params);
        String key = JsonRpcMessage.idKey(envelope.get("id"));
        EventPipeline pipeline = id == null ? null : sessions.pipeline(id);
        CompletableFuture<Void> persistFailure = pipeline == null ? null : pipeline.failures();
        if (id != null) {
            localByRequest.put(key, id);
            record(id, SessionEvent.Sender.CLIENT, envelope, null);
        }
        JsonNode result;
        try {
            result = acp.call(envelope, timeout, persistFailure);
        } catch (RuntimeException e) {
            if (acp.lostCause() != null) {
                localByRequest.remove(
                        key); // else the agent's late answer (a cancelled turn's) is still recorded
            }
            if (pipeline != null
                    && !(e instanceof SessionPersistException)
                    && !pipeline.awaitFlushed(flushTimeout)) {
                e.addSuppressed(new SandboxAgentTimeoutException(pipeline.stuck(flushTimeout)));
            }
            throw e;
        }
        localByRequest.remove(key);
        if (pipeline != null) {
            pipeline.flush(); // the caller sees the request's events persisted (and delivered)
            if (persistFailure != null && persistFailure.isCompletedExceptionally()) {
                throw (SessionPersistException) persistFailure.exceptionNow();
            }
        }
        return result;
    }

    @Override
    public void awaitCapacity() {
        for (String id : agentSessionByLocal.keySet()) {
            EventPipeline pipeline = sessions.existingPipeline(id);
            if (pipeline != null) {
                pipeline.awaitCapacity();
            }
        }
    }

    void notify(String id, String method, ObjectNode params) {
        ObjectNode envelope = JsonRpcMessage.notification(method, params);
        record(id, SessionEvent.Sender.CLIENT, envelope, null);
        acp.send(envelope);
    }

    @Override
    public void respond(@Nullable String id, JsonNode rpcId, JsonNode result) {
        ObjectNode envelope = JsonRpcMessage.response(rpcId, result);
        if (id != null) {
            record(id, SessionEvent.Sender.CLIENT, envelope, null);
        }
        acp.send(envelope);
    }

    private void record(
            String id,
            SessionEvent.Sender sender,
            JsonNode envelope,
            @Nullable Runnable afterDelivery) {
        sessions.pipeline(id).submit(sender, acp.connectionId(), envelope, afterDelivery);
    }

    @Override
    public void message(AcpConnection connection, JsonRpcMessage message) {
        switch (message) {
            case JsonRpcMessage.Response response -> {
                String id = localByRequest.remove(JsonRpcMessage.idKey(response.id()));
                if (id != null) {
                    record(id, SessionEvent.Sender.AGENT, response.envelope(), null);
                }
            }
            case JsonRpcMessage.Notification notification
                    when "_adapter/agent_exited".equals(notification.method()) -> {
                log.warn(
                        "agent '{}' of ACP server {} exited: {}",
                        acp.agent(),
                        acp.serverId(),
                        notification.params());
                agentSessionByLocal
                        .keySet()
                        .forEach(
                                id ->
                                        record(
                                                id,
                                                SessionEvent.Sender.AGENT,
                                                notification.envelope(),
                                                null));
            }
            case JsonRpcMessage.Notification notification -> {
                String id = sessionOf(notification.params());
                if (id == null) {
                    log.debug(
                            "ignored {} for no local session on {}",
                            notification.method(),
                            acp.serverId());
                } else {
                    record(
                            id,
                            SessionEvent.Sender.AGENT,
                            notification.envelope(),
                            () -> applyUpdate(id, notification));
                }
            }
            case JsonRpcMessage.Request request -> onAgentRequest(request);
        }
    }

    private @Nullable String sessionOf(JsonNode params) {
        JsonNode sessionId = params.get("sessionId");
        return sessionId != null && sessionId.isTextual()
                ? localByAgentSession.get(sessionId.asText())
                : null;
    }

    private void onAgentRequest(JsonRpcMessage.Request request) {
        String id = sessionOf(request.params());
        if (!"session/request_permission".equals(request.method())) {
            log.warn(
                    "agent '{}' sent unsupported request {}; answering 'method not found'",
                    acp.agent(),
                    request.method());
            ObjectNode error = JsonRpcMessage.response(request.id(), null);
            error.remove("result");
            error.putObject("error")
                    .put("code", -32601)
                    .put("message", "Method not found: " + request.method());
            if (id != null) {
                record(
                        id,
                        SessionEvent.Sender.AGENT,
                        request.envelope(),
                        () -> sendQuietly(id, error));
            } else {
                Thread.ofVirtual().start(() -> sendQuietly(null, error));
            }
            return;
        }
        if (id == null) {
            log.warn(
                    "permission request for unknown agent session on {}: answering cancelled",
                    acp.serverId());
            Thread.ofVirtual()
                    .start(
                            () ->
                                    sendQuietly(
                                            null,
                                            JsonRpcMessage.response(
                                                    request.id(),
                                                    PermissionBroker.cancelledOutcome())));
            return;
        }
        record(
                id,
                SessionEvent.Sender.AGENT,
                request.envelope(),
                () -> permissions.offer(this, id, agentSessionOf(id), request));
    }

    private void sendQuietly(@Nullable String id, ObjectNode envelope) {
        try {
            if (id != null) {
                record(id, SessionEvent.Sender.CLIENT, envelope, null);
            }
            acp.send(envelope);
        } catch (SandboxAgentException e) {
            log.debug("could not answer the agent's request: {}", e.getMessage());
        }
    }

    /** Keeps the record's config options and current mode as the agent reports them. */
    private void applyUpdate(String id, JsonRpcMessage.Notification notification) {
        JsonNode update = notification.params().path("update");
        String kind = update.path("sessionUpdate").asText();
        if (!kind.equals("config_option_update") && !kind.equals("current_mode_update")) {
            return;
        }
        sessions.updateRecord(
                id,
                record -> {
                    if (kind.equals("config_option_update")) {
                        return record.withConfigOptions(update.get("configOptions"));
                    }
                    ObjectNode modes =
                            record.modes() instanceof ObjectNode known
                                    ? known.deepCopy()
                                    : Json.MAPPER.createObjectNode();
                    modes.set("currentModeId", update.get("currentModeId"));
                    return record.withModes(modes);
                });
    }

    @Override
    public void eventsDropped(AcpConnection connection, long afterEventId, long firstEventId) {
        ObjectNode params =
                Json.MAPPER
                        .createObjectNode()
                        .put("afterEventId", afterEventId)
                        .put("firstEventId", firstEventId);
        agentSessionByLocal
                .keySet()
                .forEach(
                        id ->
                                record(
                                        id,
                                        SessionEvent.Sender.CLIENT,
                                        JsonRpcMessage.notification("_sdk/events_dropped", params),
                                        null));
    }
}
