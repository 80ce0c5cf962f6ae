package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.spi.ActorQuery;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a {@code /gateway/…} request goes, parsed as the engine's guard does it: the query gateway
 * ({@code /gateway/{name}/…?rvt-method=get|getOrCreate&rvt-key=a,b…}) or the direct one
 * ({@code /gateway/{actorId}[@token]/…}).
 *
 * @param actorPath   the path inside the actor ({@code /action/x}, {@code /connect}, {@code /request/…})
 * @param actorQuery  the query string meant for the actor (the non-{@code rvt-} parameters), or ""
 * @param token       a token carried by the path or {@code rvt-token}, or null
 * @param namespace   {@code rvt-namespace}, {@code default} when absent
 */
record GatewayTarget(ActorQuery query, String actorPath, String actorQuery, String token, String namespace) {
    private static final Set<String> QUERY_PARAMS = Set.of("rvt-namespace", "rvt-method", "rvt-runner", "rvt-key",
            "rvt-input", "rvt-region", "rvt-crash-policy", "rvt-token", "rvt-skip-ready-wait");
    private static final Set<String> GET_FORBIDS = Set.of("rvt-runner", "rvt-input", "rvt-region", "rvt-crash-policy");

    /** Parses {@code path} (starting with {@code /gateway/}) and its raw query string (may be null). */
    static GatewayTarget parse(String path, String rawQuery, WireValues values, int maxInputBytes) {
        String rest = path.substring("/gateway/".length());
        int slash = rest.indexOf('/');
        String segment = decodePath(slash < 0 ? rest : rest.substring(0, slash));
        String actorPath = slash < 0 ? "/" : rest.substring(slash);
        if (segment.isEmpty()) {
            throw invalid("the gateway path names no actor");
        }
        Map<String, String> rivet = new LinkedHashMap<>();
        List<String> forActor = new ArrayList<>();
        if (rawQuery != null && !rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                if (!name.startsWith("rvt-")) {
                    forActor.add(pair);
                    continue;
                }
                if (!QUERY_PARAMS.contains(name)) {
                    throw invalid("unknown query parameter `" + name + "`");
                }
                if (rivet.put(name, eq < 0 ? "" : decode(pair.substring(eq + 1))) != null) {
                    throw invalid("query parameter `" + name + "` is given twice");
                }
            }
        }
        String actorQuery = String.join("&", forActor);
        String namespace = rivet.getOrDefault("rvt-namespace", "default");
        String method = rivet.get("rvt-method");
        if (method == null) {
            if (rivet.containsKey("rvt-key") || rivet.containsKey("rvt-input")) {
                throw invalid("rvt-key and rvt-input need rvt-method");
            }
            int at = segment.indexOf('@');
            String id = at < 0 ? segment : segment.substring(0, at);
            String token = at < 0 ? rivet.get("rvt-token") : segment.substring(at + 1);
            return new GatewayTarget(new ActorQuery.ById(id), actorPath, actorQuery, token, namespace);
        }
        ActorKey key = rivet.containsKey("rvt-key") ? new ActorKey(List.of(rivet.get("rvt-key").split(",", -1)))
                : ActorKey.empty();
        ActorQuery query = switch (method) {
            case "get" -> {
                for (String forbidden : GET_FORBIDS) {
                    if (rivet.containsKey(forbidden)) {
                        throw invalid("`" + forbidden + "` is not allowed with rvt-method=get");
                    }
                }
                yield new ActorQuery.Get(segment, key);
            }
            case "getOrCreate" -> {
                if (!rivet.containsKey("rvt-runner")) {
                    throw new ActorError("guard", "query_missing_pool", "rvt-method=getOrCreate needs rvt-runner.");
                }
                String input = rivet.get("rvt-input");
                if (input != null && input.length() > maxInputBytes * 4 / 3 + 4) {
                    throw invalid("rvt-input is larger than " + maxInputBytes + " bytes");
                }
                JsonNode inputValue = input == null ? null : values.decodeBase64Cbor(input, true);
                yield new ActorQuery.GetOrCreate(segment, key, inputValue);
            }
            default -> throw invalid("rvt-method must be get or getOrCreate, not `" + method + "`");
        };
        return new GatewayTarget(query, actorPath, actorQuery, rivet.get("rvt-token"), namespace);
    }

    /** A path segment: percent-decoding only ({@code +} stays a plus, unlike in a query). */
    static String decodePath(String segment) {
        return decode(segment.replace("+", "%2B"));
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid("bad percent-encoding in `" + value + "`");
        }
    }

    private static ActorError invalid(String why) {
        return new ActorError("guard", "query_invalid_params", "Invalid gateway query: " + why + ".");
    }
}
