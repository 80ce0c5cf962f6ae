package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's events in order: each is persisted through the driver first, then handed to the listeners, so a
 * listener never sees an event the history lacks. Events that queue up while a write is in flight are written
 * together ({@link SessionPersistDriver#insertEvents}, a group commit), so a slow durable driver does not cap the
 * event rate. One virtual thread drains the queue while it is non-empty.
 */
final class EventPipeline {

    private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);
    private static final int MAX_INDEX_CONFLICT_RETRIES = 3;
    private static final int SCAN_PAGE = 500;

    private final String sessionId;
    private final SessionPersistDriver driver;
    private final Consumer<SessionEvent> deliver;

    private final List<Entry> queue = new ArrayList<>(); // guarded by this
    private boolean draining; // guarded by this
    private CompletableFuture<SessionEvent> last = CompletableFuture.completedFuture(null); // guarded by this
    private long nextIndex; // only the draining thread touches it; 0 = not seeded yet
    private volatile Thread drainer;

    /** An event waiting to be written, with what to run once it is persisted and delivered. */
    private record Entry(SessionEvent.Sender sender, String connectionId, JsonNode payload, Runnable afterDelivery,
            CompletableFuture<SessionEvent> done) {
    }

    EventPipeline(String sessionId, SessionPersistDriver driver, Consumer<SessionEvent> deliver) {
        this.sessionId = sessionId;
        this.driver = driver;
        this.deliver = deliver;
    }

    /**
     * Queues an envelope; {@code afterDelivery} (or null) runs once it is persisted and delivered.
     *
     * @return completes with the persisted event, or exceptionally when it could not be persisted
     */
    CompletableFuture<SessionEvent> submit(SessionEvent.Sender sender, String connectionId, JsonNode payload,
            Runnable afterDelivery) {
        CompletableFuture<SessionEvent> done = new CompletableFuture<>();
        synchronized (this) {
            queue.add(new Entry(sender, connectionId, payload, afterDelivery, done));
            last = done;
            if (!draining) {
                draining = true;
                Thread.ofVirtual().name("sandbox-agent-events-" + sessionId).start(this::drain);
            }
        }
        return done;
    }

    /**
     * Waits until every event queued so far is persisted and delivered (or failed). Called from a listener (on this
     * pipeline's own thread) it returns at once, since waiting there would wait for itself.
     */
    void flush() {
        if (Thread.currentThread() == drainer) {
            return;
        }
        CompletableFuture<SessionEvent> tail;
        synchronized (this) {
            tail = last;
        }
        tail.handle((event, error) -> null).join();
    }

    private void drain() {
        drainer = Thread.currentThread();
        while (true) {
            List<Entry> batch;
            synchronized (this) {
                if (queue.isEmpty()) {
                    draining = false;
                    drainer = null;
                    return;
                }
                batch = new ArrayList<>(queue);
                queue.clear();
            }
            List<SessionEvent> events = persist(batch);
            for (int i = 0; i < batch.size(); i++) {
                Entry entry = batch.get(i);
                SessionEvent event = events == null ? null : events.get(i);
                if (event == null) {
                    entry.done().completeExceptionally(new SandboxAgentException(
                            "could not persist an event of session '" + sessionId + "'"));
                    continue;
                }
                try {
                    deliver.accept(event);
                    if (entry.afterDelivery() != null) {
                        entry.afterDelivery().run();
                    }
                } catch (RuntimeException e) {
                    log.warn("a listener of session '{}' threw on event {}", sessionId, event.eventIndex(), e);
                }
                entry.done().complete(event);
            }
        }
    }

    /**
     * Writes the batch with the next indices. On an index conflict (another writer, or a seed too low) it keeps
     * what a partial write already stored, re-seeds from the store and retries the rest.
     *
     * @return the persisted events in batch order, or null when they could not be persisted
     */
    private List<SessionEvent> persist(List<Entry> batch) {
        long now = System.currentTimeMillis();
        List<String> ids = batch.stream().map(entry -> UUID.randomUUID().toString()).toList();
        Map<String, SessionEvent> stored = new HashMap<>();
        for (int attempt = 0; ; attempt++) {
            List<SessionEvent> toWrite = new ArrayList<>();
            try {
                if (nextIndex == 0) {
                    nextIndex = maxPersistedIndex() + 1;
                }
                for (int i = 0; i < batch.size(); i++) {
                    if (!stored.containsKey(ids.get(i))) {
                        Entry entry = batch.get(i);
                        toWrite.add(new SessionEvent(ids.get(i), nextIndex + toWrite.size(), sessionId, now,
                                entry.connectionId(), entry.sender(), entry.payload()));
                    }
                }
                driver.insertEvents(sessionId, toWrite);
                nextIndex += toWrite.size();
                toWrite.forEach(event -> stored.put(event.id(), event));
                return ids.stream().map(stored::get).toList();
            } catch (EventIndexConflictException e) {
                if (attempt == MAX_INDEX_CONFLICT_RETRIES) {
                    log.error("session '{}': {} events not persisted after {} event index conflicts", sessionId,
                            batch.size(), attempt + 1, e);
                    return null;
                }
                log.debug("session '{}': {}; re-seeding the event index", sessionId, e.getMessage());
                try {
                    keepStored(toWrite, stored);
                } catch (RuntimeException readFailure) {
                    log.error("session '{}': events not persisted", sessionId, readFailure);
                    return null;
                }
                nextIndex = 0;
            } catch (RuntimeException e) {
                log.error("session '{}': {} events not persisted", sessionId, batch.size(), e);
                return null;
            }
        }
    }

    /** Adds to {@code stored} the events of a failed write that the store holds all the same. */
    private void keepStored(List<SessionEvent> attempted, Map<String, SessionEvent> stored) {
        if (attempted.isEmpty()) {
            return;
        }
        Set<String> wanted = new HashSet<>();
        attempted.forEach(event -> wanted.add(event.id()));
        // event cursors are "the index of the last event read" in every driver (Cursors)
        PageRequest page = new PageRequest(Long.toString(attempted.getFirst().eventIndex() - 1), SCAN_PAGE);
        while (true) {
            ListPage<SessionEvent> result = driver.listEvents(sessionId, page);
            for (SessionEvent event : result.items()) {
                if (wanted.contains(event.id())) {
                    stored.put(event.id(), event);
                }
            }
            if (!result.hasMore()) {
                return;
            }
            page = page.next(result.nextCursor());
        }
    }

    private long maxPersistedIndex() {
        long max = 0;
        PageRequest page = PageRequest.first(SCAN_PAGE);
        while (true) {
            ListPage<SessionEvent> result = driver.listEvents(sessionId, page);
            for (SessionEvent event : result.items()) {
                max = Math.max(max, event.eventIndex());
            }
            if (!result.hasMore()) {
                return max;
            }
            page = page.next(result.nextCursor());
        }
    }
}
