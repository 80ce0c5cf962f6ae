package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' permission requests: offered to the session's listeners once persisted (answered
 * {@code cancelled} at once when it has none, as the TS SDK does), answered once with the agent's
 * option of the reply's kind (checked before anything is sent), and cancelled when their session is
 * destroyed or the SDK disposed.
 */
final class PermissionBroker {
    private static final Logger log = LoggerFactory.getLogger(PermissionBroker.class);

    /**
     * Sends the answer to the agent that asked (its ACP connection), recorded as the session's
     * event.
     */
    interface Responder {
        void respond(String sessionId, JsonNode rpcId, JsonNode result);
    }

    private record Pending(
            String sessionId, Responder responder, JsonNode rpcId, PermissionRequest request) {}

    private final SessionListeners<PermissionRequest> listeners =
            new SessionListeners<>("permission");
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Subscription onRequest(String sessionId, Consumer<PermissionRequest> listener) {
        return listeners.add(sessionId, listener);
    }

    /**
     * Runs once the request is persisted: to the session's listeners, or answered cancelled if
     * there are none.
     */
    void offer(
            Responder responder,
            String sessionId,
            @Nullable String agentSessionId,
            JsonRpcMessage.Request request) {
        JsonNode params = request.params();
        JsonNode options = params.path("options");
        PermissionRequest permission =
                new PermissionRequest(
                        UUID.randomUUID().toString(),
                        System.currentTimeMillis(),
                        sessionId,
                        agentSessionId,
                        availableReplies(options),
                        options,
                        params.get("toolCall"),
                        request.envelope());
        Pending offered = new Pending(sessionId, responder, request.id(), permission);
        pending.put(permission.id(), offered);
        if (listeners.isEmpty(sessionId)) {
            cancelQuietly(offered);
            return;
        }
        listeners.deliver(sessionId, permission);
    }

    void respond(String permissionId, PermissionReply reply) {
        Objects.requireNonNull(reply, "reply");
        Pending request = pendingOrThrow(permissionId);
        String optionId = optionFor(request.request().options(), reply);
        if (optionId == null) {
            throw new UnsupportedPermissionReplyException(
                    permissionId, reply, request.request().availableReplies());
        }
        ObjectNode result = Json.MAPPER.createObjectNode();
        result.putObject("outcome").put("outcome", "selected").put("optionId", optionId);
        answer(request, result);
    }

    void cancel(String permissionId) {
        answer(pendingOrThrow(permissionId), cancelledOutcome());
    }

    /** Answers the session's pending requests cancelled (it is being destroyed). */
    void cancelSession(String sessionId) {
        pending.values().stream()
                .filter(p -> p.sessionId().equals(sessionId))
                .toList()
                .forEach(this::cancelQuietly);
    }

    /** Answers cancelled every request {@code responder} asked (its connection is closing). */
    void cancelAllOf(Responder responder) {
        pending.values().stream()
                .filter(p -> p.responder() == responder)
                .toList()
                .forEach(this::cancelQuietly);
    }

    /** No request is answerable any more; the ones left are forgotten. */
    void close() {
        closed = true;
        pending.clear();
    }

    static ObjectNode cancelledOutcome() {
        ObjectNode result = Json.MAPPER.createObjectNode();
        result.putObject("outcome").put("outcome", "cancelled");
        return result;
    }

    private Pending pendingOrThrow(String permissionId) {
        Pending request = pending.get(permissionId);
        if (request == null) {
            throw new PermissionNotPendingException(
                    permissionId,
                    "permission '" + permissionId + "' not found (already answered, or unknown)");
        }
        return request;
    }

    /**
     * Sends an answer once; a send that fails leaves the request pending, so it can be answered
     * again.
     */
    private void answer(Pending request, ObjectNode result) {
        String permissionId = request.request().id();
        if (!pending.remove(permissionId, request)) {
            throw new PermissionNotPendingException(
                    permissionId, "permission '" + permissionId + "' was already answered");
        }
        try {
            request.responder().respond(request.sessionId(), request.rpcId(), result);
        } catch (RuntimeException e) {
            if (!closed) {
                pending.putIfAbsent(permissionId, request);
            }
            throw e;
        }
    }

    private void cancelQuietly(Pending request) {
        if (pending.remove(request.request().id()) != null) {
            try {
                request.responder()
                        .respond(request.sessionId(), request.rpcId(), cancelledOutcome());
            } catch (SandboxAgentException e) {
                log.debug(
                        "could not cancel permission request {}: {}",
                        request.request().id(),
                        e.getMessage());
            }
        }
    }

    private static @Nullable String optionFor(JsonNode options, PermissionReply reply) {
        List<String> kinds =
                switch (reply) {
                    case ONCE -> List.of("allow_once");
                    case ALWAYS -> List.of("allow_always", "allow_once");
                    case REJECT -> List.of("reject_once", "reject_always");
                };
        for (String kind : kinds) {
            for (JsonNode option : options) {
                if (kind.equals(option.path("kind").asText())) {
                    return option.path("optionId").asText();
                }
            }
        }
        return null;
    }

    private static List<PermissionReply> availableReplies(JsonNode options) {
        List<PermissionReply> replies = new ArrayList<>();
        for (PermissionReply reply : PermissionReply.values()) {
            if (optionFor(options, reply) != null) {
                replies.add(reply);
            }
        }
        return replies;
    }
}
