package dev.rivetkitjava.server;

import java.lang.reflect.Field;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.WebSocketCoreSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets Jetty read a {@code /connect} socket's frames on its selector thread. Jetty hands every read
 * of a WebSocket to a thread of its own, since a listener may block; {@link ConnectEndpoint}'s
 * never does (it decodes a frame of at most 64 KB and hands the work on), and that hand-off, a
 * thread wake-up per frame, cost the server about a tenth of its CPU per action on 2 cores
 * (docs/performance.md). Jetty has no switch for it, so this replaces the connection's read
 * callback with one that says it does not block; should Jetty's internals change, reads stay as
 * they were (logged once).
 */
final class SelectorReads {
    private static final Logger log = LoggerFactory.getLogger(SelectorReads.class);
    private static final @Nullable Field READ_CALLBACK = readCallback();

    private SelectorReads() {}

    /** Whether this Jetty lets the reads move to its selector. */
    static boolean available() {
        return READ_CALLBACK != null;
    }

    /** Moves {@code session}'s reads to the selector; false (nothing changed) if it cannot. */
    static boolean apply(Session session) {
        Field field = READ_CALLBACK;
        if (field == null
                || !(session instanceof WebSocketSession api)
                || !(api.getCoreSession() instanceof WebSocketCoreSession core)
                || core.getConnection() == null) {
            return false;
        }
        AbstractConnection connection = core.getConnection();
        try {
            field.set(connection, new OnSelector(connection));
            return true;
        } catch (IllegalAccessException | RuntimeException e) {
            return false;
        }
    }

    private static @Nullable Field readCallback() {
        try {
            Field field = AbstractConnection.class.getDeclaredField("_fillableCallback");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn(
                    "Jetty's WebSocket reads stay on a thread each (its internals changed: {})",
                    e.toString());
            return null;
        }
    }

    /** What Jetty's own read callback does, run where the selector finds the data. */
    private record OnSelector(AbstractConnection connection) implements Callback {
        @Override
        public void succeeded() {
            connection.onFillable();
        }

        @Override
        public void failed(Throwable cause) {
            connection.onFillInterestedFailed(cause);
        }

        @Override
        public InvocationType getInvocationType() {
            return InvocationType.NON_BLOCKING;
        }
    }
}
