package dev.rivetkitjava.app;

import static dev.rivetkitjava.app.BrowserScript.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.client.ActorHandle;
import dev.rivetkitjava.client.RivetClient;
import dev.rivetkitjava.client.RivetError;
import dev.rivetkitjava.workspace.Caller;
import dev.rivetkitjava.workspace.WorkspaceTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A team workspace on {@code serve --auth-secret-file}: alice (member) and carol (viewer) open the
 * join links {@code token} prints, in two chromium contexts ({@code web/e2e/team.mjs}). Alice
 * prompts and approves; carol sees it all with her controls disabled, and the server refuses her
 * calls; a userId in action arguments is ignored; an expired, a forged and a missing token each
 * show why the page cannot open. Screenshots land in {@code app/target/browser-screenshots/team/}.
 */
@Tag("external")
class TeamWorkspaceBrowserTest {
    private static final String WORKSPACE = "team-" + System.nanoTime();
    private static final String SOLO = WORKSPACE + "-solo";

    @BeforeAll
    static void installChromium() throws Exception {
        BrowserScript.installChromium();
    }

    @Test
    void membersWorkViewersWatchAndBadLinksAreRefused(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("auth-secret");
        WorkspaceTokens.createSecretFile(secret);
        WorkspaceTokens tokens = WorkspaceTokens.fromSecretFile(secret);
        String alice =
                tokens.issue(
                        "u-alice",
                        "Alice",
                        List.of(WORKSPACE, SOLO),
                        Caller.Role.MEMBER,
                        Duration.ofHours(1));
        String carol =
                tokens.issue(
                        "u-carol",
                        "Carol",
                        List.of(WORKSPACE),
                        Caller.Role.VIEWER,
                        Duration.ofHours(1));
        String expired =
                tokens.withClock(
                                Clock.fixed(
                                        Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC))
                        .issue(
                                "u-alice",
                                "Alice",
                                List.of(WORKSPACE),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));
        String forged =
                WorkspaceTokens.of(new byte[32])
                        .issue(
                                "u-alice",
                                "Alice",
                                List.of("*"),
                                Caller.Role.MEMBER,
                                Duration.ofHours(1));

