package dev.rivetkitjava.workspace;

import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.workspace.Workspace.Participant;
import dev.rivetkitjava.workspace.Workspace.PermissionRequested;
import dev.rivetkitjava.workspace.Workspace.QueueState;
import dev.rivetkitjava.workspace.Workspace.QueuedPrompt;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The workspace's ephemeral vars, rebuilt on every wake. Touched only while holding the actor's turn, except
 * {@link #lastEventIndex}, which the SDK's event thread advances.
 */
public final class WorkspaceVars {

    final SessionPersistDriver persist;
    /** The Sandbox Agent connection and session; null until the first prompt, or after a failure. */
    AgentLink link;
    /** The highest session event index delivered so far: where the next note goes in the timeline. */
    volatile long lastEventIndex;
    final Map<String, Participant> participants = new LinkedHashMap<>();
    final Map<String, PermissionRequested> pendingPermissions = new LinkedHashMap<>();
    QueuedPrompt running;
    private final Deque<Waiting> waiting = new ArrayDeque<>();

    private record Waiting(QueuedPrompt prompt, CompletableFuture<Void> turn) {
    }

    WorkspaceVars(SessionPersistDriver persist, long lastEventIndex) {
        this.persist = persist;
        this.lastEventIndex = lastEventIndex;
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

    QueueState queueState() {
        return new QueueState(running, waiting.stream().map(Waiting::prompt).toList());
    }
}
