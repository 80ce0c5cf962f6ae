package dev.rivetkitjava.sandboxagent.persist;

import org.jspecify.annotations.Nullable;

/**
 * The keyset cursors every driver uses, so a cursor stays valid while old events are trimmed: an
 * event cursor is the index of the last event read; a session cursor is the {@code (createdAt, id)}
 * of the last session read.
 */
public final class Cursors {

    private Cursors() {}

    /** The position after a session, in {@code (createdAt, id)} order. */
    public record SessionPosition(long createdAt, String id) {}

    public static String afterEvent(SessionEvent last) {
        return Long.toString(last.eventIndex());
    }

    /** The event index a page starts after: 0 for the first page. */
    public static long eventIndexAfter(PageRequest request) {
        if (request.cursor() == null) {
            return 0;
        }
        try {
            long index = Long.parseLong(request.cursor());
            if (index >= 0) {
                return index;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(request.cursor());
    }

    public static String afterSession(SessionRecord last) {
        return last.createdAt() + ":" + last.id();
    }

    /** The session position a page starts after, or null for the first page. */
    public static @Nullable SessionPosition sessionAfter(PageRequest request) {
        String cursor = request.cursor();
        if (cursor == null) {
            return null;
        }
        int colon = cursor.indexOf(':');
        if (colon > 0) {
            try {
                return new SessionPosition(
                        Long.parseLong(cursor.substring(0, colon)), cursor.substring(colon + 1));
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw invalid(cursor);
    }

    private static IllegalArgumentException invalid(String cursor) {
        return new IllegalArgumentException(
                "invalid cursor: '" + cursor + "' (pass a nextCursor from a previous page)");
    }
}
