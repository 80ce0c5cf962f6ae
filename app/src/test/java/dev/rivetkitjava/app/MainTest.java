package dev.rivetkitjava.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.workspace.Caller;
import dev.rivetkitjava.workspace.WorkspaceTokens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line's own parts: {@code token}, the flags {@code serve} refuses before starting
 * anything, durations.
 */
class MainTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    private record Run(int exitCode, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void tokenCreatesTheSecretAndPrintsATokenAndAJoinLink() throws Exception {
        Path secret = dir.resolve("secret");
        Run run =
                run(
                        "token",
                        "--auth-secret-file",
                        secret.toString(),
                        "--user",
                        "u-alice",
                        "--name",
                        "Alice",
                        "--workspace",
                        "team room",
                        "--role",
                        "member",
                        "--ttl",
                        "12h",
                        "--url",
                        "http://example.test:6420/");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("created the secret file " + secret);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
                .isEqualTo("rw-------");
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(2);
        String token = lines.get(0);
        URI link = URI.create(lines.get(1));
        assertThat(lines.get(1)).startsWith("http://example.test:6420/?w=team+room&token=");
        Map<String, String> query =
                Arrays.stream(link.getRawQuery().split("&"))
                        .map(p -> p.split("=", 2))
                        .collect(
                                Collectors.toMap(
                                        p -> p[0],
                                        p -> URLDecoder.decode(p[1], StandardCharsets.UTF_8)));
        assertThat(query).containsEntry("w", "team room").containsEntry("token", token);

        WorkspaceTokens tokens = WorkspaceTokens.fromSecretFile(secret);
        assertThat(tokens.admit("team room", JSON.valueToTree(Map.of("token", token))))
                .isEqualTo(new Caller("u-alice", "Alice", Caller.Role.MEMBER));
        assertThatThrownBy(() -> tokens.admit("other", JSON.valueToTree(Map.of("token", token))))
                .isInstanceOfSatisfying(
                        ActorError.class,
                        e -> assertThat(e.code()).isEqualTo("workspace_not_allowed"));

        // The second token reuses the secret: the first stays valid.
        String before = Files.readString(secret);
        Run viewer =
                run(
                        "token",
                        "--auth-secret-file",
                        secret.toString(),
                        "--user",
                        "carol",
                        "--workspace",
                        "a",
                        "--workspace",
                        "b",
                        "--role",
                        "viewer",
                        "--ttl",
                        "30m");
        assertThat(viewer.exitCode()).as(viewer.err()).isZero();
        assertThat(viewer.err()).doesNotContain("created");
        assertThat(Files.readString(secret)).isEqualTo(before);
        List<String> viewerLines = viewer.out().lines().toList();
        assertThat(viewerLines).hasSize(3);
        assertThat(viewerLines.get(1)).startsWith("http://127.0.0.1:6420/?w=a&token=");
        assertThat(viewerLines.get(2)).startsWith("http://127.0.0.1:6420/?w=b&token=");
        assertThat(tokens.admit("b", JSON.valueToTree(Map.of("token", viewerLines.get(0)))))
                .isEqualTo(new Caller("carol", "carol", Caller.Role.VIEWER));
        assertThat(tokens.admit("team room", JSON.valueToTree(Map.of("token", token))).role())
                .as("still valid")
                .isEqualTo(Caller.Role.MEMBER);
    }

    @Test
    void aStarTokenLinksToThePageWithoutAWorkspace() {
        Path secret = dir.resolve("secret");
        Run run =
                run(
                        "token",
                        "--auth-secret-file",
                        secret.toString(),
                        "--user",
                        "admin",
                        "--workspace",
                        "*");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(1)).isEqualTo("http://127.0.0.1:6420/?token=" + lines.get(0));
        assertThat(
                        WorkspaceTokens.fromSecretFile(secret)
                                .admit("any", JSON.valueToTree(Map.of("token", lines.get(0))))
                                .userId())
                .isEqualTo("admin");
    }

    @Test
    void tokenRefusesAnUnknownRoleOrDuration() {
        Path secret = dir.resolve("secret");
        Run role =
                run(
                        "token",
                        "--auth-secret-file",
                        secret.toString(),
                        "--user",
                        "a",
                        "--workspace",
                        "w",
                        "--role",
                        "admin");
        assertThat(role.exitCode()).isEqualTo(2);
        assertThat(role.err()).contains("--role is member or viewer, not 'admin'");
        Run ttl =
                run(
                        "token",
                        "--auth-secret-file",
                        secret.toString(),
                        "--user",
                        "a",
                        "--workspace",
                        "w",
                        "--ttl",
                        "soon");
        assertThat(ttl.exitCode()).isEqualTo(2);
        assertThat(ttl.err()).contains("'soon' is not a duration");
    }

    @Test
    void openModeServesThisMachineOnly() {
        Run run =
                run(
                        "serve",
                        "--host",
                        "0.0.0.0",
                        "--port",
                        "0",
                        "--data-dir",
                        dir.resolve("data").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err())
                .contains(
                        "open mode serves this machine only; pass --auth-secret-file to serve a team");
        assertThat(dir.resolve("data")).as("nothing started").doesNotExist();
    }

    @Test
    void serveRefusesAMissingOrShortSecret() throws Exception {
        Path missing = dir.resolve("missing");
        Run run =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        dir.resolve("data").toString(),
                        "--auth-secret-file",
                        missing.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err())
                .contains("the secret file " + missing + " does not exist")
                .contains("bin/rivetkit-java token --auth-secret-file " + missing);
        Path shortSecret = Files.writeString(dir.resolve("short"), "c2hvcnQ=\n");
        Run tooShort =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        dir.resolve("data").toString(),
                        "--auth-secret-file",
                        shortSecret.toString());
        assertThat(tooShort.exitCode()).isEqualTo(2);
        assertThat(tooShort.err()).contains("holds 5 bytes, fewer than the 32 needed");
    }

    @Test
    void serveRefusesLimitsThatAreNotPositive() {
        Run run =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        dir.resolve("data").toString(),
                        "--max-prompt-bytes",
                        "0");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("workspace limits are positive");
        Run policy = run("serve", "--permission-policy", "maybe");
        assertThat(policy.exitCode()).isEqualTo(2);
        assertThat(policy.err()).contains("--permission-policy");
    }

    @Test
    void serveWithoutTheSandboxAgentFolderSaysHowToRunIt() {
        // Run directly (not through bin/rivetkit-java), RIVETKIT_SANDBOX_AGENT_DIR is not set.
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getenv("RIVETKIT_SANDBOX_AGENT_DIR") == null);
        Run run = run("serve", "--port", "0", "--data-dir", dir.resolve("data").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("run through bin/rivetkit-java");
    }

    @Test
    void serveNamesAnUnreachableStoreWithoutItsPasswordAndStartsNothing() throws Exception {
        Path data = dir.resolve("data");
        long started = System.nanoTime();
        // Port 1 on loopback: nothing listens, connections are refused.
        Run run =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        data.toString(),
                        "--store",
                        "jdbc:postgresql://127.0.0.1:1/actors?user=rivet&password=hunter2");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err())
                .contains(
                        "rivetkit-java serve: cannot open the actor store (--store): PostgreSQL actor "
                                + "store schema \"public\" at jdbc:postgresql://127.0.0.1:1/actors: connecting failed")
                .doesNotContain("hunter2");
        assertThat(took)
                .as("bounded by the pool's 5 s connection timeout")
                .isLessThan(Duration.ofSeconds(20));
        assertThat(data.resolve("sandbox-agent"))
                .as("no Sandbox Agent server started")
                .doesNotExist();
        assertThat(data.resolve("actors.db")).doesNotExist();
        ServeFaultsTest.assertLockFree(data);

        Run notPostgres =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        data.toString(),
                        "--store",
                        "jdbc:mysql://db/actors");
        assertThat(notPostgres.exitCode()).isEqualTo(2);
        assertThat(notPostgres.err())
                .contains(
                        "not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db): jdbc:mysql://db/actors");
    }

    @Test
    void clusterModeWithoutAStoreIsRefusedAndStartsNothing() {
        Path data = dir.resolve("data");
        Run run =
                run(
                        "serve",
                        "--port",
                        "0",
                        "--data-dir",
                        data.toString(),
                        "--cluster-port",
                        "2552");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("rivetkit-java serve: --cluster-port needs --store");
        assertThat(data.resolve("actors.db")).doesNotExist();
    }

    @Test
    void theHelpDescribesTheStoreAndThePostgresCommand() {
        Run serve = run("serve", "--help");
        assertThat(serve.exitCode()).isZero();
        // Help text wraps at 80 columns.
        assertThat(serve.out().replaceAll("\\s+", " "))
                .contains("--store=JDBC_URL")
                .contains("Keep the actors in PostgreSQL instead of the data dir's SQLite file");
        Run postgres = run("postgres", "--help");
        assertThat(postgres.exitCode()).isZero();
        assertThat(postgres.out().replaceAll("\\s+", " "))
                .contains("--port=<port>")
                .contains("--data-dir=<dataDir>")
                .contains("rivetkit-java postgres ready: JDBC_URL")
                .contains("fsync off");
        assertThat(run("--help").out()).contains("postgres");
    }

    @Test
    void durationsAreWrittenAsPeopleWriteThem() {
        assertThat(DurationConverter.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(DurationConverter.parse("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse(" 7d ")).isEqualTo(Duration.ofDays(7));
        assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationConverter.parse("PT90S")).isEqualTo(Duration.ofSeconds(90));
        for (String bad : List.of("", "10", "m", "1.5h", "-1s", "10 minutes", "P")) {
            assertThatThrownBy(() -> DurationConverter.parse(bad))
                    .isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessageContaining("is not a duration");
        }
    }

    @Test
    void aSandboxAgentGivenByUrlIsKnownByAnOpaqueId() {
        String id = WorkspaceServer.sandboxId("http://sandbox.example:2468/secret-path");
        assertThat(id).matches("sbx_[0-9a-f]{12}").doesNotContain("sandbox.example");
        assertThat(WorkspaceServer.sandboxId("http://sandbox.example:2468/secret-path"))
                .isEqualTo(id);
        assertThat(WorkspaceServer.sandboxId("http://other.example:2468")).isNotEqualTo(id);
        assertThat(WorkspaceServer.randomToken())
                .matches("[0-9a-f]{48}")
                .isNotEqualTo(WorkspaceServer.randomToken());
    }
}
