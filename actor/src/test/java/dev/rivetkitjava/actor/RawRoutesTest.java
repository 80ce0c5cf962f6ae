package dev.rivetkitjava.actor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.spi.ActorQuery;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class RawRoutesTest {
    public static final class Count {
        public int count;
    }

    static final ActorType<Count, Void> ECHO =
            ActorType.builder("echo", Count.class)
                    .createState(c -> new Count())
                    .onRequest(
                            (c, request) -> {
                                c.state().count++;
                                return RawResponse.of(
                                        200,
                                        "text/plain",
                                        request.method()
                                                + " "
                                                + request.path()
                                                + "?"
                                                + request.query()
                                                + " "
                                                + new String(request.body(), StandardCharsets.UTF_8)
                                                + " #"
                                                + c.state().count);
                            })
                    .onWebSocket(
                            (c, socket) ->
                                    socket.onText(
                                            text -> {
                                                c.state().count++;
                                                socket.send(
                                                        "echo:" + text + " #" + c.state().count);
                                            }))
                    .sleepTimeout(Duration.ofSeconds(5))
                    .build();

    static final ActorType<Count, Void> PLAIN =
            ActorType.builder("plain", Count.class).createState(c -> new Count()).build();

    /**
     * What a server would hand the actor: records what the actor sends, lets the test play the
     * client.
     */
    static final class FakeSocket implements RawWebSocket {
        final List<String> sent = new ArrayList<>();
        Consumer<String> onText;
        BiConsumer<Integer, String> onClose = (code, reason) -> {};

        @Override
        public String path() {
            return "/ws";
        }

        @Override
        public void send(String text) {
            sent.add(text);
        }

        @Override
        public void send(byte[] bytes) {
            sent.add(new String(bytes, StandardCharsets.UTF_8));
        }

        @Override
        public void close(int code, String reason) {
            onClose.accept(code, reason);
        }

        @Override
        public void onText(Consumer<String> listener) {
            onText = listener;
        }

        @Override
        public void onBinary(Consumer<byte[]> listener) {}

        @Override
        public void onClose(BiConsumer<Integer, String> listener) {
            BiConsumer<Integer, String> previous = onClose;
            onClose = previous.andThen(listener);
        }
    }

    @Test
    void rawRequestsAndSocketsReachTheActorInItsTurns() {
        ManualClock clock = new ManualClock();
        try (Registry registry = Registry.builder().use(ECHO).use(PLAIN).clock(clock).build()) {
            ActorQuery echo = new ActorQuery.GetOrCreate("echo", ActorKey.of("a"), null);
            RawResponse response =
                    registry.placement()
                            .request(
                                    echo,
                                    new RawRequest(
                                            "POST",
                                            "/hello",
                                            "x=1",
                                            Map.of(),
                                            "hi".getBytes(StandardCharsets.UTF_8)));
            assertThat(response.status()).isEqualTo(200);
            assertThat(new String(response.body(), StandardCharsets.UTF_8))
                    .isEqualTo("POST /hello?x=1 hi #1");

            FakeSocket socket = new FakeSocket();
            registry.placement().webSocket(echo, socket);
            socket.onText.accept("ping");
            assertThat(socket.sent).containsExactly("echo:ping #2");

            // An open raw socket keeps the actor awake; once closed, it may sleep (and its state
            // survives).
            clock.advance(Duration.ofMinutes(1));
            socket.onText.accept("still here");
            assertThat(socket.sent).last().isEqualTo("echo:still here #3");
            socket.close(1000, "bye");
            clock.advance(Duration.ofMinutes(1));
            assertThat(
                            new String(
                                    registry.placement()
                                            .request(
                                                    echo,
                                                    new RawRequest(
                                                            "GET", "/", "", Map.of(), new byte[0]))
                                            .body(),
                                    StandardCharsets.UTF_8))
                    .endsWith("#4");

            ActorQuery plain = new ActorQuery.GetOrCreate("plain", ActorKey.of("a"), null);
            assertThatThrownBy(
                            () ->
                                    registry.placement()
                                            .request(
                                                    plain,
                                                    new RawRequest(
                                                            "GET",
                                                            "/x",
                                                            "",
                                                            Map.of(),
                                                            new byte[0])))
                    .isInstanceOfSatisfying(
                            ActorError.class,
                            e ->
                                    assertThat(e.getMessage())
                                            .isEqualTo("Actor route '/request/x' was not found."));
        }
    }
}
