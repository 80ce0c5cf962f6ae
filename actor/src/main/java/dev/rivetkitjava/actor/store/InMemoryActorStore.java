package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** A store in the heap, for unit tests and throwaway runs: nothing survives the process. */
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
            return byId.get(existing);
        }
        ActorRecord record = new ActorRecord(actor.id(), actor.name(), actor.key(), actor.createdAtMillis(),
                copy(actor.input()), null, 0, 0);
        byId.put(actor.id(), record);
        idByKey.put(nameKey, actor.id());
        return record;
    }

    @Override
    public synchronized Optional<ActorRecord> findById(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    @Override
    public synchronized Optional<ActorRecord> findByKey(String name, ActorKey key) {
        String id = idByKey.get(new NameKey(name, key.serialize()));
        return id == null ? Optional.empty() : Optional.of(byId.get(id));
    }

    @Override
    public synchronized List<ActorRecord> list(String name, ActorKey afterKey, int limit) {
        String after = afterKey == null ? null : afterKey.serialize();
        return byId.values().stream()
                .filter(r -> r.name().equals(name))
                .filter(r -> after == null || r.key().serialize().compareTo(after) > 0)
                .sorted(Comparator.comparing(r -> r.key().serialize()))
                .limit(limit)
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
        return Optional.of(claimed);
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
        schedulesByActor.computeIfAbsent(event.actorId(), id -> new TreeMap<>()).put(event.id(), event);
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
        List<ScheduledEvent> events = new ArrayList<>(schedulesByActor.getOrDefault(actorId, new TreeMap<>()).values());
        events.sort(Comparator.comparingLong(ScheduledEvent::fireAtMillis).thenComparing(ScheduledEvent::id));
        return events;
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
}
