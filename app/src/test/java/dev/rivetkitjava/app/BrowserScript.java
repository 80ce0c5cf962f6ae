package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A playwright-core script of {@code web/e2e/} driving Debian's chromium: it prints one JSON line
 * per step, and at a step this test handles it waits for the test's "ok" on stdin. Its screenshots
 * go to {@code app/target/browser-screenshots/<name>/}.
 */
final class BrowserScript {
    static final Path WEB = Path.of("").toAbsolutePath().getParent().resolve("web");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the test does at a step before the script goes on. */
    interface Handler {
        void handle(JsonNode step) throws Exception;
    }

    private BrowserScript() {}

    /** Installs chromium if needed (apt-get, as root or through sudo). */
    static void installChromium() throws Exception {
        Process install =
                new ProcessBuilder("bash", WEB.resolve("e2e/install-chromium.sh").toString())
                        .inheritIO()
                        .start();
        assertThat(install.waitFor(10, TimeUnit.MINUTES))
                .as("chromium installed within 10 minutes")
                .isTrue();
        assertThat(install.exitValue()).as("web/e2e/install-chromium.sh exit code").isZero();
    }

    static Path screenshots(String name) {
        return Path.of("target", "browser-screenshots", name).toAbsolutePath();
    }

    /**
     * Runs {@code web/e2e/<script>} against {@code endpoint} and returns its steps by name, in
     * order.
     *
     * @param handlers the steps at which the script waits for the test
     */
    static Map<String, JsonNode> run(
            String script,
            String endpoint,
            String screenshots,
            Map<String, String> env,
            Map<String, Handler> handlers)
            throws Exception {
        ProcessBuilder driver =
                new ProcessBuilder(
                                "node",
                                WEB.resolve("e2e").resolve(script).toString(),
                                endpoint,
                                screenshots(screenshots).toString())
                        .directory(WEB.toFile())
                        .redirectError(ProcessBuilder.Redirect.INHERIT);
        driver.environment().putAll(env);
        Process node = driver.start();
        // A watchdog instead of a read timeout: a stuck browser ends the read loop below with EOF.
        Thread.startVirtualThread(
                () -> {
                    try {
                        if (!node.waitFor(5, TimeUnit.MINUTES)) {
                            node.destroyForcibly();
                        }
                    } catch (InterruptedException ignored) {
                        node.destroyForcibly();
                    }
                });
        Map<String, JsonNode> steps = new LinkedHashMap<>();
        try (BufferedReader out =
                        new BufferedReader(
                                new InputStreamReader(
                                        node.getInputStream(), StandardCharsets.UTF_8));
                Writer in = node.outputWriter(StandardCharsets.UTF_8)) {
            for (String line; (line = out.readLine()) != null; ) {
                JsonNode step = JSON.readTree(line);
                String name = step.get("step").asText();
                steps.put(name, step);
                Handler handler = handlers.get(name);
                if (handler != null) {
                    try {
                        handler.handle(step);
                    } catch (Exception | AssertionError e) {
                        node.destroyForcibly();
                        throw e;
                    }
                    in.write("ok\n");
                    in.flush();
                }
            }
        } finally {
            if (!node.waitFor(30, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
        assertThat(node.exitValue())
                .as("web/e2e/" + script + " exit code (its error is in the log above)")
                .isZero();
        return steps;
    }

    /** The texts of a JSON array's elements. */
    static List<String> texts(JsonNode array) {
        return array.valueStream().map(JsonNode::asText).toList();
    }
}
