package dev.rivetkitjava.sandboxagent;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listeners of one kind ({@code what}), per session; a listener that throws is logged and the
 * others still run.
 */
final class SessionListeners<T> {
    private static final Logger log = LoggerFactory.getLogger(SessionListeners.class);

    private final String what;
    private final Map<String, List<Consumer<T>>> bySession = new ConcurrentHashMap<>();

    SessionListeners(String what) {
        this.what = what;
    }

    Subscription add(String sessionId, Consumer<T> listener) {
        Objects.requireNonNull(listener, "listener");
        List<Consumer<T>> list =
                bySession.computeIfAbsent(sessionId, key -> new CopyOnWriteArrayList<>());
        list.add(listener);
        return () -> list.remove(listener);
    }

    boolean isEmpty(String sessionId) {
        return bySession.getOrDefault(sessionId, List.of()).isEmpty();
    }

    void deliver(String sessionId, T value) {
        for (Consumer<T> listener : bySession.getOrDefault(sessionId, List.of())) {
            try {
                listener.accept(value);
            } catch (RuntimeException e) {
                log.warn("a {} listener of session '{}' threw", what, sessionId, e);
            }
        }
    }
}
