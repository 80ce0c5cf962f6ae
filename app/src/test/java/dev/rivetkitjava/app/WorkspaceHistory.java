package dev.rivetkitjava.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.ActorHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A workspace's whole timeline, read a page at a time as the page reads it: {@code getHistory()},
 * then older pages.
 */
final class WorkspaceHistory {
    private WorkspaceHistory() {}

    /** Every entry {@code {seq, event, data}}, oldest first. */
    static List<JsonNode> all(ActorHandle workspace) {
        List<JsonNode> entries =
                new ArrayList<>(
                        workspace.action("getHistory", JsonNode.class).valueStream().toList());
        while (!entries.isEmpty()) {
            JsonNode older =
                    workspace.action(
                            "getHistory",
                            JsonNode.class,
                            Map.of("beforeSeq", entries.get(0).path("seq").asLong(), "limit", 500));
            if (older.isEmpty()) {
                break;
            }
            entries.addAll(0, older.valueStream().toList());
        }
        return entries;
    }
}
