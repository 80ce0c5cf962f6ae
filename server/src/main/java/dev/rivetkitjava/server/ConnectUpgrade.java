package dev.rivetkitjava.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.ProtocolException;
import dev.rivetkitjava.protocol.Subprotocols;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerUpgradeRequest;
import org.eclipse.jetty.websocket.server.ServerUpgradeResponse;
import org.eclipse.jetty.websocket.server.WebSocketCreator;

/**
 * Turns a WebSocket upgrade into a {@link ConnectEndpoint}. Everything the client says travels in
 * subprotocols (read by {@link Subprotocols#parse}); {@code rivet} must be echoed or the client
 * gives up. A bad request is still upgraded, then closed with the reason, as the engine does.
 */
final class ConnectUpgrade implements WebSocketCreator {
    private final ServerContext server;

    ConnectUpgrade(ServerContext server) {
        this.server = server;
    }

    @Override
    public Object createWebSocket(
            ServerUpgradeRequest request, ServerUpgradeResponse response, Callback callback) {
        if (request.hasSubProtocol(Subprotocols.RIVET)) {
            response.setAcceptedSubProtocol(Subprotocols.RIVET);
        }
        Subprotocols.Offer offer = Subprotocols.parse(request.getSubProtocols());
        String encodingName = offer.encodingName();
        String paramsText = offer.connParams();
        String token = offer.token();
        String targetActor = offer.actorId();
        Encoding encoding;
        try {
            encoding = Encoding.fromWireName(encodingName);
        } catch (ProtocolException e) {
            return rejected(
                    new ActorError(
                            "actor",
                            "unsupported_websocket_encoding",
                            "Encoding `" + encodingName + "` is not supported."),
                    Encoding.JSON,
                    ConnectEndpoint.CLOSE_UNSUPPORTED);
        }
        if (server.draining().get()) {
            return rejected(Guard.serviceUnavailable(), encoding, ConnectEndpoint.CLOSE_ERROR);
        }
        try {
            String path = Request.getPathInContext(request);
            ActorQuery query;
            if (path.startsWith(GatewayUrl.PATH_PREFIX)) {
                GatewayTarget target =
                        GatewayTarget.parse(
                                path,
                                request.getHttpURI().getQuery(),
                                server.values(),
                                server.config().maxQueryInputBytes());
                Guard.namespace(server.config(), target.namespace());
                Guard.token(server.config(), request, token != null ? token : target.token());
                String actorPath = target.actorPath();
                if (actorPath.equals("/websocket") || actorPath.startsWith("/websocket/")) {
                    String rawPath = actorPath.substring("/websocket".length());
                    return new RawSocketEndpoint(
                            server,
                            target.query(),
                            (rawPath.isEmpty() ? "/" : rawPath)
                                    + (target.actorQuery().isEmpty()
                                            ? ""
                                            : "?" + target.actorQuery()));
                }
                if (!actorPath.equals("/connect")) {
                    throw new ActorError(
                            "actor", "not_found", "Actor route '" + actorPath + "' was not found.");
                }
                query = target.query();
            } else if (path.equals("/connect") && targetActor != null) {
                Guard.token(server.config(), request, token);
                query = new ActorQuery.ById(targetActor);
            } else {
                throw new ActorError("guard", "not_found", "No WebSocket route `" + path + "`.");
            }
            JsonNode params =
                    server.values().params(paramsText, server.config().maxConnParamsBytes());
            return new ConnectEndpoint(server, query, params, encoding, null);
        } catch (ActorError e) {
            return rejected(e, encoding, ConnectEndpoint.CLOSE_ERROR);
        }
    }

    /**
     * An endpoint that tells the client why (in the client's own encoding, so it can read it) and
     * closes.
     */
    private ConnectEndpoint rejected(ActorError error, Encoding encoding, int closeCode) {
        return new ConnectEndpoint(
                server, null, null, encoding, new ConnectEndpoint.Rejection(error, closeCode));
    }
}
