package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where actors live while they sleep: their identity, state, schedules and key-value entries.
 *
 * <p>Every implementation passes the same contract test ({@code ActorStoreContract} in this
 * module's test jar). Methods are safe to call from many threads. Writes are durable when the
 * method returns.
 */
public interface ActorStore extends AutoCloseable {

    /**
     * Inserts {@code actor} unless an actor with the same name and key exists. Atomic per (name,
     * key): of any number of concurrent callers, one inserts and all get that record.
     */
    ActorRecord insertIfAbsent(NewActor actor);

    Optional<ActorRecord> findById(String id);

    Optional<ActorRecord> findByKey(String name, ActorKey key);

    /**
     * Actors of one type, ordered by the UTF-8 bytes of their serialized key, starting after {@code
     * afterKey} (exclusive, may be null).
     */
    List<ActorRecord> list(String name, @Nullable ActorKey afterKey, int limit);

    /**
     * Starts a new activation: increments the generation and returns the record with it, or empty
     * when the actor does not exist. Saves carrying an older generation are rejected from then on.
     */
    Optional<ActorRecord> claim(String id);

    /**
     * Applies the writes in one transaction. A write whose generation no longer matches the stored
     * one (another activation claimed the actor) or whose actor is gone is skipped.
     *
     * @return the ids of the skipped writes
     */
    Set<String> saveStates(List<StateWrite> writes);

    /** Deletes the actor, its schedules and its key-value entries; the key becomes free. */
    void delete(String id);

    /** Adds or replaces (by id) a scheduled event; ignored when the actor does not exist. */
    void putSchedule(ScheduledEvent event);

    /**
     * @return whether the event existed
     */
    boolean deleteSchedule(String actorId, String eventId);

    /** The actor's scheduled events, earliest first. */
    List<ScheduledEvent> schedules(String actorId);

    /** For every actor with scheduled events, the earliest one. */
    List<ActorAlarm> alarms();

    /** The value under {@code key} in the actor's key-value store, or empty. */
    Optional<byte[]> kvGet(String actorId, String key);

    /**
     * The actor's entries whose key starts with {@code prefix} (empty: all) and sorts after {@code
     * afterKey} (exclusive, may be null), at most {@code limit}, ordered by the UTF-8 bytes of the
     * key.
     */
    List<KvEntry> kvList(String actorId, String prefix, @Nullable String afterKey, int limit);

    /**
     * Applies {@code batch} to the actor's key-value store in one transaction, only while the
     * stored generation still equals {@code generation}: a stale activation (or one of a deleted
     * actor) writes nothing.
     *
     * @return whether it was applied
     */
    boolean kvWrite(String actorId, long generation, KvBatch batch);

    @Override
    void close();
}
