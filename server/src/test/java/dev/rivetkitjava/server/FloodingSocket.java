package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A hostile WebSocket client: it sends one frame (a text or a ping) over and over, without pause,
 * and reads whatever comes back; or, silent, it sends nothing at all, not even a pong. {@code
 * java.net.http}'s WebSocket waits for each send to finish, so this one writes ready-made frames
 * straight to a socket.
 */
final class FloodingSocket implements AutoCloseable {
    private static final int FRAMES_PER_WRITE = 1000;
    private static final int KEPT_BYTES = 64 * 1024;
    private static final int TEXT = 0x1;
    private static final int PING = 0x9;

    private final Socket socket;
    private final AtomicLong sentBytes = new AtomicLong();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private volatile boolean stopped;
    private volatile boolean ended;

    private FloodingSocket(Socket socket) {
        this.socket = socket;
    }

    /**
     * Opens a WebSocket to {@code url} offering {@code subprotocols}, waits for the server's first
     * frame (on {@code /connect}, its Init: the actor accepted the connection), then sends {@code
     * text} without pause until closed.
     */
    static FloodingSocket open(String url, List<String> subprotocols, String text)
            throws IOException {
        return open(url, subprotocols, TEXT, text, true);
    }

    /**
     * Opens a WebSocket as {@link #open} does, then sends nothing, not even pongs to the server's
     * pings, and reads on until the server closes it ({@link #ended}).
     */
    static FloodingSocket openSilent(String url, List<String> subprotocols) throws IOException {
        return open(url, subprotocols, TEXT, null, true);
    }

    /** As {@link #open}, sending pings with {@code payload} instead of text frames. */
    static FloodingSocket openPinging(String url, List<String> subprotocols, String payload)
            throws IOException {
        return open(url, subprotocols, PING, payload, true);
    }

    /**
     * Opens a raw WebSocket to {@code url}, then sends nothing, not even pongs to the server's
     * pings, and reads on until the server closes it ({@link #ended}).
     */
    static FloodingSocket openRawSilent(String url) throws IOException {
        return open(url, List.of(), TEXT, null, false);
    }

    /**
     * Opens a raw WebSocket to {@code url} and sends {@code text} without pause from the start,
     * before the actor has taken the socket.
     */
    static FloodingSocket openRaw(String url, String text) throws IOException {
        return open(url, List.of(), TEXT, text, false);
    }

    private static FloodingSocket open(
            String url,
            List<String> subprotocols,
            int opcode,
            @Nullable String payload,
            boolean awaitFirstFrame)
            throws IOException {
        URI uri = URI.create(url);
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        String upgrade =
                WireClient.upgradeRequest(
                        uri.getRawPath()
                                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
                        uri.getHost() + ":" + uri.getPort(),
                        subprotocols,
                        null);
        socket.getOutputStream().write(upgrade.getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during the upgrade: " + head);
            }
            head.append((char) b);
        }
        assertThat(head.toString()).startsWith("HTTP/1.1 101 ");
        if (awaitFirstFrame) {
            in.read(); // the first frame's FIN and opcode
            int length = in.read() & 0x7f;
            if (length == 126) {
                length = (in.read() << 8) | in.read();
            }
            in.readNBytes(length);
        }

        FloodingSocket flood = new FloodingSocket(socket);
        Thread.ofPlatform().daemon().name("flood-read").start(flood::read);
        if (payload == null) {
            flood.stopped = true;
            return flood;
        }
        byte[] frame = masked(opcode, payload);
        byte[] frames = new byte[frame.length * FRAMES_PER_WRITE];
        for (int i = 0; i < FRAMES_PER_WRITE; i++) {
            System.arraycopy(frame, 0, frames, i * frame.length, frame.length);
        }
        Thread.ofPlatform().daemon().name("flood-send").start(() -> flood.send(frames));
        return flood;
    }

    /** A client's frame: masked, as clients must, with a mask of zeros (so it reads as is). */
    private static byte[] masked(int opcode, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("a short frame only");
        }
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) (0x80 | opcode);
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(payload, 0, frame, 6, payload.length);
        return frame;
    }

    private void send(byte[] frames) {
        try {
            OutputStream out = socket.getOutputStream();
            while (!stopped) {
                out.write(frames);
                sentBytes.addAndGet(frames.length);
            }
        } catch (IOException e) {
            stopped = true; // closed, by us or by the server
        }
    }

    /** Reads what the server sends, keeping its first {@value #KEPT_BYTES} bytes. */
    private void read() {
        byte[] buffer = new byte[8192];
        try {
            InputStream in = socket.getInputStream();
            for (int n; (n = in.read(buffer)) >= 0; ) {
                synchronized (received) {
                    received.write(buffer, 0, Math.min(n, KEPT_BYTES - received.size()));
                }
            }
        } catch (IOException closed) {
            // closed, by us or by the server
        }
        ended = true;
    }

    /** Whether the socket has ended: closed by the server (or by {@link #close}). */
    boolean ended() {
        return ended;
    }

    /**
     * The start of what the server sent after the upgrade (and after the first frame, when
     * awaited), frames and all, as Latin-1 text: enough to find a close reason in.
     */
    String received() {
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Bytes written to the socket so far (the server has them, or its socket buffers do). */
    long sentBytes() {
        return sentBytes.get();
    }

    /** Whether it still sends: the server has not closed the socket. */
    boolean sending() {
        return !stopped;
    }

    @Override
    public void close() throws IOException {
        stopped = true;
        socket.close();
    }
}
