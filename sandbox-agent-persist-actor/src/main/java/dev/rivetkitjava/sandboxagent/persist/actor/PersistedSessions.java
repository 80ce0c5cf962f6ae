package dev.rivetkitjava.sandboxagent.persist.actor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sandbox Agent sessions and their events, kept as a field of an actor's state and changed only by an
 * {@link ActorStatePersistDriver}. Its JSON is {@code {"sessions": {id: SessionRecord}, "events": {sessionId:
 * [SessionEvent, …]}}}, as {@code @sandbox-agent/persist-rivet} keeps it; each session's events are in index order.
 *
 * <p>Create an empty one in {@code createState}: {@code new WorkspaceState(…, new PersistedSessions())}.
 */
public final class PersistedSessions {
    @JsonProperty
    final Map<String, SessionRecord> sessions;
    @JsonProperty
    final Map<String, List<SessionEvent>> events;

    public PersistedSessions() {
        this(null, null);
    }

    @JsonCreator
    PersistedSessions(@JsonProperty("sessions") Map<String, SessionRecord> sessions,
            @JsonProperty("events") Map<String, List<SessionEvent>> events) {
        this.sessions = sessions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(sessions);
        this.events = new LinkedHashMap<>();
        if (events != null) {
            events.forEach((sessionId, log) -> this.events.put(sessionId, new ArrayList<>(log)));
        }
    }
}
