package dev.rivetkitjava.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a client says when it opens {@code /connect}: everything travels in WebSocket subprotocols,
 * as RivetKit's client sends them. {@value #RIVET} (which the server must echo or the client gives
 * up), then {@code rivet_encoding.{json|cbor|bare}}, the connection params as URL-encoded JSON in
 * {@code rivet_conn_params.*}, a token in {@code rivet_token.*}, and for a connection straight to
 * an actor id {@code rivet_target.actor} with {@code rivet_actor.{id}}.
 *
 * <p>{@link #builder} makes the list a client offers; {@link #parse} reads it back on the server.
 */
public final class Subprotocols {
    /** The protocol every RivetKit WebSocket offers and the server echoes. */
    public static final String RIVET = "rivet";

    public static final String ENCODING_PREFIX = "rivet_encoding.";
    public static final String CONN_PARAMS_PREFIX = "rivet_conn_params.";
    public static final String TOKEN_PREFIX = "rivet_token.";
    public static final String TARGET_PREFIX = "rivet_target.";

    /**
     * {@code rivet_target.actor}: the connection names its actor by id in {@link #ACTOR_PREFIX}.
     */
    public static final String TARGET_ACTOR = TARGET_PREFIX + "actor";

    public static final String ACTOR_PREFIX = "rivet_actor.";

    /**
     * What a client's subprotocols said.
     *
     * @param encodingName the {@code rivet_encoding.} name as given ({@code json} when absent); see
     *     {@link Encoding#fromWireName}
     * @param connParams the connection params' JSON text, URL-decoded, or null
     * @param token the {@code rivet_token.} value, or null
     * @param actorId the {@code rivet_actor.} id, or null
     */
    public record Offer(
            String encodingName,
            @Nullable String connParams,
            @Nullable String token,
            @Nullable String actorId) {}

    private Subprotocols() {}

    /** The list a client offers, {@value #RIVET} first; start with the encoding. */
    public static Builder builder(Encoding encoding) {
        return new Builder(encoding);
    }

    /**
     * Reads a client's subprotocols; unknown ones are ignored, a later one of a kind wins.
     *
     * @throws IllegalArgumentException when the conn params or the actor id are not valid
     *     percent-encoding
     */
    public static Offer parse(Iterable<String> protocols) {
        String encodingName = Encoding.JSON.wireName();
        String connParams = null;
        String token = null;
        String actorId = null;
        for (String protocol : protocols) {
            if (protocol.startsWith(ENCODING_PREFIX)) {
                encodingName = protocol.substring(ENCODING_PREFIX.length());
            } else if (protocol.startsWith(CONN_PARAMS_PREFIX)) {
                connParams = UrlText.decode(protocol.substring(CONN_PARAMS_PREFIX.length()));
            } else if (protocol.startsWith(TOKEN_PREFIX)) {
                token = protocol.substring(TOKEN_PREFIX.length());
            } else if (protocol.startsWith(ACTOR_PREFIX)) {
                actorId = UrlText.decodePath(protocol.substring(ACTOR_PREFIX.length()));
            }
        }
        return new Offer(encodingName, connParams, token, actorId);
    }

    /**
     * Whether {@code s} may be sent as a WebSocket subprotocol value (an HTTP token): a token that
     * is not one has to travel in the URL instead.
     */
    public static boolean isToken(@Nullable String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok =
                    c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Builds the offered list in the order RivetKit's client sends it. */
    public static final class Builder {
        private final Encoding encoding;
        private @Nullable String connParams;
        private @Nullable String token;
        private @Nullable String actorId;

        private Builder(Encoding encoding) {
            this.encoding = Objects.requireNonNull(encoding, "encoding");
        }

        /**
         * The connection params as JSON text (keep it ASCII: it is URL-encoded here); null for
         * none.
         */
        public Builder connParams(@Nullable String json) {
            this.connParams = json;
            return this;
        }

        /** A token; null for none. It must be {@link #isToken an HTTP token}. */
        public Builder token(@Nullable String token) {
            if (token != null && !isToken(token)) {
                throw new IllegalArgumentException(
                        "a token that is not an HTTP token cannot be a subprotocol");
            }
            this.token = token;
            return this;
        }

        /**
         * Connects straight to an actor by id ({@code rivet_target.actor} + {@code
         * rivet_actor.{id}}); null for none.
         */
        public Builder actor(@Nullable String actorId) {
            this.actorId = actorId;
            return this;
        }

        public List<String> build() {
            List<String> protocols = new ArrayList<>();
            protocols.add(RIVET);
            if (actorId != null) {
                protocols.add(TARGET_ACTOR);
                protocols.add(ACTOR_PREFIX + UrlText.component(actorId));
            }
            protocols.add(ENCODING_PREFIX + encoding.wireName());
            if (connParams != null) {
                protocols.add(CONN_PARAMS_PREFIX + UrlText.component(connParams));
            }
            if (token != null) {
                protocols.add(TOKEN_PREFIX + token);
            }
            return protocols;
        }
    }
}
