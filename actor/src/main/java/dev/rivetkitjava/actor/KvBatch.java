package dev.rivetkitjava.actor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Changes to one actor's key-value store, applied in one atomic write: first the deletes and prefix
 * deletes, then the puts (so a batch can clear a range and refill it).
 *
 * <p>Keys are non-empty, well-formed Unicode (no unpaired surrogate) and at most {@value
 * #MAX_KEY_BYTES} bytes as UTF-8; values are non-null. A bad key or value is refused when the batch
 * is built, before anything is written.
 */
public record KvBatch(Map<String, byte[]> puts, List<String> deletes, List<String> deletePrefixes) {
    public static final int MAX_KEY_BYTES = 1024;

    public KvBatch {
        Map<String, byte[]> checkedPuts = new LinkedHashMap<>();
        puts.forEach(
                (key, value) ->
                        checkedPuts.put(
                                checkKey(key),
                                Objects.requireNonNull(
                                        value, () -> "the value of kv key '" + key + "' is null")));
        puts = Collections.unmodifiableMap(checkedPuts);
        deletes.forEach(KvBatch::checkKey);
        deletes = List.copyOf(deletes);
        deletePrefixes.forEach(KvBatch::checkKey);
        deletePrefixes = List.copyOf(deletePrefixes);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean isEmpty() {
        return puts.isEmpty() && deletes.isEmpty() && deletePrefixes.isEmpty();
    }

    /**
     * Refuses a key the store could not keep exactly: null, empty, too long, or with an unpaired
     * surrogate (which UTF-8 cannot encode, so two different keys would collide).
     *
     * @return {@code key}
     */
    public static String checkKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException(
                    "a kv key must not be " + (key == null ? "null" : "empty"));
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < key.length()
                    && Character.isLowSurrogate(key.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(
                        "kv key has an unpaired surrogate at index " + i + ": '" + key + "'");
            }
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "kv key is "
                            + bytes
                            + " bytes as UTF-8, more than the "
                            + MAX_KEY_BYTES
                            + " allowed: '"
                            + key.substring(0, 40)
                            + "…'");
        }
        return key;
    }

    /** Collects the changes of one batch. */
    public static final class Builder {
        private final Map<String, byte[]> puts = new LinkedHashMap<>();
        private final List<String> deletes = new ArrayList<>();
        private final List<String> deletePrefixes = new ArrayList<>();

        private Builder() {}

        public Builder put(String key, byte[] value) {
            puts.put(key, value);
            return this;
        }

        public Builder delete(String key) {
            deletes.add(key);
            return this;
        }

        /** Deletes every key that starts with {@code prefix}. */
        public Builder deletePrefix(String prefix) {
            deletePrefixes.add(prefix);
            return this;
        }

        public KvBatch build() {
            return new KvBatch(puts, deletes, deletePrefixes);
        }
    }
}
