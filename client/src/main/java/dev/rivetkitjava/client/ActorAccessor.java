package dev.rivetkitjava.client;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The actors of one type: handles by key or id, and creation. Handles are cheap; nothing is sent
 * until used.
 */
public final class ActorAccessor {
    private final RivetClient client;
    private final String name;

    ActorAccessor(RivetClient client, String name) {
        this.client = client;
        this.name = name;
    }

    /** An existing actor by key; calls fail with {@code actor.not_found} if there is none. */
    public ActorHandle get(String... key) {
        return get(RivetClient.listOf(key));
    }

    public ActorHandle get(List<String> key) {
        return new ActorHandle(client, new Target.ByKey(name, key, false, null), null);
    }

    /** The actor with this key, created (without input) on first use if there is none. */
    public ActorHandle getOrCreate(String... key) {
        return getOrCreate(RivetClient.listOf(key));
    }

    public ActorHandle getOrCreate(List<String> key) {
        return getOrCreate(key, null);
    }

    /**
     * As {@link #getOrCreate(List)}; {@code input} reaches {@code createState}/{@code onCreate} if
     * this creates it.
     */
    public ActorHandle getOrCreate(List<String> key, @Nullable Object input) {
        return new ActorHandle(
                client,
                new Target.ByKey(name, key, true, input == null ? null : client.wire().tree(input)),
                null);
    }

    /**
     * Creates the actor now ({@code POST /actors}); {@code actor.duplicate_key} if the key is
     * taken.
     */
    public ActorHandle create(List<String> key) {
        return create(key, null);
    }

    public ActorHandle create(List<String> key, @Nullable Object input) {
        Objects.requireNonNull(key, "key");
        String id =
                client.engine().create(name, key, input == null ? null : client.wire().tree(input));
        return getForId(id);
    }

    /** One actor by id, through the direct gateway. */
    public ActorHandle getForId(String actorId) {
        return new ActorHandle(
                client, new Target.ById(name, Objects.requireNonNull(actorId, "actorId")), null);
    }

    public String name() {
        return name;
    }
}
