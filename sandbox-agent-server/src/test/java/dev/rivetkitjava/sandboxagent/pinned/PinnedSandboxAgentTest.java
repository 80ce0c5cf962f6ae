package dev.rivetkitjava.sandboxagent.pinned;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The install's timeout applies even when the script hangs with its output open (a stuck npm). */
@Tag("external")
class PinnedSandboxAgentTest {

    @TempDir Path dir;

    @Test
    void aHungInstallIsKilledWithItsChildrenAtItsTimeout() throws Exception {
        Path marker = dir.resolve("sleeping.pid");
        // A child that keeps the script's output open, as npm does while it hangs on the network.
        Files.writeString(
                dir.resolve("install.sh"),
                "echo installing\nsleep 600 &\necho $! > " + marker + "\nwait\n");
        PinnedSandboxAgent pinned = PinnedSandboxAgent.at(dir).withTimeout(Duration.ofSeconds(2));

        long started = System.nanoTime();
        assertThatThrownBy(pinned::install)
                .isInstanceOf(PinnedSandboxAgentException.class)
                .hasMessageContaining("install.sh did not finish within PT2S; it was killed")
                .hasMessageContaining("installing");
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .isLessThan(Duration.ofSeconds(15));

        long sleeper = Long.parseLong(Files.readString(marker).strip());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(sleeper).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void aFailingScriptReportsItsExitCodeAndOutput() {
        assertThatThrownBy(
                        () ->
                                PinnedSandboxAgent.run(
                                        List.of("bash", "-c", "echo no network; exit 3"),
                                        Duration.ofSeconds(30)))
                .isInstanceOf(PinnedSandboxAgentException.class)
                .hasMessageContaining("exit code 3")
                .hasMessageContaining("no network");
    }
}
