package dev.rivetkitjava.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rivetkitjava.protocol.ClientProtocol;
import dev.rivetkitjava.protocol.Encoding;
import dev.rivetkitjava.protocol.GatewayUrl;
import dev.rivetkitjava.protocol.Subprotocols;
import dev.rivetkitjava.protocol.ToClient;
import dev.rivetkitjava.protocol.ToServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The actions load's {@code /connect} WebSockets, framed here on plain sockets and all read by one
 * thread on one selector (as {@code wrk} reads its connections). {@code java.net.http}'s WebSocket
 * passes every frame through several hand-offs between threads and cost the tool 20–25 µs per
 * action, about half of what the server spends, on the 2 cores the tool shares with the server;
 * here the replies a commit releases together are read in one wake-up, and each next request is
 * written from there. The handshake, subprotocols and messages are the official client's ({@link
 * ProtocolConnection} has the rest: events, params, many clients).
 */
public final class SelectorConnections implements AutoCloseable {
    /**
     * Where one connection goes: actor {@code name}/{@code key} at {@code endpoint} (getOrCreate).
     */
    public record Target(String endpoint, String name, String key) {}

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_MESSAGE = 16 << 20;
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final Encoding encoding;
    private final Selector selector;
    private final List<Connection> connections = new ArrayList<>();
    private final Thread reader;
    private volatile boolean closing;

    private SelectorConnections(Encoding encoding) throws IOException {
        this.encoding = encoding;
        this.selector = Selector.open();
        this.reader =
                Thread.ofPlatform().daemon().name("selector-connections").unstarted(this::read);
    }

