package dev.rivetkitjava.server;

import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.spi.ActorQuery;
import dev.rivetkitjava.actor.spi.Placement;
import dev.rivetkitjava.actor.spi.RawWebSocketTransport;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A raw {@code /websocket/…} socket: frames pass untouched between the client and the actor's
 * {@code onWebSocket}. Public only because Jetty calls the listener methods reflectively; it is
 * made by the server alone.
 */
public final class RawSocketEndpoint extends RawWebSocketTransport
        implements Session.Listener.AutoDemanding {
    private static final Logger log = LoggerFactory.getLogger(RawSocketEndpoint.class);

    private final Placement placement;
    private final Executor executor;
    private final OpenSockets sockets;
    private final ServerMetrics metrics;
    private final ActorQuery query;
    private final String path;
    private volatile @Nullable Session session;
    private final FairReads fairReads = new FairReads();

    RawSocketEndpoint(ServerContext server, ActorQuery query, String path) {
        this.placement = server.placement();
        this.executor = server.executor();
        this.sockets = server.sockets();
        this.metrics = server.metrics();
        this.query = query;
        this.path = path;
        this.maxEarlyBytes = server.config().maxPendingOutboundBytes();
    }

    /**
     * What the client sent before the actor had its listeners on the socket (the official client
     * sends as soon as the socket opens, and on a cluster the actor is a round trip away), given to
     * them in order once it has; null from then on. Guarded by {@link #deliveries}; listeners never
     * run holding it (they wait for the actor's turn).
     */
    private @Nullable List<Runnable> early = new ArrayList<>();

    /** The bytes of the frames {@link #early} holds (guarded by {@link #deliveries}). */
    private long earlyBytes;

    /**
     * What {@link #early} may hold: past this many frames, or past {@code maxEarlyBytes} (the
     * server's {@code maxPendingOutboundBytes}), the socket closes with {@code actor.overloaded}
     * rather than grow the heap while the actor starts.
     */
    static final int MAX_EARLY_FRAMES = 1024;

    private final long maxEarlyBytes;

    private final Object deliveries = new Object();

    /** Set once {@link #early} overflowed: the socket is closing, its frames are dropped. */
    private boolean overloaded;

    /**
     * A frame of {@code bytes}, for the listeners (or for {@link #early}, while it may hold it).
     */
    private void deliverFrame(Runnable delivery, int bytes) {
        synchronized (deliveries) {
            if (overloaded) {
                return;
            }
            List<Runnable> waiting = early;
            if (waiting != null) {
                earlyBytes += bytes;
                if (waiting.size() >= MAX_EARLY_FRAMES || earlyBytes > maxEarlyBytes) {
                    overloaded = true;
                    waiting.clear(); // its frames are dropped; its close still goes to the actor
                    openSession()
                            .close(ConnectEndpoint.CLOSE_ERROR, "actor.overloaded", Callback.NOOP);
                    return;
                }
            }
        }
        deliver(delivery);
    }

    private void deliver(Runnable delivery) {
        synchronized (deliveries) {
            List<Runnable> waiting = early;
            if (waiting != null) {
                waiting.add(delivery);
                return;
            }
        }
        delivery.run();
    }

    /**
     * Gives the listeners what came early, and what comes meanwhile, until nothing waits; from then
     * on frames go to them as they come.
     */
    private void deliverEarly() {
        while (true) {
            List<Runnable> waiting;
            synchronized (deliveries) {
                waiting = Objects.requireNonNull(early, "early");
                if (waiting.isEmpty()) {
                    early = null;
                    return;
                }
                early = new ArrayList<>();
                earlyBytes = 0;
            }
            waiting.forEach(Runnable::run);
        }
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        sockets.add(this);
        executor.execute(
                () -> {
                    try {
                        placement.webSocket(query, this);
                        deliverEarly();
                    } catch (ActorError e) {
                        session.close(
                                ConnectEndpoint.CLOSE_ERROR, e.qualifiedCode(), Callback.NOOP);
                    } catch (RuntimeException e) {
                        log.error("opening a raw WebSocket to {} failed", query, e);
                        session.close(
                                ConnectEndpoint.CLOSE_ERROR,
                                "rivetkit.internal_error",
                                Callback.NOOP);
                    }
                });
    }

    @Override
    public void onWebSocketText(String message) {
        fairReads.frameRead();
        deliverFrame(() -> receivedText(message), message.length());
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        callback.succeed();
        fairReads.frameRead();
        deliverFrame(() -> receivedBinary(bytes), bytes.length);
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        fairReads.pingRead(session, payload);
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        fairReads.frameRead();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        sockets.remove(this);
        deliver(() -> closed(statusCode, reason));
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        // A client gone mid-frame, or a socket closed under a send: the client's doing, not a
        // fault.
        log.debug("raw WebSocket to {} failed", query, cause);
    }

    /**
     * See {@link FairReads#pingOrDrop}: pings are the WebSocket's own control frames, answered by
     * the client's WebSocket itself, so they never reach the actor's protocol on this socket.
     */
    void ping(long silenceNanos) {
        fairReads.pingOrDrop(session, silenceNanos, metrics, query);
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public void send(String text) {
        openSession().sendText(text, Callback.NOOP);
    }

    @Override
    public void send(byte[] bytes) {
        openSession().sendBinary(ByteBuffer.wrap(bytes), Callback.NOOP);
    }

    @Override
    public void close(int code, String reason) {
        openSession().close(code, reason, Callback.NOOP);
    }

    /** The actor gets this socket only from {@link #onWebSocketOpen}, which sets the session. */
    private Session openSession() {
        return Objects.requireNonNull(session, "session");
    }
}
