package dev.rivetkitjava.actor;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A raw HTTP request for an actor's {@code onRequest} (RivetKit's {@code handle.fetch(path)}).
 *
 * @param path the path below {@code /request}, starting with {@code /}
 * @param query the query string without {@code ?}, or ""
 */
public record RawRequest(
        String method, String path, String query, Map<String, List<String>> headers, byte[] body) {

    /** The first value of a header, by case-insensitive name, or null. */
    public @Nullable String header(String name) {
        for (Map.Entry<String, List<String>> entry : headers.entrySet()) {
            if (entry.getKey().equalsIgnoreCase(name) && !entry.getValue().isEmpty()) {
                return entry.getValue().get(0);
            }
        }
        return null;
    }
}
