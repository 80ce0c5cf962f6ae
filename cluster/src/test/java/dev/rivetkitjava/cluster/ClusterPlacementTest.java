package dev.rivetkitjava.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorHandle;
import dev.rivetkitjava.actor.ActorKey;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Registry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A one-node cluster in this JVM (the in-memory store): how a call reaches its owner through
 * Cluster Sharding, without the processes of {@link ClusterTest}.
 */
class ClusterPlacementTest {

    @Test
    void aCallRunningLongerThanTheMoveTimeoutIsAnsweredNotGivenUp() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ActorType<Integer, Void> slow =
                ActorType.builder("slow", Integer.class)
                        .createState(c -> 0)
                        .action(
                                "sleep",
                                Integer.class,
                                (c, millis) -> {
                                    Thread.sleep(millis);
                                    return millis;
                                },
                                ActionOptions.noTimeout())
                        .build();
        // Asks time out after 400 ms and the owner counts as gone after 1 s of silence: an agent's
        // turn through another node runs for minutes against the defaults' 2 s and 30 s.
        ClusterNode node =
                ClusterNode.start(
                        new ClusterNode.Settings(
                                "127.0.0.1",
                                port,
                                List.of("127.0.0.1:" + port),
                                "http://127.0.0.1:0",
                                Duration.ofMillis(400),
                                Duration.ofSeconds(1)),
                        Registry.builder().use(slow),
                        Duration.ofSeconds(60));
        try {
            ActorHandle handle = node.registry().actor("slow").getOrCreate(ActorKey.of("turn"));

            assertThat(handle.action("sleep", Integer.class, 2_500)).isEqualTo(2_500);
            // The owner answered every ask (the call still runs), so none was asked again as if
            // it were lost.
            assertThat(node.placement().retriedCalls()).isZero();
        } finally {
            node.close();
        }
    }
}
