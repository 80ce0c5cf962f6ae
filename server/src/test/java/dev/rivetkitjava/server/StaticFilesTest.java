package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rivetkitjava.actor.Registry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code staticResources}: the page's files next to the RivetKit routes. Requests go over a plain
 * socket so that paths reach the server byte for byte, as an attacker would send them.
 */
class StaticFilesTest {
    private Registry registry;
    private RivetServer server;

    @BeforeEach
    void start() throws Exception {
        registry = Registry.builder().use(CompatFixtures.counter(Duration.ofSeconds(30))).build();
        server =
                RivetServer.builder(registry)
                        .port(0)
                        .staticResources("static-site")
                        .build()
                        .start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** One HTTP/1.1 exchange: the status line, the headers and the body as text. */
    record Exchange(int status, String head, String body) {
        String header(String name) {
            return head.lines()
                    .filter(l -> l.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                    .map(l -> l.substring(name.length() + 1).trim())
                    .findFirst()
                    .orElse(null);
        }
    }

    private Exchange send(String method, String rawPath) throws IOException {
        return send(server, method, rawPath);
    }

    private static Exchange send(RivetServer server, String method, String rawPath)
            throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(
                    (method
                                    + " "
                                    + rawPath
                                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                    + (method.equals("POST") ? "Content-Length: 0\r\n" : "")
                                    + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int split = all.indexOf("\r\n\r\n");
            String head = all.substring(0, split);
            return new Exchange(
                    Integer.parseInt(head.split(" ", 3)[1]), head, all.substring(split + 4));
        }
    }

    @Test
    void theRootServesIndexHtml() throws Exception {
        Exchange page = send("GET", "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        assertThat(page.body()).contains("static-site index");
        assertThat(send("GET", "/?w=workspace-1").body()).contains("static-site index");
        assertThat(send("GET", "/index.html").body()).contains("static-site index");
    }

    @Test
    void filesHaveTheirContentTypes() throws Exception {
        Exchange script = send("GET", "/app.js");
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Type")).startsWith("text/javascript");
        assertThat(script.body()).contains("static-site app");
        Exchange css = send("GET", "/app.css");
        assertThat(css.header("Content-Type")).startsWith("text/css");
        assertThat(send("GET", "/sub/note.txt").header("Content-Type")).startsWith("text/plain");
    }

    @Test
    void headAnswersWithoutABody() throws Exception {
        Exchange head = send("HEAD", "/app.js");
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void theRivetKitRoutesStillAnswer() throws Exception {
        Exchange metadata = send("GET", "/metadata");
        assertThat(metadata.header("Content-Type")).startsWith("application/json");
        assertThat(metadata.body()).contains("rivetkit-java");
        assertThat(send("GET", "/actors/names").body()).contains("counter");
    }

    @Test
    void aFolderIsNeverListed() throws Exception {
        for (String path : new String[] {"/sub/", "/sub"}) {
            Exchange folder = send("GET", path);
            assertThat(folder.status()).as(path).isIn(302, 403, 404);
            assertThat(folder.body()).as(path).doesNotContain("note.txt");
        }
    }

    @Test
    void aMissingFileIsTheRoutersNotFound() throws Exception {
        Exchange missing = send("GET", "/nothing-here.js");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.header("x-rivet-error")).isEqualTo("guard.not_found");
    }

    @Test
    void onlyGetAndHeadReachTheFiles() throws Exception {
        Exchange post = send("POST", "/index.html");
        assertThat(post.status()).isEqualTo(404);
        assertThat(post.body()).doesNotContain("static-site index");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/../outside-static-site.txt",
                "/sub/../../outside-static-site.txt",
                "/%2e%2e/outside-static-site.txt",
                "/sub/%2e%2e/%2e%2e/outside-static-site.txt",
                "/..%2foutside-static-site.txt",
                "/sub/..%2F..%2Foutside-static-site.txt",
                "/%2e%2e%5coutside-static-site.txt",
                "/..;/outside-static-site.txt",
                "//outside-static-site.txt"
            })
    void noPathLeavesTheFolder(String path) throws Exception {
        Exchange attempt = send("GET", path);
        assertThat(attempt.status()).as(path).isIn(400, 404);
        assertThat(attempt.body())
                .as(path)
                .doesNotContain("SECRET-OUTSIDE")
                .doesNotContain("static-site index");
    }

    @Test
    void theRestOfTheClasspathIsNotServed() throws Exception {
        Exchange attempt = send("GET", "/dev/rivetkitjava/server/StaticFilesTest.class");
        assertThat(attempt.status()).isEqualTo(404);
        assertThat(attempt.header("x-rivet-error")).isEqualTo("guard.not_found");
    }

    @Test
    void aMissingFolderIsAClearErrorAtBuild() {
        assertThatThrownBy(
                        () ->
                                RivetServer.builder(registry)
                                        .port(0)
                                        .staticResources("no-such-folder")
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no-such-folder");
    }

    @Test
    void withoutStaticResourcesTheRootIsNotFound() throws Exception {
        try (Registry other =
                        Registry.builder()
                                .use(CompatFixtures.counter(Duration.ofSeconds(30)))
                                .build();
                RivetServer plain = RivetServer.builder(other).port(0).build().start()) {
            Exchange root = send(plain, "GET", "/");
            assertThat(root.status()).isEqualTo(404);
            assertThat(root.header("x-rivet-error")).isEqualTo("guard.not_found");
        }
    }
}
