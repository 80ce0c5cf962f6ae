package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.Placement;
import org.jspecify.annotations.Nullable;

/**
 * A way to reach one actor, wherever it runs: stateless action calls, or {@link #connect} for
 * events. Cheap to make; holds no connection.
 */
public final class ActorHandle {
    private final Placement placement;
    private final Json json;
    private final ActorQuery query;

    ActorHandle(Placement placement, Json json, ActorQuery query) {
        this.placement = placement;
        this.json = json;
        this.query = query;
    }

    /** Calls an action and reads its result as {@code resultType}. */
    public <R> @Nullable R action(String name, Class<R> resultType, Object... args) {
        return call(ActionCall.of(name, args), resultType);
    }

    /** Calls an action described in full (with an idempotency key, say). */
    public <R> @Nullable R call(ActionCall call, Class<R> resultType) {
        return json.convert(
                placement.invoke(query, call), resultType, "the result of `" + call.name() + "`");
    }

    /** Opens a connection with {@code params} (null for none). */
    public ActorConnection connect(@Nullable Object params) {
        return new ActorConnection(placement, json, query, params);
    }

    public ActorConnection connect() {
        return connect(null);
    }

    /** The actor's id (creating the actor if this handle is a get-or-create). */
    public String resolve() {
        return placement.resolve(query);
    }

    public ActorQuery query() {
        return query;
    }
}