        Map<String, JsonNode> steps;
        List<JsonNode> history;
        try (ServeProcess serve =
                        ServeProcess.start(
                                dir.resolve("data"), 0, "--auth-secret-file", secret.toString());
                RivetClient client = RivetClient.create(serve.endpoint())) {
            assertThat(serve.readyLine()).contains("(sign-in tokens required)");
            try (HttpClient http = HttpClient.newHttpClient()) {
                HttpResponse<String> metrics =
                        http.send(
                                HttpRequest.newBuilder(URI.create(serve.endpoint() + "/metrics"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.statusCode())
                        .as("a team's server lists nothing to whoever asks")
                        .isEqualTo(403);
            }
            ActorHandle workspace = client.actor("workspace").getOrCreate(WORKSPACE);
            ActorHandle asCarol = workspace.withParams(Map.of("token", carol));
            ActorHandle asAlice = workspace.withParams(Map.of("token", alice));
            // With nobody listening, the stand-in agent's permission request is the policy's
            // (reject) to answer.
            JsonNode solo =
                    client.actor("workspace")
                            .getOrCreate(SOLO)
                            .withParams(Map.of("token", alice))
                            .action("prompt", JsonNode.class, Map.of("text", "Nobody is watching"));
            assertThat(solo.path("stopReason").asText()).isEqualTo("end_turn");
            AtomicReference<CompletableFuture<JsonNode>> forgedPrompt = new AtomicReference<>();
            steps =
                    BrowserScript.run(
                            "team.mjs",
                            serve.endpoint(),
                            "team",
                            Map.of(
                                    "WORKSPACE_ID",
                                    WORKSPACE,
                                    "ALICE_LINK",
                                    link(serve, alice),
                                    "CAROL_LINK",
                                    link(serve, carol),
                                    "EXPIRED_LINK",
                                    link(serve, expired),
                                    "FORGED_LINK",
                                    link(serve, forged),
                                    "SOLO_LINK",
                                    Main.joinLinks(serve.endpoint(), List.of(SOLO), alice).get(0)),
                            Map.of(
                                    "carol-refused",
                                            step -> {
                                                // A viewer is refused by the server, not just by
                                                // her page.
                                                String pending =
                                                        asAlice.action(
                                                                        "listPendingPermissions",
                                                                        JsonNode.class)
                                                                .get(0)
                                                                .path("id")
                                                                .asText();
                                                assertForbidden(
                                                        () ->
                                                                asCarol.action(
                                                                        "prompt",
                                                                        JsonNode.class,
                                                                        Map.of(
                                                                                "text",
                                                                                "let me in")));
                                                assertForbidden(
                                                        () ->
                                                                asCarol.action(
                                                                        "respondPermission",
                                                                        JsonNode.class,
                                                                        Map.of(
                                                                                "id", pending,
                                                                                "reply", "once")));
                                                assertForbidden(
                                                        () ->
                                                                asCarol.action(
                                                                        "cancel", JsonNode.class));
                                                assertThat(
                                                                asCarol.action(
                                                                                "whoami",
                                                                                JsonNode.class)
                                                                        .path("role")
                                                                        .asText())
                                                        .isEqualTo("viewer");
                                            },
                                    "forged-user",
                                            step ->
                                                    forgedPrompt.set(
                                                            asAlice.actionAsync(
                                                                    "prompt",
                                                                    JsonNode.class,
                                                                    Map.of(
                                                                            "userId",
                                                                            "mallory",
                                                                            "text",
                                                                            "Signed by mallory?")))));
            assertThat(forgedPrompt.get().get(60, TimeUnit.SECONDS).path("stopReason").asText())
                    .isEqualTo("end_turn");
            history = WorkspaceHistory.all(asCarol);
        }

        assertThat(steps.keySet())
                .containsExactly("signed-in", "carol-refused", "forged-user", "turns", "done");
        JsonNode signedIn = steps.get("signed-in");
        for (String who : List.of("alice", "carol")) {
            JsonNode page = signedIn.get(who);
            assertThat(page.get("url").asText())
                    .as("the token leaves the address bar")
                    .doesNotContain("token")
                    .endsWith("/?w=" + WORKSPACE);
            assertThat(texts(page.get("stored")))
                    .as("kept in the tab's sessionStorage, by workspace")
                    .containsExactly("rivetkit-java.token:" + WORKSPACE);
            assertThat(page.get("local").asBoolean())
                    .as("nothing token-like in localStorage")
                    .isFalse();
        }
        assertThat(signedIn.get("alice").get("me").asText()).contains("you are Alice member");
        assertThat(signedIn.get("carol").get("me").asText()).contains("you are Carol viewer");
        assertThat(texts(signedIn.get("participants"))).containsExactly("Alice", "Carol · viewer");
        JsonNode carolControls = signedIn.get("carolControls");
        assertThat(carolControls.get("textarea").asBoolean()).isTrue();
        assertThat(carolControls.get("send").asBoolean()).isTrue();
        assertThat(carolControls.get("hint").asText()).isEqualTo("view only");

        JsonNode asked = steps.get("carol-refused");
        assertThat(texts(asked.get("alice").get("replies")))
                .as("alice may answer")
                .containsOnly("false");
        assertThat(texts(asked.get("carol").get("replies")))
                .as("carol may not")
                .isNotEmpty()
                .containsOnly("true");
        assertThat(asked.get("carol").get("cancel").asBoolean()).isTrue();
        assertThat(asked.get("alice").get("cancel").asBoolean()).isFalse();
        assertThat(asked.get("author").asText()).startsWith("Alice");

        JsonNode turns = steps.get("turns");
        assertThat(turns.get("carol").asText())
                .as("carol sees what alice sees")
                .isEqualTo(turns.get("alice").asText())
                .containsSubsequence(
                        "Add a health check",
                        "Approved by Alice",
                        "turn ended: end_turn",
                        "Signed by mallory?",
                        "Approved by Alice",
                        "turn ended: end_turn");
        assertThat(turns.get("forgedAuthor").asText()).startsWith("Alice");
        JsonNode forgedMessage =
                history.stream()
                        .filter(
                                e ->
                                        e.path("event").asText().equals("chat.user")
                                                && e.path("data")
                                                        .path("text")
                                                        .asText()
                                                        .equals("Signed by mallory?"))
                        .findFirst()
                        .orElseThrow()
                        .path("data");
        assertThat(forgedMessage.path("userId").asText())
                .as("the caller comes from the token")
                .isEqualTo("u-alice");
        assertThat(forgedMessage.path("name").asText()).isEqualTo("Alice");

        assertThat(steps.get("done").get("policy").asText())
                .isEqualTo("Rejected automatically (nobody could answer)");
        JsonNode refused = steps.get("done").get("refused");
        assertThat(refused.get("expired").get("code").asText()).isEqualTo("token_expired");
        assertThat(refused.get("expired").get("text").asText())
                .contains("Your link expired at")
                .contains("ask for a new one");
        assertThat(refused.get("expired").get("socketsSince").asInt())
                .as("no more dialling once refused")
                .isZero();
        assertThat(refused.get("forged").get("code").asText()).isEqualTo("token_invalid");
        assertThat(refused.get("forged").get("text").asText()).contains("not valid");
        assertThat(refused.get("missing").get("code").asText()).isEqualTo("token_required");
        assertThat(refused.get("missing").get("text").asText()).contains("needs a sign-in token");
        assertThat(texts(steps.get("done").get("pageErrors"))).isEmpty();
    }

    private static String link(ServeProcess serve, String token) {
        return Main.joinLinks(serve.endpoint(), List.of(WORKSPACE), token).get(0);
    }

    private static void assertForbidden(Runnable call) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(
                        RivetError.class,
                        e -> assertThat(e.qualifiedCode()).isEqualTo("auth.forbidden"));
    }
}
