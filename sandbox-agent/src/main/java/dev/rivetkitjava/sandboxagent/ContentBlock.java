package dev.rivetkitjava.sandboxagent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One ACP content block of a prompt ({@code {"type":"text","text":…}}, an image, a resource link,
 * …).
 */
public final class ContentBlock {

    private final JsonNode json;

    private ContentBlock(JsonNode json) {
        this.json = json;
    }

    public static ContentBlock text(String text) {
        return new ContentBlock(
                Json.MAPPER.createObjectNode().put("type", "text").put("text", text));
    }

    /** Any block, as ACP defines them; it must be a JSON object with a {@code type}. */
    public static ContentBlock of(JsonNode json) {
        Objects.requireNonNull(json, "json");
        if (!json.isObject() || !json.path("type").isTextual()) {
            throw new IllegalArgumentException(
                    "a content block is a JSON object with a \"type\", got " + json);
        }
        return new ContentBlock(json.deepCopy());
    }

    public JsonNode json() {
        return json.deepCopy();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContentBlock other && json.equals(other.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