    /**
     * Opens a connection per target, each given {@code timeout} to reach {@code Init} (and opened
     * again, as the official client does, when the server closes it with a lifecycle signal first).
     */
    public static SelectorConnections open(
            List<Target> targets, Encoding encoding, Duration timeout) throws Exception {
        SelectorConnections opened = new SelectorConnections(encoding);
        List<Future<Connection>> opening = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Target target : targets) {
                opening.add(threads.submit(() -> opened.openOne(target, timeout)));
            }
        } // waits for every one, opened or failed
        Throwable failure = null;
        for (Future<Connection> connection : opening) {
            if (connection.state() == Future.State.SUCCESS) {
                opened.connections.add(connection.resultNow());
            } else if (failure == null) {
                failure = connection.exceptionNow();
            }
        }
        if (failure != null) {
            opened.close();
            throw failure instanceof Exception e ? e : new IllegalStateException(failure);
        }
        for (Connection connection : opened.connections) {
            connection.channel.configureBlocking(false);
            connection.key =
                    connection.channel.register(opened.selector, SelectionKey.OP_READ, connection);
        }
        opened.reader.start();
        return opened;
    }

    public List<Connection> connections() {
        return connections;
    }

    /** Closes every connection (a close frame, then the socket, at most a second later). */
    @Override
    public void close() {
        for (Connection connection : connections) {
            connection.sendClose();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (Connection connection : connections) {
            try {
                connection.closed.get(
                        Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception timedOutOrFailed) {
                // dropped below either way
            }
        }
        closing = true;
        selector.wakeup();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection connection : connections) {
            connection.drop("closed by the tool");
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    private Connection openOne(Target target, Duration timeout) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return handshake(target, timeout);
            } catch (IOException e) {
                if (!LoadClients.isLifecycleFailure(String.valueOf(e.getMessage()))
                        || attempt >= LoadClients.ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(250L * attempt);
            }
        }
    }

    /**
     * Connects, upgrades and reads up to the server's {@code Init} with the socket blocking (its
     * reads bounded by {@code timeout}); what came after {@code Init} stays in the connection's
     * buffer.
     */
    private Connection handshake(Target target, Duration timeout) throws IOException {
        URI uri =
                URI.create(
                        GatewayUrl.query(target.endpoint(), target.name(), "/connect")
                                .getOrCreate(GatewayUrl.DEFAULT_NAMESPACE)
                                .key(List.of(target.key()))
                                .build());
        String host = uri.getHost();
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        SocketChannel channel = SocketChannel.open();
        try {
            channel.socket().setTcpNoDelay(true);
            channel.socket().connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            channel.socket().setSoTimeout((int) timeout.toMillis());
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            String key = Base64.getEncoder().encodeToString(nonce);
            String request =
                    "GET "
                            + uri.getRawPath()
                            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                            + " HTTP/1.1\r\nHost: "
                            + host
                            + ":"
                            + port
                            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
                            + key
                            + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: "
                            + String.join(", ", Subprotocols.builder(encoding).build())
                            + "\r\nUser-Agent: rivetkit-java-load\r\n\r\n";
            channel.socket().getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            InputStream in = channel.socket().getInputStream();
            String response = responseHead(in);
            if (!response.startsWith("HTTP/1.1 101")) {
                throw new IOException(
                        "upgrade refused: " + response.lines().findFirst().orElse(""));
            }
            if (!response.toLowerCase(java.util.Locale.ROOT)
                    .contains(
                            "sec-websocket-accept: "
                                    + accept(key).toLowerCase(java.util.Locale.ROOT))) {
                throw new IOException("upgrade answered without the right Sec-WebSocket-Accept");
            }
            Connection connection = new Connection(channel);
            while (!connection.init.isDone()) {
                ByteBuffer buffer = connection.in;
                int n = in.read(buffer.array(), buffer.position(), buffer.remaining());
                if (n < 0) {
                    throw new IOException(
                            "closed before Init: " + connection.closed.getNow("end of stream"));
                }
                buffer.position(buffer.position() + n);
                connection.readFrames(System.nanoTime(), true);
            }
            if (connection.init.state() == Future.State.FAILED) {
                throw new IOException(connection.init.exceptionNow().getMessage());
            }
            return connection;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The response's status line and headers, read a byte at a time so nothing after is taken. */
    private static String responseHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during the upgrade: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 64 << 10) {
                throw new IOException("upgrade response head over 64 KB");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String accept(String key) {
        try {
            return Base64.getEncoder()
                    .encodeToString(
                            MessageDigest.getInstance("SHA-1")
                                    .digest(
                                            (key + ACCEPT_GUID)
                                                    .getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The selector thread: reads whatever arrived and flushes what a full socket held back. */
    private void read() {
        try {
            while (!closing) {
                selector.select(
                        key -> {
                            Connection connection = (Connection) key.attachment();
                            if (key.isValid() && key.isWritable()) {
                                connection.flush();
                            }
                            if (key.isValid() && key.isReadable()) {
                                connection.readAvailable();
                            }
                        });
            }
        } catch (IOException | RuntimeException e) {
            for (Connection connection : connections) {
                connection.drop("selector failed: " + e);
            }
        }
    }

    /** One {@code /connect} WebSocket: action requests numbered from 0, replies by id. */
    public final class Connection {
        private final SocketChannel channel;
        private final Map<Long, CompletableFuture<ProtocolConnection.Reply>> pending =
                new ConcurrentHashMap<>();
        private final AtomicLong nextId = new AtomicLong();
        private final CompletableFuture<ToClient.Init> init = new CompletableFuture<>();
        private final CompletableFuture<String> closed = new CompletableFuture<>();
        private final ArrayDeque<ByteBuffer> unsent = new ArrayDeque<>();
        private final ByteArrayOutputStream fragments = new ByteArrayOutputStream();
        private ByteBuffer in = ByteBuffer.allocate(64 << 10);
        private int fragmentedOpcode = -1;
        private boolean closeSent;
        private volatile @Nullable SelectionKey key;

        private Connection(SocketChannel channel) {
            this.channel = channel;
        }

        public boolean isOpen() {
            return !closed.isDone();
        }

        /** Sends an {@code ActionRequest}; completes with its reply or fails with its error. */
        public CompletableFuture<ProtocolConnection.Reply> action(String name, JsonNode... args) {
            ArrayNode array = NODES.arrayNode();
            for (JsonNode arg : args) {
                array.add(arg);
            }
            long id = nextId.getAndIncrement();
            CompletableFuture<ProtocolConnection.Reply> reply = new CompletableFuture<>();
            pending.put(id, reply);
            byte[] message =
                    ClientProtocol.encode(encoding, new ToServer.ActionRequest(id, name, array));
            send(encoding.binary() ? 0x2 : 0x1, message);
            if (!isOpen()) {
                failPending("closed: " + closed.getNow("?"));
            }
            return reply;
        }

        public CompletableFuture<ProtocolConnection.Reply> increment(int amount) {
            return action("increment", NODES.numberNode(amount));
        }

        /** Writes a masked frame now, or queues it behind what a full socket held back. */
        private synchronized void send(int opcode, byte[] payload) {
            if (!channel.isOpen()) {
                return;
            }
            ByteBuffer frame = maskedFrame(opcode, payload);
            try {
                if (unsent.isEmpty()) {
                    channel.write(frame);
                    if (!frame.hasRemaining()) {
                        return;
                    }
                }
                unsent.add(frame);
                SelectionKey k = key;
                if (k != null) {
                    k.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    selector.wakeup();
                }
            } catch (IOException e) {
                drop("write failed: " + e);
            }
        }

        private synchronized void flush() {
            try {
                while (!unsent.isEmpty()) {
                    ByteBuffer frame = unsent.peek();
                    channel.write(frame);
                    if (frame.hasRemaining()) {
                        return;
                    }
                    unsent.poll();
                }
                SelectionKey k = key;
                if (k != null) {
                    k.interestOps(SelectionKey.OP_READ);
                }
            } catch (IOException e) {
                drop("write failed: " + e);
            }
        }

        private void sendClose() {
            synchronized (this) {
                if (closeSent || !isOpen()) {
                    return;
                }
                closeSent = true;
            }
            send(0x8, new byte[] {0x03, (byte) 0xe8}); // 1000, no reason
        }

        private void readAvailable() {
            try {
                int n = channel.read(in);
                if (n < 0) {
                    drop("end of stream");
                    return;
                }
                readFrames(System.nanoTime(), false);
            } catch (IOException e) {
                drop("read failed: " + e);
            }
        }

        /**
         * Handles every complete frame in {@code in} (in write mode before and after), growing it
         * for a frame larger than it.
         */
        private void readFrames(long receivedNanos, boolean handshaking) throws IOException {
            in.flip();
            while (in.remaining() >= 2) {
                int start = in.position();
                int b0 = in.get(start) & 0xff;
                int b1 = in.get(start + 1) & 0xff;
                if ((b1 & 0x80) != 0) {
                    throw new IOException("a masked frame from the server");
                }
                long length = b1 & 0x7f;
                int header = 2;
                if (length == 126) {
                    if (in.remaining() < 4) {
                        break;
                    }
                    length = in.getShort(start + 2) & 0xffff;
                    header = 4;
                } else if (length == 127) {
                    if (in.remaining() < 10) {
                        break;
                    }
                    length = in.getLong(start + 2);
                    header = 10;
                }
                if (length < 0 || length > MAX_MESSAGE) {
                    throw new IOException("a frame of " + length + " bytes");
                }
                if (in.remaining() < header + length) {
                    if (in.capacity() < header + length) {
                        ByteBuffer larger = ByteBuffer.allocate((int) (header + length));
                        larger.put(in);
                        in = larger;
                        return;
                    }
                    break;
                }
                byte[] payload = new byte[(int) length];
                in.get(start + header, payload);
                in.position(start + header + (int) length);
                frame((b0 & 0x80) != 0, b0 & 0x0f, payload, receivedNanos);
                if (handshaking && init.isDone()) {
                    break; // the rest is read once the socket is on the selector
                }
            }
            in.compact();
        }

        private void frame(boolean fin, int opcode, byte[] payload, long receivedNanos)
                throws IOException {
            switch (opcode) {
                case 0x0, 0x1, 0x2 -> {
                    if (opcode != 0x0 && fin) {
                        message(payload, receivedNanos);
                        return;
                    }
                    if (opcode != 0x0) {
                        fragmentedOpcode = opcode;
                        fragments.reset();
                    } else if (fragmentedOpcode < 0) {
                        throw new IOException("a continuation frame without a first frame");
                    }
                    fragments.write(payload);
                    if (fragments.size() > MAX_MESSAGE) {
                        throw new IOException("a message over " + MAX_MESSAGE + " bytes");
                    }
                    if (fin) {
                        fragmentedOpcode = -1;
                        message(fragments.toByteArray(), receivedNanos);
                    }
                }
                case 0x8 -> {
                    int code =
                            payload.length >= 2
                                    ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff)
                                    : 1005;
                    String reason =
                            payload.length > 2
                                    ? new String(
                                            payload, 2, payload.length - 2, StandardCharsets.UTF_8)
                                    : "";
                    sendClose();
                    drop(code + " " + reason);
                }
                case 0x9 -> send(0xA, payload);
                case 0xA -> {}
                default -> throw new IOException("a frame with opcode " + opcode);
            }
        }

        private void message(byte[] message, long receivedNanos) {
            switch (ClientProtocol.decodeToClient(encoding, message)) {
                case ToClient.ActionResponse response -> {
                    CompletableFuture<ProtocolConnection.Reply> reply =
                            pending.remove(response.id());
                    if (reply != null) {
                        reply.complete(
                                new ProtocolConnection.Reply(response.output(), receivedNanos));
                    }
                }
                case ToClient.Error error when error.actionId() != null -> {
                    CompletableFuture<ProtocolConnection.Reply> reply =
                            pending.remove(error.actionId());
                    if (reply != null) {
                        reply.completeExceptionally(new ProtocolConnection.RemoteError(error));
                    }
                }
                case ToClient.Error error ->
                        init.completeExceptionally(
                                new IOException(
                                        new ProtocolConnection.RemoteError(error).getMessage()));
                case ToClient.Init i -> init.complete(i);
                case ToClient.Event ignored -> {} // nothing subscribes
            }
        }

        /** Closes the socket and fails whatever still waits, with {@code why}. */
        private void drop(String why) {
            closed.complete(why);
            init.completeExceptionally(new IOException("closed before Init: " + why));
            try {
                channel.close();
            } catch (IOException ignored) {
                // closed either way
            }
            failPending("closed: " + why);
        }

        private void failPending(String why) {
            for (Long id : pending.keySet()) {
                CompletableFuture<ProtocolConnection.Reply> reply = pending.remove(id);
                if (reply != null) {
                    reply.completeExceptionally(new IllegalStateException(why));
                }
            }
        }
    }

    /** A final client frame: masked (RFC 6455 §5.3), with a fresh key each. */
    private static ByteBuffer maskedFrame(int opcode, byte[] payload) {
        int n = payload.length;
        int header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
        ByteBuffer frame = ByteBuffer.allocate(header + 4 + n);
        frame.put((byte) (0x80 | opcode));
        if (n < 126) {
            frame.put((byte) (0x80 | n));
        } else if (n < 65_536) {
            frame.put((byte) (0x80 | 126)).putShort((short) n);
        } else {
            frame.put((byte) (0x80 | 127)).putLong(n);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        frame.putInt(mask);
        for (int i = 0; i < n; i++) {
            frame.put((byte) (payload[i] ^ (mask >>> (24 - 8 * (i & 3)))));
        }
        return frame.flip();
    }
}
