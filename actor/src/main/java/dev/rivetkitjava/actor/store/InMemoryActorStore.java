package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A store in the heap, for unit tests and throwaway runs: nothing survives the process.
 * Byte arrays are copied in and out, so callers never share them with the store.
 */
public final class InMemoryActorStore implements ActorStore {
    private record NameKey(String name, String serializedKey) {
    }

    private final Map<String, ActorRecord> byId = new HashMap<>();
    private final Map<NameKey, String> idByKey = new HashMap<>();
    private final Map<String, TreeMap<String, ScheduledEvent>> schedulesByActor = new HashMap<>();

    @Override
    public synchronized ActorRecord insertIfAbsent(NewActor actor) {
        NameKey nameKey = new NameKey(actor.name(), actor.key().serialize());
        String existing = idByKey.get(nameKey);
        if (existing != null) {
            return detached(byId.get(existing));
        }
        ActorRecord record = new ActorRecord(actor.id(), actor.name(), actor.key(), actor.createdAtMillis(),
                copy(actor.input()), null, 0, 0);
        byId.put(actor.id(), record);
        idByKey.put(nameKey, actor.id());
        return detached(record);
    }

    @Override
    public synchronized Optional<ActorRecord> findById(String id) {
        return Optional.ofNullable(byId.get(id)).map(InMemoryActorStore::detached);
    }

    @Override
    public synchronized Optional<ActorRecord> findByKey(String name, ActorKey key) {
        String id = idByKey.get(new NameKey(name, key.serialize()));
        return id == null ? Optional.empty() : Optional.of(detached(byId.get(id)));
    }

    @Override
    public synchronized List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        byte[] after = afterKey == null ? null : utf8(afterKey);
        return byId.values().stream()
                .filter(r -> r.name().equals(name))
                .filter(r -> after == null || Arrays.compareUnsigned(utf8(r.key()), after) > 0)
                .sorted(Comparator.comparing(r -> utf8(r.key()), Arrays::compareUnsigned))
                .limit(limit)
                .map(InMemoryActorStore::detached)
                .toList();
    }

    @Override
    public synchronized Optional<ActorRecord> claim(String id) {
        ActorRecord current = byId.get(id);
        if (current == null) {
            return Optional.empty();
        }
        ActorRecord claimed = new ActorRecord(current.id(), current.name(), current.key(), current.createdAtMillis(),
                current.input(), current.state(), current.stateVersion(), current.generation() + 1);
        byId.put(id, claimed);
        return Optional.of(detached(claimed));
    }

    @Override
    public synchronized Set<String> saveStates(List<StateWrite> writes) {
        Set<String> skipped = new HashSet<>();
        for (StateWrite write : writes) {
            ActorRecord current = byId.get(write.actorId());
            if (current == null || current.generation() != write.generation()) {
                skipped.add(write.actorId());
                continue;
            }
            byId.put(write.actorId(), new ActorRecord(current.id(), current.name(), current.key(),
                    current.createdAtMillis(), current.input(), copy(write.state()), write.stateVersion(),
                    current.generation()));
        }
        return skipped;
    }

    @Override
    public synchronized void delete(String id) {
        ActorRecord removed = byId.remove(id);
        if (removed != null) {
            idByKey.remove(new NameKey(removed.name(), removed.key().serialize()));
        }
        schedulesByActor.remove(id);
    }

    @Override
    public synchronized void putSchedule(ScheduledEvent event) {
        // A schedule for a deleted actor would outlive it and wake nothing.
        if (!byId.containsKey(event.actorId())) {
            return;
        }
        schedulesByActor.computeIfAbsent(event.actorId(), id -> new TreeMap<>()).put(event.id(), detached(event));
    }

    @Override
    public synchronized boolean deleteSchedule(String actorId, String eventId) {
        TreeMap<String, ScheduledEvent> events = schedulesByActor.get(actorId);
        if (events == null || events.remove(eventId) == null) {
            return false;
        }
        if (events.isEmpty()) {
            schedulesByActor.remove(actorId);
        }
        return true;
    }

    @Override
    public synchronized List<ScheduledEvent> schedules(String actorId) {
        return schedulesByActor.getOrDefault(actorId, new TreeMap<>()).values().stream()
                .sorted(Comparator.comparingLong(ScheduledEvent::fireAtMillis).thenComparing(ScheduledEvent::id))
                .map(InMemoryActorStore::detached)
                .toList();
    }

    @Override
    public synchronized List<ActorAlarm> alarms() {
        List<ActorAlarm> alarms = new ArrayList<>();
        schedulesByActor.forEach((actorId, events) -> events.values().stream()
                .mapToLong(ScheduledEvent::fireAtMillis).min()
                .ifPresent(at -> alarms.add(new ActorAlarm(actorId, at))));
        alarms.sort(Comparator.comparingLong(ActorAlarm::fireAtMillis));
        return alarms;
    }

    @Override
    public void close() {
    }

    private static byte[] copy(byte[] bytes) {
        return bytes == null ? null : bytes.clone();
    }

    private static ActorRecord detached(ActorRecord r) {
        return new ActorRecord(r.id(), r.name(), r.key(), r.createdAtMillis(), copy(r.input()), copy(r.state()),
                r.stateVersion(), r.generation());
    }

    private static ScheduledEvent detached(ScheduledEvent e) {
        return new ScheduledEvent(e.id(), e.actorId(), e.fireAtMillis(), e.action(), copy(e.args()));
    }

    /** Lists order by the key's UTF-8 bytes, as byte-comparing databases do, not by UTF-16 units. */
    private static byte[] utf8(ActorKey key) {
        return key.serialize().getBytes(StandardCharsets.UTF_8);
    }
}
