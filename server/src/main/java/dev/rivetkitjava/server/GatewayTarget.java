package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.UrlText;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@code /gateway/…} request goes, parsed as the engine's guard does it ({@link
 * GatewayUrl#parse}): the query gateway ({@code
 * /gateway/{name}/…?rvt-method=get|getOrCreate&rvt-key=a,b…}) or the direct one ({@code
 * /gateway/{actorId}[@token]/…}), as the actor module's query.
 *
 * @param actorPath the path inside the actor ({@code /action/x}, {@code /connect}, {@code
 *     /request/…})
 * @param actorQuery the query string meant for the actor (the non-{@code rvt-} parameters), or ""
 * @param token a token carried by the path or {@code rvt-token}, or null
 * @param namespace {@code rvt-namespace}, {@code default} when absent
 */
record GatewayTarget(
        ActorQuery query,
        String actorPath,
        String actorQuery,
        @Nullable String token,
        String namespace) {

    /**
     * Parses {@code path} (starting with {@code /gateway/}) and its raw query string (may be null).
     */
    static GatewayTarget parse(
            String path, @Nullable String rawQuery, WireValues values, int maxInputBytes) {
        GatewayUrl.Parsed parsed;
        try {
            parsed = GatewayUrl.parse(path, rawQuery);
        } catch (GatewayUrl.InvalidException e) {
            throw invalid(e.getMessage());
        }
        ActorQuery query =
                switch (parsed.target()) {
                    case GatewayUrl.ById id -> new ActorQuery.ById(id.actorId());
                    case GatewayUrl.ByQuery q when q.method().equals(GatewayUrl.GET) ->
                            new ActorQuery.Get(q.name(), new ActorKey(q.key()));
                    case GatewayUrl.ByQuery q -> {
                        if (q.runner() == null) {
                            throw new ActorError(
                                    "guard",
                                    "query_missing_pool",
                                    "rvt-method=getOrCreate needs rvt-runner.");
                        }
                        String input = q.input();
                        if (input != null && input.length() > maxInputBytes * 4 / 3 + 4) {
                            throw invalid("rvt-input is larger than " + maxInputBytes + " bytes");
                        }
                        JsonNode inputValue =
                                input == null ? null : values.decodeBase64Cbor(input, true);
                        yield new ActorQuery.GetOrCreate(
                                q.name(), new ActorKey(q.key()), inputValue);
                    }
                };
        return new GatewayTarget(
                query, parsed.actorPath(), parsed.actorQuery(), parsed.token(), parsed.namespace());
    }

    /** A path segment: percent-decoding only ({@code +} stays a plus, unlike in a query). */
    static String decodePath(String segment) {
        try {
            return UrlText.decodePath(segment);
        } catch (IllegalArgumentException e) {
            throw invalid("bad percent-encoding in `" + segment + "`");
        }
    }

    private static ActorError invalid(@Nullable String why) {
        return new ActorError(
                "guard", "query_invalid_params", "Invalid gateway query: " + why + ".");
    }
}
