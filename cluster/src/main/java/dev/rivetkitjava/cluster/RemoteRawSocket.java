package dev.rivetkitjava.cluster;

import dev.rivetkitjava.actor.spi.RawWebSocketTransport;
import dev.rivetkitjava.cluster.ClusterMessage.Closed;
import dev.rivetkitjava.cluster.ClusterMessage.RawClose;
import dev.rivetkitjava.cluster.ClusterMessage.RawGatewayCommand;
import dev.rivetkitjava.cluster.ClusterMessage.RawSend;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.jspecify.annotations.Nullable;

/**
 * The owner's side of a raw WebSocket whose client is connected to another node: what the actor
 * sends goes to the gateway side there, and the client's frames are handed to the actor's listeners
 * in order, on a thread of the socket's own (listeners take the actor's turn, which the entity's
 * thread must never wait for).
 */
final class RemoteRawSocket extends RawWebSocketTransport {
    private final String actorId;
    private final String path;
    private final ActorRef<RawGatewayCommand> gateway;

    /** The client's frames and its close, in arrival order, until the close. */
    private final BlockingQueue<Runnable> inbox = new LinkedBlockingQueue<>();

    private volatile boolean closed;

    private final AtomicBoolean opening = new AtomicBoolean();

    RemoteRawSocket(String actorId, String path, ActorRef<RawGatewayCommand> gateway) {
        this.actorId = actorId;
        this.path = path;
        this.gateway = gateway;
    }

    String actorId() {
        return actorId;
    }

    ActorRef<RawGatewayCommand> gateway() {
        return gateway;
    }

    /** True the first time only: a repeated open (an ask sent again) opens nothing. */
    boolean claimOpen() {
        return opening.compareAndSet(false, true);
    }

    /** The actor has opened it: its listeners get the client's frames from now on. */
    void start() {
        Thread.startVirtualThread(
                () -> {
                    while (!closed) {
                        try {
                            inbox.take().run();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
    }

    /**
     * Its actor's activation is gone with its entity (a hand-over): the delivery thread ends. The
     * gateway side closes the client once it sees the entity stop.
     */
    void abandon() {
        inbox.add(() -> closed = true);
    }

    void received(@Nullable String text, byte @Nullable [] bytes) {
        inbox.add(
                () -> {
                    if (text != null) {
                        receivedText(text);
                    } else if (bytes != null) {
                        receivedBinary(bytes);
                    }
                });
    }

    /** The client closed it (or its node was lost): the last thing the listeners get. */
    void closedByClient(int code, String reason) {
        inbox.add(
                () -> {
                    closed = true;
                    closed(code, reason);
                });
        // The gateway side is done: the client's socket is closed.
        gateway.tell(new Closed(reason, null, null, null));
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public void send(String text) {
        if (ClusterPlacement.excessLength(text) >= 0) {
            tooLong();
        } else {
            gateway.tell(new RawSend(text, null));
        }
    }

    @Override
    public void send(byte[] bytes) {
        if (ClusterPlacement.base64Length(bytes) > ClusterPlacement.MAX_MESSAGE_JSON_BYTES) {
            tooLong();
        } else {
            gateway.tell(new RawSend(null, bytes));
        }
    }

    /**
     * A frame too long for a cluster message cannot reach the client: its socket is closed with
     * 1009 (message too big) rather than missing a frame unknowingly.
     */
    private void tooLong() {
        close(1009, "message.cluster_too_long");
    }

    @Override
    public void close(int code, String reason) {
        // The client's close comes back as closedByClient, as it does on the node itself.
        gateway.tell(new RawClose(code, reason));
    }
}
