package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.ToServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The actions of one connection that wait: those queued for the next {@code Init} and those sent
 * and not yet answered, by action id. Each has a timeout; what the connection loses is failed here.
 * Thread-safe; never calls out while holding its own lock.
 */
final class PendingActions {
    /**
     * An action waiting for its connection or its answer; encoded at once, so a bad argument fails
     * the call.
     */
    static final class Pending {
        final long id;
        final String name;
        final ToServer request;
        final byte[] frame;
        final CompletableFuture<JsonNode> result = new CompletableFuture<>();

        private Pending(long id, String name, ArrayNode args, Encoding encoding) {
            this.id = id;
            this.name = name;
            this.request = new ToServer.ActionRequest(id, name, args);
            try {
                this.frame = ClientProtocol.encode(encoding, request);
            } catch (ProtocolException e) {
                throw new IllegalArgumentException(
                        "cannot send the arguments of `" + name + "`: " + e.getMessage(), e);
            }
        }
    }

    private final Encoding encoding;
    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, Pending> queued = new LinkedHashMap<>(); // guarded by this
    private final Map<Long, Pending> inFlight = new HashMap<>(); // guarded by this

    PendingActions(Encoding encoding) {
        this.encoding = encoding;
    }

    /**
     * A new action, numbered from 0 as RivetKit's client numbers them; neither queued nor sent yet.
     */
    Pending create(String name, ArrayNode args) {
        return new Pending(nextId.getAndIncrement(), name, args, encoding);
    }

    /** Waits for the next {@code Init}. */
    synchronized void queue(Pending pending) {
        queued.put(pending.id, pending);
    }

    /** Is being sent now: waits for its answer. */
    synchronized void sending(Pending pending) {
        inFlight.put(pending.id, pending);
    }

    /** The queued ones, in call order, now counted as sent. */
    synchronized List<Pending> sendQueued() {
        List<Pending> all = new ArrayList<>(queued.values());
        for (Pending pending : all) {
            inFlight.put(pending.id, pending);
        }
        queued.clear();
        return all;
    }

    /** The sent ones, forgotten: their connection is gone and they may or may not have run. */
    synchronized List<Pending> takeInFlight() {
        List<Pending> all = new ArrayList<>(inFlight.values());
        inFlight.clear();
        return all;
    }

    /** The queued ones, forgotten. */
    synchronized List<Pending> takeQueued() {
        List<Pending> all = new ArrayList<>(queued.values());
        queued.clear();
        return all;
    }

    /** Every one, forgotten. */
    synchronized List<Pending> takeAll() {
        List<Pending> all = takeInFlight();
        all.addAll(takeQueued());
        return all;
    }

    /**
     * The sent action {@code id}, answered and forgotten; null when nobody waits for it (timed
     * out?).
     */
    @Nullable Pending answered(long id) {
        synchronized (this) {
            return inFlight.remove(id);
        }
    }

    /**
     * Fails {@code pending} with a {@link TimeoutException} cause after {@code timeout}, naming it
     * as {@code action `name` on {where}}; false when the timer no longer runs (the client is
     * closed).
     */
    boolean expireAfter(
            Pending pending, Duration timeout, ScheduledExecutorService timer, String where) {
        try {
            ScheduledFuture<?> expiry =
                    timer.schedule(
                            () -> {
                                synchronized (this) {
                                    inFlight.remove(pending.id);
                                    queued.remove(pending.id);
                                }
                                pending.result.completeExceptionally(
                                        new ClientError(
                                                "action `"
                                                        + pending.name
                                                        + "` on "
                                                        + where
                                                        + " got no answer within "
                                                        + timeout.toMillis()
                                                        + " ms",
                                                new TimeoutException()));
                            },
                            timeout.toNanos(),
                            TimeUnit.NANOSECONDS);
            pending.result.whenComplete((v, e) -> expiry.cancel(false));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    static void fail(List<Pending> pending, ClientError error) {
        for (Pending p : pending) {
            p.result.completeExceptionally(error);
        }
    }
}
