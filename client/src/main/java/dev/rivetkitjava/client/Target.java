package dev.rivetkitjava.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which actor a handle means: found by key through the query gateway on every request, or one actor
 * by id.
 */
sealed interface Target {
    String name();

    /**
     * {@code get} or {@code getOrCreate} by key.
     *
     * @param input the input for {@code createState}/{@code onCreate} if this creates the actor;
     *     null for none
     */
    record ByKey(String name, List<String> key, boolean create, @Nullable JsonNode input)
            implements Target {
        public ByKey {
            key = List.copyOf(key);
        }
    }

    record ById(String name, String actorId) implements Target {}
}
