package dev.rivetkitjava.actor.store;

import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.KvBatch;
import dev.rivetkitjava.actor.KvEntry;
import dev.rivetkitjava.actor.ScheduledEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A store in the heap, for unit tests and throwaway runs: nothing survives the process. Byte arrays
 * are copied in and out, so callers never share them with the store.
 */
public final class InMemoryActorStore implements ActorStore {
    private record NameKey(String name, String serializedKey) {}

    private final Map<String, ActorRecord> byId = new HashMap<>();
    private final Map<NameKey, String> idByKey = new HashMap<>();
    private final Map<String, TreeMap<String, ScheduledEvent>> schedulesByActor = new HashMap<>();
    private final Map<String, TreeMap<String, byte[]>> kvByActor = new HashMap<>();

    @Override
    public synchronized ActorRecord insertIfAbsent(NewActor actor) {
        NameKey nameKey = new NameKey(actor.name(), actor.key().serialize());
        String existing = idByKey.get(nameKey);
        if (existing != null) {
            // idByKey and byId change together: the id is in byId.
            return detached(Objects.requireNonNull(byId.get(existing)));
        }
        ActorRecord record =
                new ActorRecord(
                        actor.id(),
                        actor.name(),
                        actor.key(),
                        actor.createdAtMillis(),
                        copy(actor.input()),
                        null,
                        0,
                        0);
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
        return id == null
                ? Optional.empty()
                : Optional.of(detached(Objects.requireNonNull(byId.get(id))));
    }

    @Override
    public synchronized List<ActorRecord> list(
            String name, @Nullable ActorKey afterKey, int limit) {
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
        ActorRecord claimed =
                new ActorRecord(
                        current.id(),
                        current.name(),
                        current.key(),
                        current.createdAtMillis(),
                        current.input(),
                        current.state(),
                        current.stateVersion(),
                        current.generation() + 1);
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
            byId.put(
                    write.actorId(),
                    new ActorRecord(
                            current.id(),
                            current.name(),
                            current.key(),
                            current.createdAtMillis(),
                            current.input(),
                            copy(write.state()),
                            write.stateVersion(),
                            current.generation()));
            if (!write.kv().isEmpty()) {
                applyKv(write.actorId(), write.kv());
            }
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
        kvByActor.remove(id);
    }

    @Override
    public synchronized void putSchedule(ScheduledEvent event) {
        // A schedule for a deleted actor would outlive it and wake nothing.
        if (!byId.containsKey(event.actorId())) {
            return;
        }
        schedulesByActor
                .computeIfAbsent(event.actorId(), id -> new TreeMap<>())
                .put(event.id(), detached(event));
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
                .sorted(
                        Comparator.comparingLong(ScheduledEvent::fireAtMillis)
                                .thenComparing(ScheduledEvent::id))
                .map(InMemoryActorStore::detached)
                .toList();
    }

    @Override
    public synchronized List<ActorAlarm> alarms() {
        List<ActorAlarm> alarms = new ArrayList<>();
        schedulesByActor.forEach(
                (actorId, events) ->
                        events.values().stream()
                                .mapToLong(ScheduledEvent::fireAtMillis)
                                .min()
                                .ifPresent(at -> alarms.add(new ActorAlarm(actorId, at))));
        alarms.sort(Comparator.comparingLong(ActorAlarm::fireAtMillis));
        return alarms;
    }

    @Override
    public synchronized Optional<byte[]> kvGet(String actorId, String key) {
        TreeMap<String, byte[]> entries = kvByActor.get(actorId);
        return entries == null
                ? Optional.empty()
                : Optional.ofNullable(entries.get(key)).map(byte[]::clone);
    }

    @Override
    public synchronized List<KvEntry> kvList(
            String actorId, String prefix, @Nullable String afterKey, int limit) {
        TreeMap<String, byte[]> entries = kvByActor.get(actorId);
        if (entries == null || limit <= 0) {
            return List.of();
        }
        SortedMap<String, byte[]> from =
                afterKey == null || CODE_POINT_ORDER.compare(afterKey, prefix) < 0
                        ? entries.tailMap(prefix, true)
                        : entries.tailMap(afterKey, false);
        List<KvEntry> page = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : from.entrySet()) {
            if (!entry.getKey().startsWith(prefix) || page.size() == limit) {
                break;
            }
            page.add(new KvEntry(entry.getKey(), entry.getValue().clone()));
        }
        return page;
    }

    @Override
    public synchronized boolean kvWrite(String actorId, long generation, KvBatch batch) {
        ActorRecord actor = byId.get(actorId);
        if (actor == null || actor.generation() != generation) {
            return false;
        }
        applyKv(actorId, batch);
        return true;
    }

    private void applyKv(String actorId, KvBatch batch) {
        TreeMap<String, byte[]> entries =
                kvByActor.computeIfAbsent(actorId, id -> new TreeMap<>(CODE_POINT_ORDER));
        batch.deletes().forEach(entries::remove);
        for (String prefix : batch.deletePrefixes()) {
            entries.tailMap(prefix, true).keySet().removeIf(key -> key.startsWith(prefix));
        }
        batch.puts().forEach((key, value) -> entries.put(key, value.clone()));
        if (entries.isEmpty()) {
            kvByActor.remove(actorId);
        }
    }

    @Override
    public void close() {}

    private static byte @Nullable [] copy(byte @Nullable [] bytes) {
        return bytes == null ? null : bytes.clone();
    }

    private static ActorRecord detached(ActorRecord r) {
        return new ActorRecord(
                r.id(),
                r.name(),
                r.key(),
                r.createdAtMillis(),
                copy(r.input()),
                copy(r.state()),
                r.stateVersion(),
                r.generation());
    }

    private static ScheduledEvent detached(ScheduledEvent e) {
        return new ScheduledEvent(
                e.id(), e.actorId(), e.fireAtMillis(), e.action(), copy(e.args()));
    }

    /**
     * The order of UTF-8 bytes, which is code point order: {@link String#compareTo} differs between
     * U+E000–U+FFFF and supplementary characters. Keys that share a prefix stay together, so a
     * prefix is a contiguous range.
     */
    private static final Comparator<String> CODE_POINT_ORDER =
            (a, b) -> {
                int i = 0;
                int j = 0;
                while (i < a.length() && j < b.length()) {
                    int ca = a.codePointAt(i);
                    int cb = b.codePointAt(j);
                    if (ca != cb) {
                        return Integer.compare(ca, cb);
                    }
                    i += Character.charCount(ca);
                    j += Character.charCount(cb);
                }
                return Integer.compare(a.length() - i, b.length() - j);
            };

    /**
     * Lists order by the key's UTF-8 bytes, as byte-comparing databases do, not by UTF-16 units.
     */
    private static byte[] utf8(ActorKey key) {
        return key.serialize().getBytes(StandardCharsets.UTF_8);
    }
}
