package dev.rivetkitjava.sandboxagent.persist;

import java.util.List;

/**
 * One page of a list.
 *
 * @param nextCursor where the next page starts, or null on the last page
 */
public record ListPage<T>(List<T> items, String nextCursor) {

    public ListPage {
        items = List.copyOf(items);
    }

    public boolean hasMore() {
        return nextCursor != null;
    }
}
