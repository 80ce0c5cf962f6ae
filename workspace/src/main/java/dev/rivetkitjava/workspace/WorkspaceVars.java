package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rivetkitjava.sandboxagent.PermissionRequest;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.workspace.Workspace.Participant;
import dev.rivetkitjava.workspace.Workspace.PermissionRequested;
import dev.rivetkitjava.workspace.Workspace.QueueState;
import dev.rivetkitjava.workspace.Workspace.QueuedPrompt;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.jspecify.annotations.Nullable;

/**
 * The workspace's ephemeral vars, rebuilt on every wake. Touched only while holding the actor's
 * turn, except the timeline (its own lock) and {@link #stopping}.
 */
public final class WorkspaceVars {

    final SessionPersistDriver persist;
    final Timeline timeline;

    /**
     * The Sandbox Agent connection and session; null until the first prompt, or after a failure.
     */
    @Nullable AgentLink link;

    /** Set when the activation begins to stop: no turn starts any more. */
    volatile boolean stopping;

    final Map<String, Participant> participants = new LinkedHashMap<>();
    final Map<String, Pending> pendingPermissions = new LinkedHashMap<>();

    /**
     * The caller that {@code onBeforeConnect} admitted, for the {@code createConnState} right after
     * it.
     */
    @Nullable JsonNode admittedParams;

    @Nullable Caller admitted;
    @Nullable QueuedPrompt running;

    /** The running prompt has been sent to the agent (a cancel must go to the agent too). */
    boolean runningSent;

    /** The running prompt was cancelled before it reached the agent: it is not sent. */
    boolean runningCancelled;

    private final Deque<Waiting> waiting = new ArrayDeque<>();

    private record Waiting(QueuedPrompt prompt, CompletableFuture<Void> turn) {}

    /** A permission request no one has resolved yet. */
    static final class Pending {
        final PermissionRequested requested;
        final PermissionRequest request;

        /** The SDK that asked, and takes the answer. */
        final SandboxAgent sdk;

        /** The permission timeout's timer. */
        @Nullable Future<?> timer;

        /**
         * A member's answer is on its way to the agent: the policy leaves the request alone
         * meanwhile.
         */
        boolean answering;

        /** The permission timeout passed while a member's answer was on its way. */
        boolean timedOut;

        Pending(PermissionRequested requested, PermissionRequest request, SandboxAgent sdk) {
            this.requested = requested;
            this.request = request;
            this.sdk = sdk;
        }

        void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    WorkspaceVars(SessionPersistDriver persist, Timeline timeline) {
        this.persist = persist;
        this.timeline = timeline;
    }

    /** Queues a prompt; the future completes when it is this prompt's turn to run. */
    CompletableFuture<Void> enqueue(QueuedPrompt prompt) {
        if (running == null) {
            running = prompt;
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> turn = new CompletableFuture<>();
        waiting.add(new Waiting(prompt, turn));
        return turn;
    }

    /** The running prompt ended: the next one in line runs. */
    void finishRunning() {
        running = null;
        runningSent = false;
        runningCancelled = false;
        Waiting next = waiting.poll();
        if (next != null) {
            running = next.prompt();
            next.turn().complete(null);
        }
    }

    /** A waiting prompt's caller went away before its turn. */
    void abandon(QueuedPrompt prompt) {
        if (prompt.equals(running)) {
            finishRunning();
        } else {
            waiting.removeIf(w -> w.prompt().equals(prompt));
        }
    }

    /** Ends every waiting prompt with {@code error} (the workspace stops). */
    void failWaiting(RuntimeException error) {
        Waiting next;
        while ((next = waiting.poll()) != null) {
            next.turn().completeExceptionally(error);
        }
    }

    int waitingCount() {
        return waiting.size();
    }

    long waitingCountOf(String userId) {
        return waiting.stream().filter(w -> w.prompt().userId().equals(userId)).count();
    }

    QueueState queueState() {
        return new QueueState(running, waiting.stream().map(Waiting::prompt).toList());
    }
}
