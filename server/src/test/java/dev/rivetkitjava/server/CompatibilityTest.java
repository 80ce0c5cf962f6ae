package dev.rivetkitjava.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.Registry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestFactory;

/**
 * The official JS clients (npm rivetkit 2.3.19 and 2.3.11, in {@code compat/}) run every scenario
 * in every encoding against this server; each must print exactly what it printed against the real
 * RivetKit stack ({@code compat/expected/}, recorded by {@code compat/record.sh}).
 */
@Tag("external")
public class CompatibilityTest {
    public static final Path COMPAT = Path.of("").toAbsolutePath().getParent().resolve("compat");

    private static Registry registry;
    private static RivetServer server;

    /** Installs the pinned npm packages (once; install.sh skips an up-to-date node_modules). */
    public static void installNodePackages() throws Exception {
        run(List.of("bash", COMPAT.resolve("install.sh").toString()), Duration.ofMinutes(5));
    }

    @BeforeAll
    static void start() throws Exception {
        installNodePackages();
        registry =
                Registry.builder()
                        .use(CompatFixtures.counter(Duration.ofSeconds(8)))
                        .use(CompatFixtures.lifecycle(Duration.ofSeconds(3)))
                        .build();
        server = RivetServer.builder(registry).port(0).build().start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @TestFactory
    Stream<DynamicTest> officialClientsSeeWhatTheySeeOnRivetKit() throws IOException {
        try (Stream<Path> files = Files.list(COMPAT.resolve("expected"))) {
            return files
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".jsonl"))
                    .sorted()
                    .map(name -> DynamicTest.dynamicTest(name, () -> scenario(name)))
                    .toList()
                    .stream();
        }
    }

    private static void scenario(String file) throws Exception {
        // <scenario>.<encoding>.<client version>.jsonl, the version itself holding dots
        String[] parts = file.substring(0, file.length() - ".jsonl".length()).split("\\.", 3);
        String actual =
                run(
                        List.of(
                                "node",
                                COMPAT.resolve("scenario.mjs").toString(),
                                server.endpoint(),
                                parts[1],
                                parts[2],
                                parts[0]),
                        Duration.ofSeconds(90));
        String expected =
                Files.readString(COMPAT.resolve("expected").resolve(file), StandardCharsets.UTF_8);
        assertThat(comparable(actual))
                .as("%s against %s", file, server.endpoint())
                .isEqualTo(comparable(expected));
    }

    /**
     * The one deliberate difference: {@code types()} returns JavaScript-only values (bigint, Date,
     * Map, Set, undefined), which have no Java twin (the reference itself answers null for them in
     * JSON and CBOR).
     */
    private static String comparable(String output) {
        return output.lines()
                .filter(line -> !line.startsWith("{\"step\":\"types()\""))
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    }

    /** Runs {@code command} in {@code compat/}; its standard output, once it exited 0. */
    public static String run(List<String> command, Duration timeout) throws Exception {
        Process process =
                new ProcessBuilder(command)
                        .directory(COMPAT.toFile())
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start();
        var output =
                java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return new String(
                                        process.getInputStream().readAllBytes(),
                                        StandardCharsets.UTF_8);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command + " did not finish within " + timeout);
        }
        assertThat(process.exitValue()).as("exit code of %s", command).isZero();
        return output.get();
    }
}
