package dev.rivetkitjava.actor;

import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** The actor's view of a raw socket: listeners take the turn; closing releases the keep-awake. */
final class TurnTakingSocket implements RawWebSocket {
    private final ActorCell<?, ?> cell;
    private final RawWebSocket transport;

    TurnTakingSocket(ActorCell<?, ?> cell, RawWebSocket transport) {
        this.cell = cell;
        this.transport = transport;
        transport.onClose(
                (code, reason) -> {
                    cell.keepAwake.decrementAndGet();
                    cell.inTurn("raw WebSocket close", () -> {});
                });
    }

    @Override
    public String path() {
        return transport.path();
    }

    @Override
    public void send(String text) {
        transport.send(text);
    }

    @Override
    public void send(byte[] bytes) {
        transport.send(bytes);
    }

    @Override
    public void close(int code, String reason) {
        transport.close(code, reason);
    }

    @Override
    public void onText(Consumer<String> listener) {
        transport.onText(
                text -> cell.inTurn("raw WebSocket listener", () -> listener.accept(text)));
    }

    @Override
    public void onBinary(Consumer<byte[]> listener) {
        transport.onBinary(
                bytes -> cell.inTurn("raw WebSocket listener", () -> listener.accept(bytes)));
    }

    @Override
    public void onClose(BiConsumer<Integer, String> listener) {
        transport.onClose(
                (code, reason) ->
                        cell.inTurn("raw WebSocket close", () -> listener.accept(code, reason)));
    }
}
