package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's events in order: each is persisted through the driver first, then handed to the
 * listeners, so a listener never sees an event the history lacks. Events that queue up while a
 * write is in flight are written together ({@link SessionPersistDriver#insertEvents}, a group
 * commit), so a slow durable driver does not cap the event rate. One virtual thread drains the
 * queue while it is non-empty.
 *
 * <p>Failures: a write that fails is retried with back-off (50 ms doubling, up to 1 s apart) for at
 * most {@link Options#retryTimeout}; the events after it wait, so order holds. When it still fails,
 * the batch is given up: its futures fail with a {@link SessionPersistException}, the {@link
 * #failures() failure signal} fires (a running request fails with it), the error callback hears of
 * it once per outage, and the next write that succeeds starts with an {@code
 * _sdk/events_not_persisted} event saying how many events are missing, so the history never has a
 * silent gap.
 *
 * <p>The queue is bounded by {@link Options#maxQueued}: the stream reader {@linkplain
 * #awaitCapacity() waits} for room before it reads on (back-pressure: the server's own buffer and
 * its drop signal then tell the truth), while other submitters (a listener answering a permission,
 * a caller's request) never wait.
 */
final class EventPipeline {

    private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);
    private static final int MAX_INDEX_CONFLICT_RETRIES = 3;
    private static final int SCAN_PAGE = 500;
    private static final long FIRST_RETRY_MILLIS = 50;
    private static final long MAX_RETRY_MILLIS = 1_000;
    static final String NOT_PERSISTED_METHOD = "_sdk/events_not_persisted";

    /**
     * @param retryTimeout how long a failing write is retried before its events are given up
     * @param maxQueued how many events may wait before the stream reader waits for room
     * @param flushTimeout how long {@link #flush()} waits
     */
    record Options(Duration retryTimeout, int maxQueued, Duration flushTimeout) {
        static final Options DEFAULTS =
                new Options(Duration.ofSeconds(5), 4096, Duration.ofSeconds(10));
    }

    private final String sessionId;
    private final SessionPersistDriver driver;
    private final Consumer<SessionEvent> deliver;
    private final Consumer<SessionPersistException> onError;
    private final Options options;

    private final List<Entry> queue = new ArrayList<>(); // guarded by this
    private boolean draining; // guarded by this
    private CompletableFuture<SessionEvent> last =
            CompletableFuture.completedFuture(null); // guarded by this
    private CompletableFuture<Void> failureSignal = new CompletableFuture<>(); // guarded by this
    private long nextIndex; // only the draining thread touches it; 0 = not seeded yet

    /** Only the draining thread: events given up since the last successful write. */
    private @Nullable Gap gap;

    private volatile @Nullable Thread drainer;
    private volatile long
            writingSince; // System.nanoTime() when the current write began, 0 while none runs
    private volatile int inFlight; // events of the batch being written

    /** An event waiting to be written, with what to run once it is persisted and delivered. */
    private record Entry(
            SessionEvent.Sender sender,
            String connectionId,
            JsonNode payload,
            @Nullable Runnable afterDelivery,
            CompletableFuture<SessionEvent> done) {}

    /** Events given up during an outage: recorded by the next successful write. */
    private record Gap(int count, long firstAt, long lastAt, String connectionId, String error) {
        Gap plus(int more, long at, String lastError) {
            return new Gap(count + more, firstAt, at, connectionId, lastError);
        }
    }

    EventPipeline(String sessionId, SessionPersistDriver driver, Consumer<SessionEvent> deliver) {
        this(sessionId, driver, deliver, error -> {}, Options.DEFAULTS);
    }

    EventPipeline(
            String sessionId,
            SessionPersistDriver driver,
            Consumer<SessionEvent> deliver,
            Consumer<SessionPersistException> onError,
            Options options) {
        this.sessionId = sessionId;
        this.driver = driver;
        this.deliver = deliver;
        this.onError = onError;
        this.options = options;
    }

    /**
     * Queues an envelope; {@code afterDelivery} (or null) runs once it is persisted and delivered,
     * and also when it could not be persisted (then undelivered), so that an agent's request is
     * answered all the same. Never waits.
     *
     * @return completes with the persisted event, or exceptionally with a {@link
     *     SessionPersistException}
     */
    CompletableFuture<SessionEvent> submit(
            SessionEvent.Sender sender,
            String connectionId,
            JsonNode payload,
            @Nullable Runnable afterDelivery) {
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
     * Waits while {@link Options#maxQueued} events are queued: the stream reader calls it before it
     * reads on. Waits as long as the writes take (each is bounded by the driver's timeouts and the
     * retry timeout), logging when no write finished for a flush timeout; returns at once on this
     * pipeline's own thread and when interrupted.
     */
    void awaitCapacity() {
        if (Thread.currentThread() == drainer) {
            return;
        }
        long warnAfter = options.flushTimeout().toMillis();
        synchronized (this) {
            long waitingSince = System.nanoTime();
            while (queue.size() >= options.maxQueued()) {
                int before = queue.size();
                try {
                    wait(warnAfter);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (queue.size() >= before
                        && System.nanoTime() - waitingSince
                                >= TimeUnit.MILLISECONDS.toNanos(warnAfter)) {
                    log.warn(
                            "session '{}': the stream has waited {} ms for room in the event queue ({} events queued):"
                                    + " the persist driver is slow or stuck",
                            sessionId,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - waitingSince),
                            queue.size());
                    waitingSince = System.nanoTime();
                }
            }
        }
    }

    /** Events queued and not yet taken by a write. */
    synchronized int queued() {
        return queue.size();
    }

    /**
     * Fails (with a {@link SessionPersistException}) at the next batch given up after this call: a
     * request takes it before submitting its events and fails when the session's events cannot be
     * persisted meanwhile.
     */
    synchronized CompletableFuture<Void> failures() {
        return failureSignal;
    }

    /**
     * Waits until every event queued so far is persisted and delivered (or given up), at most the
     * flush timeout. Called from a listener (on this pipeline's own thread) it returns at once,
     * since waiting there would wait for itself.
     *
     * @throws SandboxAgentTimeoutException naming what is still pending when the flush timeout
     *     passes
     */
    void flush() {
        if (!awaitFlushed(options.flushTimeout())) {
            throw new SandboxAgentTimeoutException(stuck(options.flushTimeout()));
        }
    }

    /**
     * As {@link #flush()}, but returns false instead of throwing when {@code timeout} passes first.
     */
    boolean awaitFlushed(Duration timeout) {
        if (Thread.currentThread() == drainer) {
            return true;
        }
        CompletableFuture<SessionEvent> tail;
        synchronized (this) {
            tail = last;
        }
        try {
            tail.handle((event, error) -> null)
                    .get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true; // handle() does not fail
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxAgentException(
                    "interrupted while waiting for the events of session '"
                            + sessionId
                            + "' to be persisted",
                    e);
        }
    }

    /** What a flush that gave up after {@code waited} was waiting for. */
    String stuck(Duration waited) {
        long since = writingSince;
        String writing =
                since == 0
                        ? ""
                        : "; a write of "
                                + inFlight
                                + " events has been running for "
                                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since)
                                + " ms";
        return "events of session '"
                + sessionId
                + "' not persisted within "
                + waited.toMillis()
                + " ms: "
                + queued()
                + " still queued"
                + writing
                + " (the persist driver is slow or hung)";
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
                notifyAll(); // room for the stream reader
            }
            List<Entry> toWrite = batch;
            Entry gapEntry = gap == null ? null : gapEntry(gap);
            if (gapEntry != null) {
                toWrite = new ArrayList<>(batch.size() + 1);
                toWrite.add(gapEntry);
                toWrite.addAll(batch);
            }
            List<SessionEvent> events;
            try {
                events = persistRetrying(toWrite, batch.size());
            } catch (SessionPersistException e) {
                giveUp(batch, e);
                continue;
            }
            if (gap != null) {
                log.warn(
                        "session '{}': events persist again; {} events given up before are recorded as {}",
                        sessionId,
                        gap.count(),
                        NOT_PERSISTED_METHOD);
                gap = null;
            }
            for (int i = 0; i < toWrite.size(); i++) {
                Entry entry = toWrite.get(i);
                SessionEvent event = events.get(i);
                try {
                    deliver.accept(event);
                    if (entry.afterDelivery() != null) {
                        entry.afterDelivery().run();
                    }
                } catch (RuntimeException e) {
                    log.warn(
                            "a listener of session '{}' threw on {}",
                            sessionId,
                            entry.payload(),
                            e);
                }
                entry.done().complete(event);
            }
        }
    }

    private Entry gapEntry(Gap gap) {
        ObjectNode params =
                Json.MAPPER
                        .createObjectNode()
                        .put("count", gap.count())
                        .put("firstAt", gap.firstAt())
                        .put("lastAt", gap.lastAt())
                        .put("error", gap.error());
        return new Entry(
                SessionEvent.Sender.CLIENT,
                gap.connectionId(),
                JsonRpcMessage.notification(NOT_PERSISTED_METHOD, params),
                null,
                new CompletableFuture<>());
    }

    /**
     * The batch could not be written: nothing of it is delivered, and everyone waiting hears why.
     */
    private void giveUp(List<Entry> batch, SessionPersistException error) {
        long now = System.currentTimeMillis();
        boolean firstOfOutage = gap == null;
        gap =
                gap == null
                        ? new Gap(
                                batch.size(),
                                now,
                                now,
                                batch.getFirst().connectionId(),
                                rootMessage(error))
                        : gap.plus(batch.size(), now, rootMessage(error));
        log.error("{}", error.getMessage(), error.getCause());
        // the signal and the error listeners first: whoever waits for these events' futures then
        // sees them fired
        CompletableFuture<Void> signal;
        synchronized (this) {
            signal = failureSignal;
            failureSignal = new CompletableFuture<>();
        }
        signal.completeExceptionally(error);
        if (firstOfOutage) {
            try {
                onError.accept(error);
            } catch (RuntimeException e) {
                log.warn("a session error listener of session '{}' threw", sessionId, e);
            }
        }
        for (Entry entry : batch) {
            try {
                if (entry.afterDelivery() != null) {
                    entry.afterDelivery().run();
                }
            } catch (RuntimeException e) {
                log.warn(
                        "session '{}': running after an event that was not persisted threw",
                        sessionId,
                        e);
            }
            entry.done().completeExceptionally(error);
        }
    }

    private static String rootMessage(Throwable error) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    /**
     * Writes the entries, retrying failures with back-off for at most the retry timeout.
     *
     * @param events how many of the entries are events (the rest is the gap's record)
     */
    private List<SessionEvent> persistRetrying(List<Entry> entries, int events) {
        long started = System.nanoTime();
        long now = System.currentTimeMillis();
        List<String> ids = entries.stream().map(entry -> UUID.randomUUID().toString()).toList();
        Map<String, SessionEvent> stored = new HashMap<>();
        long backoff = FIRST_RETRY_MILLIS;
        writingSince = started;
        inFlight = entries.size();
        try {
            for (int attempt = 1; ; attempt++) {
                try {
                    return persist(entries, ids, now, stored);
                } catch (RuntimeException e) {
                    long elapsed = System.nanoTime() - started;
                    if (elapsed + TimeUnit.MILLISECONDS.toNanos(backoff)
                            > options.retryTimeout().toNanos()) {
                        throw new SessionPersistException(
                                sessionId,
                                events,
                                "session '"
                                        + sessionId
                                        + "': "
                                        + events
                                        + " events not persisted after "
                                        + attempt
                                        + " attempts in "
                                        + TimeUnit.NANOSECONDS.toMillis(elapsed)
                                        + " ms ("
                                        + e.getMessage()
                                        + "); they are"
                                        + " missing from its history, which records the gap as "
                                        + NOT_PERSISTED_METHOD,
                                e);
                    }
                    if (attempt == 1) {
                        log.warn(
                                "session '{}': writing {} events failed ({}); retrying for up to {} ms",
                                sessionId,
                                events,
                                e.getMessage(),
                                options.retryTimeout().toMillis());
                    }
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw new SessionPersistException(
                                sessionId,
                                events,
                                "session '"
                                        + sessionId
                                        + "': interrupted while retrying a write of "
                                        + events
                                        + " events",
                                e);
                    }
                    backoff = Math.min(backoff * 2, MAX_RETRY_MILLIS);
                }
            }
        } finally {
            writingSince = 0;
            inFlight = 0;
        }
    }

    /**
     * Writes the entries not yet in {@code stored} with the next indices. On an index conflict
     * (another writer, or a seed too low) it keeps what a partial write already stored, re-seeds
     * from the store and retries the rest. The same ids and timestamp on every attempt keep a retry
     * after an unknown outcome idempotent.
     *
     * @return the persisted events in entry order
     */
    private List<SessionEvent> persist(
            List<Entry> entries, List<String> ids, long now, Map<String, SessionEvent> stored) {
        for (int attempt = 0; ; attempt++) {
            List<SessionEvent> toWrite = new ArrayList<>();
            try {
                if (nextIndex == 0) {
                    nextIndex = maxPersistedIndex() + 1;
                }
                for (int i = 0; i < entries.size(); i++) {
                    if (!stored.containsKey(ids.get(i))) {
                        Entry entry = entries.get(i);
                        toWrite.add(
                                new SessionEvent(
                                        ids.get(i),
                                        nextIndex + toWrite.size(),
                                        sessionId,
                                        now,
                                        entry.connectionId(),
                                        entry.sender(),
                                        entry.payload()));
                    }
                }
                driver.insertEvents(sessionId, toWrite);
                nextIndex += toWrite.size();
                toWrite.forEach(event -> stored.put(event.id(), event));
                return ids.stream().map(stored::get).toList();
            } catch (EventIndexConflictException e) {
                if (attempt == MAX_INDEX_CONFLICT_RETRIES) {
                    nextIndex = 0;
                    throw e;
                }
                log.debug(
                        "session '{}': {}; re-seeding the event index", sessionId, e.getMessage());
                nextIndex = 0;
                keepStored(toWrite, stored);
            }
            // any other failure is an unknown outcome: the retry writes the same events (same ids)
            // at the same
            // indices, which the driver takes as a no-op where the failed write did land
            // (insertEvent's contract)
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
        PageRequest page =
                new PageRequest(Long.toString(attempted.getFirst().eventIndex() - 1), SCAN_PAGE);
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
