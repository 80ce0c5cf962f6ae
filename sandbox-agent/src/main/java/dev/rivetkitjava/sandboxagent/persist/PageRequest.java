package dev.rivetkitjava.sandboxagent.persist;

import org.jspecify.annotations.Nullable;

/**
 * Which page of a list to read.
 *
 * @param cursor the {@link ListPage#nextCursor()} of the previous page, or null for the first page;
 *     opaque
 * @param limit at most this many items (1..1000)
 */
public record PageRequest(@Nullable String cursor, int limit) {

    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_LIMIT + ", got " + limit);
        }
    }

    /** The first page of {@value #DEFAULT_LIMIT} items. */
    public static PageRequest first() {
        return new PageRequest(null, DEFAULT_LIMIT);
    }

    public static PageRequest first(int limit) {
        return new PageRequest(null, limit);
    }

    public PageRequest next(@Nullable String cursor) {
        return new PageRequest(cursor, limit);
    }
}
