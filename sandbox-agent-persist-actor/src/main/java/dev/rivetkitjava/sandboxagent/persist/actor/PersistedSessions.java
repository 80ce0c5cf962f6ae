package dev.rivetkitjava.sandboxagent.persist.actor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Sandbox Agent sessions, kept as a field of an actor's state and changed only by an {@link
 * ActorStatePersistDriver}. Its JSON is {@code {"sessions": {id: SessionRecord}}}; the sessions'
 * events live in the actor's key-value store. (Older versions kept the events here too, under
 * {@code "events"}; the driver moves them to the key-value store on first use.)
 *
 * <p>Create an empty one in {@code createState}: {@code new WorkspaceState(…, new
 * PersistedSessions())}.
 */
public final class PersistedSessions {
    @JsonProperty final Map<String, SessionRecord> sessions;

    /**
     * Events as older versions stored them, until the driver moves them; written only while not
     * empty.
     */
    @JsonProperty
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    final Map<String, List<SessionEvent>> events;

    public PersistedSessions() {
        this(null, null);
    }

    @JsonCreator
    PersistedSessions(
            @JsonProperty("sessions") @Nullable Map<String, SessionRecord> sessions,
            @JsonProperty("events") @Nullable Map<String, List<SessionEvent>> events) {
        this.sessions = sessions == null ? new LinkedHashMap<>() : new LinkedHashMap<>(sessions);
        this.events = new LinkedHashMap<>();
        if (events != null) {
            events.forEach((sessionId, log) -> this.events.put(sessionId, new ArrayList<>(log)));
        }
    }
}
