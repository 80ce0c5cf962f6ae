package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which ACP connection holds each session (its binding), and the TS SDK's restore when the live
 * connection does not hold it (the server restarted, the agent's ACP server is gone): the session
 * made anew on the agent, its persisted history queued for the next prompt. The {@link
 * SandboxAgent} facade binds every session call through it.
 */
final class SessionRestorer {
    private static final Logger log = LoggerFactory.getLogger(SessionRestorer.class);
    private static final int SCAN_PAGE = 500;

    /**
     * What restoring needs of the SDK: its sessions (as a connection does) and agents' connections.
     */
    interface Sessions extends AgentConnection.Sessions {
        /** The session's stored record; a {@link SessionNotFoundException} without one. */
        SessionRecord record(String sessionId);

        /** The agent's ACP connection, usable or not, or null when it has none. */
        @Nullable AgentConnection currentConnection(String agent);

        /** The agent's usable ACP connection, started when there is none. */
        AgentConnection connection(String agent);
    }

    /** A session bound on a live connection as the agent's session {@code agentSessionId}. */
    record Binding(AgentConnection live, String agentSessionId, SessionRecord record) {}

    private final Sessions sessions;
    private final SessionPersistDriver persist;
    private final Duration requestTimeout;
    private final int replayMaxEvents;
    private final int replayMaxChars;

    /** Per-session lock held while binding or restoring a session (it may wait for the agent). */
    private final Map<String, ReentrantLock> sessionLocks = new ConcurrentHashMap<>();

    SessionRestorer(
            Sessions sessions,
            SessionPersistDriver persist,
            Duration requestTimeout,
            int replayMaxEvents,
            int replayMaxChars) {
        this.sessions = sessions;
        this.persist = persist;
        this.requestTimeout = requestTimeout;
        this.replayMaxEvents = replayMaxEvents;
        this.replayMaxChars = replayMaxChars;
    }

    /** Takes the session's lock, which the caller unlocks; creating a session holds it too. */
    ReentrantLock lock(String id) {
        ReentrantLock lock = sessionLocks.computeIfAbsent(id, key -> new ReentrantLock());
        lock.lock();
        return lock;
    }

    /** The live binding of a session, or null when it has none on a usable connection. */
    @Nullable Binding currentBinding(String id) {
        SessionRecord record = sessions.record(id);
        AgentConnection live = sessions.currentConnection(record.agent());
        if (live == null
                || live.acp.lostCause() != null
                || record.agentSessionId() == null
                || !live.acp.connectionId().equals(record.lastConnectionId())
                || !record.agentSessionId().equals(live.agentSessionOf(id))) {
            return null;
        }
        return new Binding(live, record.agentSessionId(), record);
    }

    /** The session's binding, restoring the session when the live connection does not hold it. */
    Binding bound(String id) {
        ReentrantLock lock = lock(id);
        try {
            Binding binding = currentBinding(id);
            return binding != null ? binding : restore(sessions.record(id));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The TS SDK's restore: collect the history, a NEW {@code session/new} with the stored init,
     * the record rebound (new agent session id and connection, destroyedAt cleared, createdAt
     * kept), the history queued as the first block of the next prompt, and an {@code
     * _sdk/session_restored} event.
     */
    private Binding restore(SessionRecord record) {
        String id = record.id();
        ReplayText replay = ReplayText.of(replayEvents(id), replayMaxChars);
        AgentConnection live = sessions.connection(record.agent());
        ObjectNode init = SandboxAgent.sessionInit(record.sessionInit(), null);
        JsonNode result = live.request(id, "session/new", init, requestTimeout);
        String agentSessionId = SandboxAgent.agentSessionId(result, record.agent());
        SessionRecord rebound =
                sessions.updateRecord(
                        id,
                        current -> {
                            SessionRecord updated =
                                    current.withBinding(agentSessionId, live.acp.connectionId());
                            if (result.has("configOptions")) {
                                updated = updated.withConfigOptions(result.get("configOptions"));
                            }
                            return result.has("modes")
                                    ? updated.withModes(result.get("modes"))
                                    : updated;
                        });
        live.bind(id, agentSessionId);
        if (replay != null) {
            live.replay.put(id, replay.text());
        }
        ObjectNode restored =
                Json.MAPPER
                        .createObjectNode()
                        .put("contextRestored", replay != null)
                        .put("replayedEvents", replay == null ? 0 : replay.events())
                        .put("previousAgentSessionId", record.agentSessionId())
                        .put("agentSessionId", agentSessionId);
        sessions.pipeline(id)
                .submit(
                        SessionEvent.Sender.CLIENT,
                        live.acp.connectionId(),
                        JsonRpcMessage.notification("_sdk/session_restored", restored),
                        null);
        log.info(
                "session '{}' restored on agent '{}' as {} ({} events replayed)",
                id,
                record.agent(),
                agentSessionId,
                replay == null ? 0 : replay.events());
        return new Binding(live, agentSessionId, rebound);
    }

    /**
     * The last {@code replayMaxEvents} persisted events, without the SDK's own {@code _sdk/*}
     * signals.
     */
    private List<SessionEvent> replayEvents(String id) {
        sessions.pipeline(id).flush();
        Deque<SessionEvent> last = new ArrayDeque<>(replayMaxEvents + 1);
        PageRequest page = PageRequest.first(SCAN_PAGE);
        while (true) {
            ListPage<SessionEvent> result = persist.listEvents(id, page);
            for (SessionEvent event : result.items()) {
                if (!event.payload().path("method").asText("").startsWith("_sdk/")) {
                    last.addLast(event);
                    if (last.size() > replayMaxEvents) {
                        last.removeFirst();
                    }
                }
            }
            if (!result.hasMore()) {
                return new ArrayList<>(last);
            }
            page = page.next(result.nextCursor());
        }
    }
}
