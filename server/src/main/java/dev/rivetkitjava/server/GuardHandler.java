package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.ActorError;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * In front of every route, WebSocket upgrades included: a request for a {@code Host} the server
 * does not answer to (DNS rebinding), or from a page of an origin it does not allow, gets a 403
 * with a RivetKit-shaped error before it reaches anything else; an upgrade is refused then, not
 * upgraded first. Requests without an {@code Origin} (the Node client, curl) only meet the host
 * check.
 */
final class GuardHandler extends Handler.Wrapper {
    private final ServerConfig config;
    private final WireValues values;

    GuardHandler(ServerContext server, Handler next) {
        super(next);
        this.config = server.config();
        this.values = server.values();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        try {
            Guard.host(config, request);
            Guard.origin(config, request);
        } catch (ActorError refused) {
            response.setStatus(ErrorStatus.of(refused));
            response.getHeaders().put("x-rivet-error", refused.qualifiedCode());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(values.bytes(values.error(refused))), callback);
            return true;
        }
        return super.handle(request, response, callback);
    }
}
