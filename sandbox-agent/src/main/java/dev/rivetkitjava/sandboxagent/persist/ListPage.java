package dev.rivetkitjava.sandboxagent.persist;

import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One page of a list.
 *
 * @param nextCursor where the next page starts, or null on the last page
 */
public record ListPage<T>(List<T> items, @Nullable String nextCursor) {

    public ListPage {
        items = List.copyOf(items);
    }

    /**
     * The page of a query that read up to {@code limit + 1} rows: one row more than {@code limit}
     * means another page follows, which starts after the page's last item.
     */
    public static <T> ListPage<T> ofLookahead(
            List<T> rows, int limit, Function<T, String> cursorAfter) {
        if (rows.size() <= limit) {
            return new ListPage<>(rows, null);
        }
        List<T> items = rows.subList(0, limit);
        return new ListPage<>(items, cursorAfter.apply(items.getLast()));
    }

    public boolean hasMore() {
        return nextCursor != null;
    }
}
