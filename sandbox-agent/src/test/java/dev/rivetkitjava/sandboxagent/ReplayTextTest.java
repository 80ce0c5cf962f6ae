package dev.rivetkitjava.sandboxagent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReplayTextTest {

    private static SessionEvent event(int index) {
        return new SessionEvent(
                "e" + index,
                index,
                "s",
                1000 + index,
                "c",
                SessionEvent.Sender.AGENT,
                JsonRpcMessage.notification(
                        "session/update", Json.MAPPER.createObjectNode().put("n", index)));
    }

    @Test
    void noEventsMeansNoReplay() {
        assertThat(ReplayText.of(List.of(), 12_000)).isNull();
    }

    @Test
    void oneLinePerEventInTheTsFormat() {
        ReplayText replay = ReplayText.of(List.of(event(1), event(2)), 12_000);
        assertThat(replay.events()).isEqualTo(2);
        assertThat(replay.text())
                .isEqualTo(
                        ReplayText.PREAMBLE
                                + "{\"createdAt\":1001,\"sender\":\"agent\",\"payload\":{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"n\":1}}}\n"
                                + "{\"createdAt\":1002,\"sender\":\"agent\",\"payload\":{\"jsonrpc\":\"2.0\",\"method\":\"session/update\",\"params\":{\"n\":2}}}\n");
    }

    @Test
    void truncatesAtMaxChars() {
        List<SessionEvent> events =
                IntStream.rangeClosed(1, 100).mapToObj(ReplayTextTest::event).toList();
        ReplayText replay = ReplayText.of(events, 1_000);
        assertThat(replay.text())
                .endsWith("\n" + ReplayText.TRUNCATED)
                .hasSizeLessThanOrEqualTo(1_000 + ReplayText.TRUNCATED.length());
        assertThat(replay.events()).isBetween(1, 10);
        assertThat(replay.text().lines().filter(l -> l.startsWith("{")).count())
                .isEqualTo(replay.events());
    }
}
