package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.ActorHandle;
import dev.rivetkitjava.client.RivetClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A workspace with over 20 000 timeline entries, filled through {@code serve --agent amp} (the fast
 * stand-in agent, 20 turns of 1 000 unpaced chunks): the page ({@code web/e2e/history.mjs}) shows
 * the latest page within a second of connecting, and scrolling up loads page after page until the
 * workspace's first entry (seq 1).
 */
@Tag("external")
class LongHistoryBrowserTest {
    private static final int TURNS = 20;
    private static final int CHUNKS = 1_000;

    @BeforeAll
    static void installChromium() throws Exception {
        BrowserScript.installChromium();
    }

    @Test
    void theLatestPageShowsAtOnceAndScrollingUpReachesTheFirstEntry(@TempDir Path dir)
            throws Exception {
        String workspaceId = "long-" + System.nanoTime();
        JsonNode done;
        long newestSeq;
        try (ServeProcess serve = ServeProcess.start(dir.resolve("data"), 0, "--agent", "amp");
                RivetClient client = RivetClient.create(serve.endpoint())) {
            ActorHandle workspace =
                    client.actor("workspace")
                            .getOrCreate(workspaceId)
                            .withParams(Map.of("userId", "filler"));
            long started = System.nanoTime();
            // Turns until the timeline holds 20 000 entries: unpaced, the Sandbox Agent server may
            // drop stream
            // messages a busy reader did not take in time (reported as _sdk/events_dropped, checked
            // below).
            int turns = 0;
            JsonNode latest;
            do {
                turns++;
                JsonNode result =
                        workspace
                                .actionAsync(
                                        "prompt",
                                        JsonNode.class,
                                        Map.of(
                                                "text",
                                                "fill "
                                                        + turns
                                                        + " of "
                                                        + TURNS
                                                        + " chunks="
                                                        + CHUNKS))
                                .get(2, TimeUnit.MINUTES);
                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
                latest = workspace.action("getHistory", JsonNode.class);
                newestSeq = latest.get(latest.size() - 1).path("seq").asLong();
            } while (turns < TURNS || (newestSeq < 20_000 && turns < TURNS + 10));
            System.out.printf(
                    "filled %d timeline entries in %d turns, %d ms%n",
                    newestSeq, turns, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertThat(newestSeq).isGreaterThanOrEqualTo(20_000);
            assertChunksArrivedOrTheirDropWasReported(workspace, newestSeq, turns);
            assertThat(latest.size()).as("a page, not the whole timeline").isLessThan(20_000);

            done =
                    BrowserScript.run(
                                    "history.mjs",
                                    serve.endpoint(),
                                    "history",
                                    Map.of(
                                            "WORKSPACE_ID",
                                            workspaceId,
                                            "LAST_TEXT",
                                            "chunk " + CHUNKS),
                                    Map.of())
                            .get("done");
        }
        System.out.printf(
                "latest page on screen %.0f ms after connecting; %d older pages to seq 1 in %d ms%n",
                done.get("latestMillis").asDouble(),
                done.get("loads").asInt(),
                done.get("scrollMillis").asLong());
        assertThat(done.get("latestMillis").asDouble())
                .as("ms from connected to the latest page")
                .isLessThan(1_000);
        assertThat(done.get("latest").get("firstSeq").asLong())
                .as("only the latest page at first")
                .isGreaterThan(1);
        assertThat(done.get("loads").asInt()).isGreaterThan(1);
        assertThat(done.get("keptPosition").asInt())
                .as("the view stays put when a page is put above it")
                .isPositive();
        assertThat(done.get("final").get("firstSeq").asLong()).isEqualTo(1);
        assertThat(done.get("final").get("reachedStart").asBoolean()).isTrue();
        assertThat(done.get("first").asText()).startsWith("filler").contains("fill 1 of " + TURNS);
        assertThat(done.get("start").asInt()).as("'Beginning of the workspace' shown").isEqualTo(1);
        assertThat(done.get("pageErrors")).isEmpty();
    }

    /**
     * Every chunk of every turn is in the timeline, or the timeline says the Sandbox Agent server
     * dropped stream messages ({@code _sdk/events_dropped}): nothing is missing without a word.
     */
    private static void assertChunksArrivedOrTheirDropWasReported(
            ActorHandle workspace, long newestSeq, int turns) {
        long chunks = 0;
        long dropNotices = 0;
        long beforeSeq = newestSeq + 1;
        while (beforeSeq > 1) {
            JsonNode page =
                    workspace.action(
                            "getHistory",
                            JsonNode.class,
                            Map.of("beforeSeq", beforeSeq, "limit", 500));
            if (page.isEmpty()) {
                break;
            }
            for (JsonNode entry : page) {
                JsonNode payload = entry.path("data").path("payload");
                String text =
                        payload.path("params")
                                .path("update")
                                .path("content")
                                .path("text")
                                .asText("");
                if (text.startsWith("chunk ")) {
                    chunks++;
                } else if (payload.path("method").asText("").equals("_sdk/events_dropped")) {
                    dropNotices++;
                }
            }
            beforeSeq = page.get(0).path("seq").asLong();
        }
        System.out.printf("%d chunks in the timeline, %d drop notices%n", chunks, dropNotices);
        if (chunks < (long) turns * CHUNKS) {
            assertThat(dropNotices)
                    .as("chunks missing without an _sdk/events_dropped notice")
                    .isPositive();
        } else {
            assertThat(chunks).isEqualTo((long) turns * CHUNKS);
        }
    }
}
