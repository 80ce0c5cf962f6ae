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
            for (int turn = 1; turn <= TURNS; turn++) {
                JsonNode result =
                        workspace
                                .actionAsync(
                                        "prompt",
                                        JsonNode.class,
                                        Map.of(
                                                "text",
                                                "fill "
                                                        + turn
                                                        + " of "
                                                        + TURNS
                                                        + " chunks="
                                                        + CHUNKS))
                                .get(2, TimeUnit.MINUTES);
                assertThat(result.path("stopReason").asText()).isEqualTo("end_turn");
            }
            JsonNode latest = workspace.action("getHistory", JsonNode.class);
            newestSeq = latest.get(latest.size() - 1).path("seq").asLong();
            System.out.printf(
                    "filled %d timeline entries in %d ms%n",
                    newestSeq, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            assertThat(newestSeq).isGreaterThanOrEqualTo(20_000);
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
}
