package dev.rivetkitjava.sandboxagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

    private static List<SseEvent> parse(String stream, int maxEventBytes) throws IOException {
        List<SseEvent> events = new ArrayList<>();
        new SseParser(
                        new ByteArrayInputStream(stream.getBytes(StandardCharsets.UTF_8)),
                        maxEventBytes)
                .run(events::add);
        return events;
    }

    private static List<SseEvent> parse(String stream) throws IOException {
        return parse(stream, 1 << 20);
    }

    @Test
    void readsTheServersFrames() throws IOException {
        assertThat(
                        parse(
                                "event: message\nid: 1\ndata: {\"a\":1}\n\nevent: message\nid: 2\ndata: {\"b\":2}\n\n"))
                .containsExactly(
                        new SseEvent("message", "1", "{\"a\":1}", null, false),
                        new SseEvent("message", "2", "{\"b\":2}", null, false));
    }

    @Test
    void acceptsEveryLineEnding() throws IOException {
        assertThat(parse("id: 1\r\ndata: crlf\r\n\r\nid: 2\rdata: cr\r\rid: 3\ndata: lf\n\n"))
                .extracting(SseEvent::data)
                .containsExactly("crlf", "cr", "lf");
    }

    @Test
    void joinsDataLinesAndDefaultsTheType() throws IOException {
        assertThat(parse("data: first\ndata:second\ndata\n\n"))
                .singleElement()
                .isEqualTo(new SseEvent("message", null, "first\nsecond\n", null, false));
    }

    @Test
    void skipsCommentsUnknownFieldsAndEmptyEvents() throws IOException {
        assertThat(parse(": heartbeat\n\nnonsense without colon\n\nfoo: bar\ndata: x\n\nid: 7\n\n"))
                .singleElement()
                .isEqualTo(new SseEvent("message", null, "x", null, false));
    }

    @Test
    void stripsOnlyOneLeadingSpaceAndReadsRetry() throws IOException {
        assertThat(parse("event: ping\nretry: 1500\nretry: soon\ndata:  two spaces\n\n"))
                .singleElement()
                .isEqualTo(new SseEvent("ping", null, " two spaces", 1500L, false));
    }

    @Test
    void dropsAnUnfinishedLastEvent() throws IOException {
        assertThat(parse("data: complete\n\ndata: cut off"))
                .extracting(SseEvent::data)
                .containsExactly("complete");
    }

    @Test
    void reportsOversizedEventsWithoutTheirDataAndGoesOn() throws IOException {
        String big = "x".repeat(5_000);
        assertThat(
                        parse(
                                "id: 1\ndata: "
                                        + big
                                        + "\n\nid: 2\ndata: "
                                        + big.substring(0, 30)
                                        + "\ndata: "
                                        + big.substring(0, 30)
                                        + "\n\nid: 3\ndata: small\n\n",
                                50))
                .containsExactly(
                        new SseEvent("message", "1", null, null, true),
                        new SseEvent("message", "2", null, null, true),
                        new SseEvent("message", "3", "small", null, false));
    }

    @Test
    void decodesUtf8() throws IOException {
        assertThat(parse("data: héllo ✓ 🐘\n\n"))
                .extracting(SseEvent::data)
                .containsExactly("héllo ✓ 🐘");
    }
}
