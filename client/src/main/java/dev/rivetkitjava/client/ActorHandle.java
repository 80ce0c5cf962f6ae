package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One actor, found by key or by id: stateless actions over HTTP, and {@link #connect()} for a
 * realtime connection. Thread-safe; a handle found by key remembers the id once {@link
 * #resolve()}d.
 */
public final class ActorHandle {
    private static final Logger log = LoggerFactory.getLogger(ActorHandle.class);
    private static final int MAX_ATTEMPTS = 20;
    private static final long RETRY_SPACING_MS = 100;

    private final RivetClient client;
    private final Target target;
    private final @Nullable JsonNode params;
    private volatile @Nullable String resolved;

    ActorHandle(RivetClient client, Target target, @Nullable JsonNode params) {
        this.client = client;
        this.target = target;
        this.params = params;
        if (target instanceof Target.ById id) {
            resolved = id.actorId();
        }
    }

    /**
     * Calls an action over HTTP, with no connection (RivetKit's {@code handle.action(...)}); {@code
     * type} may be {@code JsonNode} for the raw result. Retries while the actor is between lives;
     * throws {@link RivetError} for what the action or the server raised, {@link ClientError} for a
     * transport failure.
     */
    public <R> @Nullable R action(String name, Class<R> type, Object... args) {
        ArrayNode wireArgs = client.wire().args(args);
        JsonNode output = call(name, wireArgs);
        return client.wire().convert(output, type, "the result of `" + name + "`");
    }

    /** {@link #action} on a virtual thread. */
    public <R> CompletableFuture<R> actionAsync(String name, Class<R> type, Object... args) {
        ArrayNode wireArgs = client.wire().args(args);
        return CompletableFuture.supplyAsync(
                () ->
                        client.wire()
                                .convert(
                                        call(name, wireArgs), type, "the result of `" + name + "`"),
                client.callbacks());
    }

    private JsonNode call(String name, ArrayNode args) {
        Engine engine = client.engine();
        boolean byKey = target instanceof Target.ByKey;
        for (int attempt = 1; ; attempt++) {
            Target route = route(false);
            try {
                return engine.action(engine.settings(), route, params, name, args);
            } catch (RivetError e) {
                // An id found by resolving a key may be stale: look the key up again.
                boolean staleId =
                        byKey
                                && route instanceof Target.ById
                                && e.qualifiedCode().equals("actor.not_found");
                if (staleId) {
                    resolved = null;
                }
                if (attempt >= MAX_ATTEMPTS || !(staleId || Retry.request(e, byKey))) {
                    throw e;
                }
                log.debug("action {} on {}: {}; trying again", name, target, e.qualifiedCode());
                pause();
            }
        }
    }

    /**
     * The actor's id: {@code PUT /actors} (getOrCreate) or {@code GET /actors} (get), then
     * remembered by this handle.
     */
    public String resolve() {
        String id = resolved;
        if (id == null) {
            id = lookUp((Target.ByKey) target);
            resolved = id;
        }
        return id;
    }

    /**
     * Resolves a key, trying again while the engine reports the actor between lives: two
     * getOrCreates of a new key at once may answer {@code actor.destroyed_during_creation} to one
     * of them (seen on Rivet Engine 2.3.19).
     */
    private String lookUp(Target.ByKey key) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.engine().resolve(key);
            } catch (RivetError e) {
                if (attempt >= MAX_ATTEMPTS || !Retry.request(e, true)) {
                    throw e;
                }
                log.debug("resolving {}: {}; trying again", key, e.qualifiedCode());
                pause();
            }
        }
    }

    /**
     * Opens a realtime connection (events, actions over one WebSocket), reconnecting by itself
     * until closed.
     */
    public ActorConnection connect() {
        return connect(params);
    }

    /**
     * As {@link #connect()}, with connection params for {@code onBeforeConnect} and {@code
     * createConnState}.
     */
    public ActorConnection connect(@Nullable Object params) {
        JsonNode tree = params == null ? null : client.wire().tree(params);
        ActorConnection connection = new ActorConnection(client, this, tree);
        connection.start();
        return connection;
    }

    /**
     * This handle with connection params, sent with every stateless action ({@code
     * x-rivet-conn-params}) and connect.
     */
    public ActorHandle withParams(@Nullable Object params) {
        ActorHandle copy =
                new ActorHandle(client, target, params == null ? null : client.wire().tree(params));
        copy.resolved = resolved;
        return copy;
    }

    /**
     * Where requests go: the query gateway for a key when it can carry it, else the id (resolved
     * once, or afresh when {@code fresh}: a connection re-resolves on every attempt so it follows
     * the key to the actor's next life).
     */
    Target route(boolean fresh) {
        if (target instanceof Target.ByKey key && client.engine().queryable(key)) {
            return key;
        }
        if (fresh && target instanceof Target.ByKey key) {
            String id = lookUp(key);
            resolved = id;
            return new Target.ById(target.name(), id);
        }
        return new Target.ById(target.name(), resolve());
    }

    Target target() {
        return target;
    }

    private static void pause() {
        try {
            Thread.sleep(RETRY_SPACING_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientError("interrupted while waiting to retry", e);
        }
    }

    @Override
    public String toString() {
        return switch (target) {
            case Target.ById id -> "ActorHandle[" + id.name() + " " + id.actorId() + "]";
            case Target.ByKey key ->
                    "ActorHandle["
                            + key.name()
                            + " "
                            + (key.create() ? "getOrCreate " : "get ")
                            + key.key()
                            + "]";
        };
    }
}
