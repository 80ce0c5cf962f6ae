package dev.rivetkitjava.workspace;

import dev.rivetkitjava.sandboxagent.PermissionRequest;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.Subscription;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A workspace's connection to its Sandbox Agent: the seed's vars {@code sdk}, {@code session}, {@code unsubscribe}. */
record AgentLink(SandboxAgent sdk, Session session, List<Subscription> subscriptions) {

    /** Connects and resumes (restoring, if the server lost it) or creates the session. Blocking. */
    static AgentLink open(SandboxAgent sdk, SessionCreateRequest request) {
        try {
            return new AgentLink(sdk, sdk.resumeOrCreateSession(request), new ArrayList<>());
        } catch (RuntimeException e) {
            sdk.dispose();
            throw e;
        }
    }

    void subscribe(Consumer<SessionEvent> events, Consumer<PermissionRequest> permissions) {
        subscriptions.add(session.onEvent(events));
        subscriptions.add(session.onPermissionRequest(permissions));
    }

    /** The seed's {@code onSleep}: unsubscribe, then dispose the SDK. */
    void close() {
        subscriptions.forEach(Subscription::unsubscribe);
        sdk.dispose();
    }
}
