package dev.rivetkitjava.workspace;

import dev.rivetkitjava.sandboxagent.PermissionRequest;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentException;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's connection to its Sandbox Agent: the seed's vars {@code sdk}, {@code session},
 * {@code unsubscribe}.
 */
record AgentLink(SandboxAgent sdk, Session session, List<Subscription> subscriptions) {

    private static final Logger log = LoggerFactory.getLogger(AgentLink.class);

    /**
     * Resumes (restoring, if the server lost it) or creates the session. Listens before resuming,
     * so the requests and errors of the resume itself reach the listeners too. (Its events need no
     * listener: the persist driver writes each into the timeline.) Blocking.
     */
    static AgentLink open(
            SandboxAgent sdk,
            SessionCreateRequest request,
            Consumer<PermissionRequest> permissions,
            Consumer<SandboxAgentException> errors) {
        String sessionId = Objects.requireNonNull(request.id(), "the session's id");
        List<Subscription> subscriptions =
                List.of(
                        sdk.onPermissionRequest(sessionId, permissions),
                        sdk.onSessionError(sessionId, errors));
        try {
            return new AgentLink(sdk, sdk.resumeOrCreateSession(request), subscriptions);
        } catch (RuntimeException e) {
            subscriptions.forEach(Subscription::close);
            sdk.dispose();
            throw e;
        }
    }

    /** The seed's {@code onSleep}: unsubscribe, then dispose the SDK. */
    void close() {
        subscriptions.forEach(Subscription::close);
        sdk.dispose();
    }

    /**
     * The workspace is destroyed: ends the running turn and destroys the session, then disposes the
     * SDK, which deletes its ACP server on the Sandbox Agent server and so ends the agent's
     * process. Waits at most {@code bound} (a DELETE the server does not answer, an unreachable
     * server); the rest goes on in the background.
     *
     * @return whether it finished within {@code bound}
     */
    boolean destroy(Duration bound) throws InterruptedException {
        Thread closing =
                Thread.ofVirtual()
                        .name("workspace-agent-destroy")
                        .start(
                                () -> {
                                    subscriptions.forEach(Subscription::close);
                                    try {
                                        sdk.destroySession(session.id());
                                    } catch (RuntimeException e) {
                                        log.debug(
                                                "destroying session {} failed: {}",
                                                session.id(),
                                                e.toString());
                                    } finally {
                                        sdk.dispose();
                                    }
                                });
        return closing.join(bound);
    }
}
