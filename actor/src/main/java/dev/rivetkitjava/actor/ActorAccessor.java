package dev.rivetkitjava.actor;

import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.Placement;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Handles to the actors of one type: {@code client.counter} in RivetKit's client. */
public final class ActorAccessor {
    private final Placement placement;
    private final Json json;
    private final String name;

    ActorAccessor(Placement placement, Json json, String name) {
        this.placement = placement;
        this.json = json;
        this.name = name;
    }

    /** An existing actor; calls fail with {@code actor.not_found} if there is none. */
    public ActorHandle get(ActorKey key) {
        return handle(new ActorQuery.Get(name, key));
    }

    /** As {@link #get(ActorKey)}, the key given by its components, as in the remote client. */
    public ActorHandle get(String... key) {
        return get(ActorKey.of(key));
    }

    public ActorHandle get(List<String> key) {
        return get(keyOf(key));
    }

    /** The actor with this key, created on first use. */
    public ActorHandle getOrCreate(ActorKey key) {
        return getOrCreate(key, null);
    }

    public ActorHandle getOrCreate(String... key) {
        return getOrCreate(ActorKey.of(key));
    }

    public ActorHandle getOrCreate(List<String> key) {
        return getOrCreate(keyOf(key), null);
    }

    /** The actor with this key, created on first use with {@code input} for {@code createState}. */
    public ActorHandle getOrCreate(ActorKey key, @Nullable Object input) {
        return handle(new ActorQuery.GetOrCreate(name, key, input));
    }

    public ActorHandle getOrCreate(List<String> key, @Nullable Object input) {
        return getOrCreate(keyOf(key), input);
    }

    /** Creates the actor now; {@code actor.duplicate_key} if one with this key exists. */
    public ActorHandle create(ActorKey key, @Nullable Object input) {
        String id = placement.resolve(new ActorQuery.Create(name, key, input));
        return getForId(id);
    }

    public ActorHandle create(List<String> key) {
        return create(keyOf(key), null);
    }

    public ActorHandle create(List<String> key, @Nullable Object input) {
        return create(keyOf(key), input);
    }

    public ActorHandle getForId(String actorId) {
        return handle(new ActorQuery.ById(actorId));
    }

    public String name() {
        return name;
    }

    private static ActorKey keyOf(List<String> key) {
        return ActorKey.of(key.toArray(String[]::new));
    }

    private ActorHandle handle(ActorQuery query) {
        return new ActorHandle(placement, json, query);
    }
}
