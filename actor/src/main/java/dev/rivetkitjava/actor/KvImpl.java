package dev.rivetkitjava.actor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Straight to the store, without the turn: the store serialises writes and the generation fences
 * them.
 */
final class KvImpl implements ActorKv {
    private final ActorCell<?, ?> cell;

    KvImpl(ActorCell<?, ?> cell) {
        this.cell = cell;
    }

    @Override
    public Optional<byte[]> get(String key) {
        KvBatch.checkKey(key);
        cell.requireNotStopped();
        return cell.runtime.store().kvGet(cell.id, key);
    }

    @Override
    public void put(String key, byte[] value) {
        write(KvBatch.builder().put(key, value).build());
    }

    @Override
    public void delete(String key) {
        write(KvBatch.builder().delete(key).build());
    }

    @Override
    public void write(KvBatch batch) {
        Objects.requireNonNull(batch, "batch");
        cell.requireNotStopped();
        if (batch.isEmpty()) {
            return;
        }
        if (!cell.runtime.store().kvWrite(cell.id, cell.generation(), batch)) {
            cell.fenced();
            throw ActorErrors.fenced(cell.id);
        }
    }

    @Override
    public List<KvEntry> list(String prefix, @Nullable String afterKey, int limit) {
        Objects.requireNonNull(prefix, "prefix");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
        cell.requireNotStopped();
        return cell.runtime.store().kvList(cell.id, prefix, afterKey, limit);
    }
}
