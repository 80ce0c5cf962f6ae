package dev.rivetkitjava.actor;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An actor's key: a tuple of strings that names one actor of a type, as in RivetKit ({@code
 * ["workspace-42"]}).
 *
 * <p>{@link #serialize()} gives RivetKit's one-string form (components joined by {@code /}, with
 * {@code \} and {@code /} escaped and an empty component written {@code \0}); {@link
 * #parse(String)} reverses it. In JSON a key is an array of strings, as {@code c.key} is in
 * RivetKit.
 */
public record ActorKey(@JsonValue List<String> components) {
    /** RivetKit's client-side limit for one component, in UTF-8 bytes. */
    public static final int MAX_COMPONENT_BYTES = 128;

    /** RivetKit's limit for the serialized key, in UTF-8 bytes. */
    public static final int MAX_SERIALIZED_BYTES = 1024;

    @JsonCreator
    public ActorKey {
        components = List.copyOf(components);
        for (String component : components) {
            if (component.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                throw ActorErrors.invalidKey(
                        "a key component is longer than " + MAX_COMPONENT_BYTES + " bytes");
            }
        }
    }

    public static ActorKey of(String... components) {
        for (String component : components) {
            if (component == null) {
                throw ActorErrors.invalidKey("a key component is null");
            }
        }
        return new ActorKey(List.of(components));
    }

    public static ActorKey empty() {
        return new ActorKey(List.of());
    }

    /** The component at {@code index}, like {@code c.key[0]} in TypeScript. */
    public String get(int index) {
        return components.get(index);
    }

    public int size() {
        return components.size();
    }

    /** RivetKit's serialized form; validated against {@link #MAX_SERIALIZED_BYTES}. */
    public String serialize() {
        if (components.isEmpty()) {
            return "/";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < components.size(); i++) {
            if (i > 0) {
                out.append('/');
            }
            String component = components.get(i);
            if (component.isEmpty()) {
                out.append("\\0");
                continue;
            }
            for (int j = 0; j < component.length(); j++) {
                char ch = component.charAt(j);
                if (ch == '\\' || ch == '/') {
                    out.append('\\');
                }
                out.append(ch);
            }
        }
        String serialized = out.toString();
        if (serialized.getBytes(StandardCharsets.UTF_8).length > MAX_SERIALIZED_BYTES) {
            throw ActorErrors.invalidKey(
                    "the serialized key is longer than " + MAX_SERIALIZED_BYTES + " bytes");
        }
        return serialized;
    }

    /**
     * Parses RivetKit's serialized form; a malformed escape is an {@code actor.invalid_key} error.
     */
    public static ActorKey parse(String serialized) {
        if (serialized.equals("/")) {
            return empty();
        }
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean emptyMarker = false;
        for (int i = 0; i < serialized.length(); i++) {
            char ch = serialized.charAt(i);
            if (ch == '\\') {
                if (i + 1 >= serialized.length()) {
                    throw ActorErrors.invalidKey("the key ends with a lone backslash");
                }
                char next = serialized.charAt(++i);
                if (next == '0'
                        && current.isEmpty()
                        && (i + 1 == serialized.length() || serialized.charAt(i + 1) == '/')) {
                    emptyMarker = true;
                } else if (next == '\\' || next == '/') {
                    current.append(next);
                } else {
                    throw ActorErrors.invalidKey("the key has an unknown escape \\" + next);
                }
            } else if (ch == '/') {
                parts.add(emptyMarker ? "" : current.toString());
                current.setLength(0);
                emptyMarker = false;
            } else {
                current.append(ch);
            }
        }
        parts.add(emptyMarker ? "" : current.toString());
        ActorKey key = new ActorKey(parts);
        key.serialize();
        return key;
    }

    @Override
    public String toString() {
        return components.toString();
    }
}
