package dev.rivetkitjava.workspace;

import dev.rivetkitjava.actor.ActionContext;
import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorContext;
import dev.rivetkitjava.actor.ActorError;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Conn;
import dev.rivetkitjava.actor.UserError;
import dev.rivetkitjava.sandboxagent.PermissionNotPendingException;
import dev.rivetkitjava.sandboxagent.PermissionReply;
import dev.rivetkitjava.sandboxagent.PermissionRequest;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.SandboxAgentException;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import dev.rivetkitjava.workspace.Workspace.ChatUser;
import dev.rivetkitjava.workspace.Workspace.CreateInput;
import dev.rivetkitjava.workspace.Workspace.HistoryQuery;
import dev.rivetkitjava.workspace.Workspace.Left;
import dev.rivetkitjava.workspace.Workspace.Note;
import dev.rivetkitjava.workspace.Workspace.Participant;
import dev.rivetkitjava.workspace.Workspace.PermissionAnswer;
import dev.rivetkitjava.workspace.Workspace.PermissionRequested;
import dev.rivetkitjava.workspace.Workspace.PermissionResolved;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import dev.rivetkitjava.workspace.Workspace.PromptResult;
import dev.rivetkitjava.workspace.Workspace.QueuedPrompt;
import dev.rivetkitjava.workspace.Workspace.SessionError;
import dev.rivetkitjava.workspace.Workspace.SessionInfo;
import dev.rivetkitjava.workspace.Workspace.State;
import dev.rivetkitjava.workspace.WorkspaceVars.Pending;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The seed's multiplayer workspace (Sandbox Agent's "Multiplayer" doc,
 * https://sandboxagent.dev/docs/multiplayer) made real and safe for a team: one actor per workspace
 * (key {@code [workspaceId]}) owns one Sandbox Agent session, persisted in the actor's state, and
 * broadcasts what happens in it to everyone connected. On top of the seed: callers admitted by a
 * {@link WorkspaceAccess} (members prompt, cancel and answer permissions; viewers watch), a FIFO
 * prompt queue with limits, permissions that never hang (answered by a member, else by the {@link
 * PermissionPolicy}), presence, the whole timeline kept durably and served in pages ({@link
 * Timeline}), and agent failures reported to everyone without their detail.
 *
 * <p>The Sandbox Agent connection is made on the first prompt, not in {@code createVars}, so a
 * workspace whose Sandbox Agent is down still answers {@code getHistory()}, and a failed connection
 * is simply made again by the next prompt, which restores the session from its persisted events.
 */
public final class WorkspaceActor {

    public static final String NAME = "workspace";

    /**
     * The workspace's one Sandbox Agent session (the seed's {@code resumeOrCreateSession({ id:
     * "default" })}).
     */
    static final String SESSION_ID = "default";

    /** Characters of a prompt that the queue shows. */
    static final int PREVIEW_CHARS = 200;

    /** Who calls without a connection: the server's own code (in-process handles, schedules). */
    static final Caller SYSTEM = new Caller("system", "system", Caller.Role.MEMBER);

    static final String PERMISSION_REQUESTED = "permission.requested";

    /**
     * Key-value key of the turn the agent is running, written durably before the prompt goes to the
     * agent and deleted when the turn ends in this activation: found on wake, it tells that the
     * previous activation died mid-turn (kill -9, a cluster node lost).
     */
    static final String RUNNING_TURN = "turn-running";

    /** What {@link #RUNNING_TURN} holds: whose prompt, since when. */
    record RunningTurn(String userId, String name, long startedAt) {}

    /**
     * How long {@code onDestroy} waits for the agent's session to close before it lets it finish
     * alone.
     */
    private static final Duration DESTROY_WAIT = Duration.ofSeconds(5);

    private static final ScheduledThreadPoolExecutor TIMERS = timers();

    private WorkspaceActor() {}

    public static ActorType<State, WorkspaceVars> type(WorkspaceConfig config) {
        WorkspaceLimits limits = config.limits();
        return ActorType.builder(NAME, State.class, WorkspaceVars.class)
                .createState(
                        CreateInput.class,
                        (c, input) ->
                                new State(
                                        config.sandboxId(),
                                        config.baseUrl(),
                                        input == null || input.agent() == null
                                                ? config.defaultAgent()
                                                : input.agent(),
                                        new PersistedSessions()))
                .createVars(c -> wake(c, config))

                // RivetKit's authentication pattern: admit in onBeforeConnect, keep the caller as
                // the conn state.
                .onBeforeConnect(
                        (c, params) -> {
                            Caller caller = config.access().admit(c.key().get(0), params);
                            if (caller == null) {
                                throw new IllegalStateException(
                                        "WorkspaceAccess.admit returned no caller");
                            }
                            if (c.conns().size() >= limits.maxConnections()) {
                                throw new UserError(
                                        "A workspace has at most "
                                                + limits.maxConnections()
                                                + " open connections (--max-connections-per-workspace); try again later.",
                                        "too_many_connections");
                            }
                            c.vars().admittedParams = params;
                            c.vars().admitted = caller;
                        })
                .createConnState(
                        (c, params) -> {
                            WorkspaceVars vars = c.vars();
                            Caller caller =
                                    vars.admittedParams == params && vars.admitted != null
                                            ? vars.admitted
                                            : config.access().admit(c.key().get(0), params);
                            vars.admittedParams = null;
                            vars.admitted = null;
                            return caller;
                        })
                .action("whoami", WorkspaceActor::caller)
                .action(
                        "getSessionInfo",
                        c -> new SessionInfo(c.key().get(0), c.state().sandboxId()))
                .action(
                        "prompt",
                        PromptInput.class,
                        (c, input) -> prompt(c, config, input),
                        ActionOptions.noTimeout())
                .action("cancel", WorkspaceActor::cancel)
                .action(
                        "respondPermission",
                        PermissionAnswer.class,
                        (c, answer) -> respondPermission(c, config, answer))
                .action(
                        "getHistory",
                        HistoryQuery.class,
                        (c, query) -> {
                            Timeline timeline = c.vars().timeline;
                            return c.await(
                                    () ->
                                            timeline.page(
                                                    query == null ? null : query.beforeSeq(),
                                                    query == null ? null : query.limit()));
                        })
                .action("listParticipants", c -> List.copyOf(c.vars().participants.values()))
                .action("getQueue", c -> c.vars().queueState())
                .action(
                        "listPendingPermissions",
                        c ->
                                c.vars().pendingPermissions.values().stream()
                                        .map(pending -> pending.requested)
                                        .toList())
                .onConnect(
                        (c, conn) -> {
                            Caller caller = callerOf(conn);
                            WorkspaceVars vars = c.vars();
                            if (vars.participants.containsKey(caller.userId())) {
                                return;
                            }
                            Participant joined =
                                    new Participant(
                                            caller.userId(),
                                            caller.name(),
                                            caller.role(),
                                            c.nowMillis());
                            vars.participants.put(caller.userId(), joined);
                            c.broadcast("presence.join", joined);
                        })
                .onDisconnect(
                        (c, conn) -> {
                            String userId = callerOf(conn).userId();
                            boolean stillHere =
                                    c.conns().stream()
                                            .anyMatch(
                                                    other ->
                                                            other != conn
                                                                    && callerOf(other)
                                                                            .userId()
                                                                            .equals(userId));
                            if (!stillHere && c.vars().participants.remove(userId) != null) {
                                c.broadcast("presence.leave", new Left(userId));
                            }
                            resolveIfNobodyListens(c, config, c.vars(), "listeners_left");
                        })
                .onUnsubscribe(
                        (c, conn, event) -> {
                            if (PERMISSION_REQUESTED.equals(event)) {
                                resolveIfNobodyListens(c, config, c.vars(), "listeners_left");
                            }
                        })
                .onSleep(c -> closeAgent(c, false))
                .onDestroy(c -> closeAgent(c, true))
                .build();
    }

    /**
     * {@code createVars}: the server's current Sandbox Agent, the persist driver, the timeline
     * (migrated once).
     */
    private static WorkspaceVars wake(
            ActorContext<State, WorkspaceVars> c, WorkspaceConfig config) {
        State state = c.state();
        if (!config.baseUrl().equals(state.baseUrl())
                || !config.sandboxId().equals(state.sandboxId())) {
            // A managed Sandbox Agent server gets a new port on every start; older states kept its
            // URL as the id.
            c.setState(state.withServer(config.sandboxId(), config.baseUrl()));
        }
        Timeline timeline =
                Timeline.open(
                        c.kv(),
                        config.limits().historyMaxEvents(),
                        (event, data) -> c.broadcast(event, data));
        // The session's events reach the timeline in the driver's own write: one durable write per
        // batch of events.
        var persist =
                ActorStatePersistDriver.builder(c, State::sessions)
                        .eventWriter(timeline::writeWith)
                        .build();
        if (!timeline.exists()) {
            List<Timeline.Entry> previous = previousTimeline(c.state().notes(), persist);
            timeline.appendAll(previous);
            if (!previous.isEmpty()) {
                c.log()
                        .info(
                                "workspace {}: moved the previous version's timeline ({} entries) to the key-value store",
                                c.key(),
                                previous.size());
            }
        }
        if (!c.state().notes().isEmpty()) {
            c.setState(c.state().withoutNotes());
        }
        reportInterruptedTurn(c, timeline);
        WorkspaceVars vars = new WorkspaceVars(persist, timeline);
        c.abortSignal().thenRun(() -> stopTurns(c, vars));
        return vars;
    }

    /**
     * On wake: a turn marked running was cut off with its activation (its node died). Everyone
     * learns it from the timeline (a page reloads it when it reconnects); the next prompt restores
     * the session from the persisted events.
     */
    private static void reportInterruptedTurn(
            ActorContext<State, WorkspaceVars> c, Timeline timeline) {
        Optional<byte[]> marked = c.kv().get(RUNNING_TURN);
        if (marked.isEmpty()) {
            return;
        }
        RunningTurn turn = Timeline.read(marked.get(), RunningTurn.class, RUNNING_TURN);
        c.log()
                .warn(
                        "workspace {}: its previous activation stopped during {}'s turn; the next prompt restores the session",
                        c.key(),
                        turn.userId());
        timeline.append(
                "session.error",
                new SessionError(
                        "The server running this workspace stopped during "
                                + turn.name()
                                + "'s prompt; that turn was lost. The next prompt restores the session.",
                        c.nowMillis()));
        timeline.flush(); // the notice is durable before the marker goes
        c.kv().delete(RUNNING_TURN);
    }

    // ------------------------------------------------------------------------------------------------ callers

    /**
     * The caller of an action: its connection's admitted caller; {@link #SYSTEM} without a
     * connection.
     */
    static Caller caller(ActionContext<?, ?> c) {
        return c.conn().map(WorkspaceActor::callerOf).orElse(SYSTEM);
    }

    private static Caller callerOf(Conn conn) {
        Object state = conn.state();
        if (state instanceof Caller caller) {
            return caller;
        }
        if (state != null) {
            return Objects.requireNonNull(conn.state(Caller.class)); // converted from a non-null
        }
        throw new ActorError(
                "auth", "forbidden", "This connection was not admitted to the workspace.");
    }

    private static void requireMember(Caller caller, String what) {
        if (caller.role() != Caller.Role.MEMBER) {
            throw new ActorError(
                    "auth", "forbidden", "Viewers cannot " + what + "; ask for a member link.");
        }
    }

    /**
     * Who wrote a prompt: the caller; in open mode, a caller that declared no name (the seed's
     * client, or server code) takes the {@code userId} it names in the prompt.
     */
    private static Caller author(WorkspaceConfig config, Caller caller, PromptInput input) {
        boolean nameless = caller == SYSTEM || caller.userId().equals(OpenAccess.ANONYMOUS);
        if (config.access().selfDeclared()
                && nameless
                && input.userId() != null
                && !input.userId().isBlank()) {
            return new Caller(input.userId(), input.userId(), caller.role());
        }
        return caller;
    }

    // ------------------------------------------------------------------------------------------------ prompts

    private static PromptResult prompt(
            ActionContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            @Nullable PromptInput input)
            throws Exception {
        Caller caller = caller(c);
        requireMember(caller, "prompt");
        if (input == null || input.text() == null || input.text().isBlank()) {
            throw new UserError("A prompt needs some text.", "empty_prompt");
        }
        // Every limit is checked before anything is broadcast or noted.
        WorkspaceLimits limits = config.limits();
        int bytes = input.text().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxPromptBytes()) {
            throw new UserError(
                    "A prompt has at most "
                            + limits.maxPromptBytes()
                            + " bytes (--max-prompt-bytes); this one has "
                            + bytes
                            + ".",
                    "prompt_too_long");
        }
        Caller author = author(config, caller, input);
        WorkspaceVars vars = c.vars();
        if (vars.stopping) {
            throw workspaceStopped();
        }
        if (vars.running != null) {
            if (vars.waitingCount() >= limits.maxQueuedPrompts()) {
                throw new UserError(
                        "At most "
                                + limits.maxQueuedPrompts()
                                + " prompts may wait for the agent (--max-queued-prompts); try again when the queue is shorter.",
                        "queue_full");
            }
            if (vars.waitingCountOf(author.userId()) >= limits.maxQueuedPromptsPerUser()) {
                throw new UserError(
                        "One user may have at most "
                                + limits.maxQueuedPromptsPerUser()
                                + " prompts waiting (--max-queued-prompts-per-user); wait until one of yours runs.",
                        "user_queue_full");
            }
        }

        vars.timeline.append(
                "chat.user",
                new ChatUser(author.userId(), author.name(), input.text(), c.nowMillis()));
        QueuedPrompt ticket = ticket(author, input.text());
        CompletableFuture<Void> turn = vars.enqueue(ticket);
        c.broadcast("queue.updated", vars.queueState());
        try {
            c.await(turn);
        } catch (Exception e) {
            vars.abandon(ticket);
            broadcastQuietly(c, "queue.updated", vars);
            throw e;
        }
        boolean marked = false;
        try {
            if (vars.stopping) {
                throw workspaceStopped();
            }
            Session session = session(c, config, vars);
            if (vars.stopping) {
                throw workspaceStopped();
            }
            if (vars.runningCancelled) {
                return new PromptResult(
                        "cancelled"); // cancelled while the session was being connected
            }
            c.kv().put(
                            RUNNING_TURN,
                            Timeline.write(
                                    new RunningTurn(
                                            author.userId(), author.name(), c.nowMillis())));
            marked = true;
            vars.runningSent = true;
            Timeline timeline = vars.timeline;
            String stopReason =
                    c.await(
                            () -> {
                                String reason = session.prompt(input.text()).stopReason();
                                timeline.flush(); // everyone has the turn's events before the queue
                                // moves on
                                return reason;
                            });
            if (vars.stopping) {
                throw workspaceStopped();
            }
            return new PromptResult(stopReason);
        } catch (ActorError e) {
            throw e;
        } catch (Exception e) {
            if (vars.stopping) {
                throw workspaceStopped();
            }
            String ref = ref();
            c.log().warn("workspace {}: the agent's turn failed (ref {})", c.key(), ref, e);
            failed(c, vars, ref);
            throw new UserError(agentFailed(ref), "agent_failed");
        } finally {
            if (marked) {
                unmarkRunningTurn(c);
            }
            vars.finishRunning();
            broadcastQuietly(c, "queue.updated", vars);
        }
    }

    /** The turn ended in this activation, however it ended. */
    private static void unmarkRunningTurn(ActorContext<State, WorkspaceVars> c) {
        try {
            c.kv().delete(RUNNING_TURN);
        } catch (RuntimeException e) {
            // The next wake then reports the turn as cut off: a false alarm, never a silent loss.
            c.log()
                    .warn(
                            "workspace {}: could not clear its running-turn marker: {}",
                            c.key(),
                            e.toString());
        }
    }

    private static QueuedPrompt ticket(Caller author, String text) {
        boolean truncated = text.length() > PREVIEW_CHARS;
        int cut =
                truncated && Character.isHighSurrogate(text.charAt(PREVIEW_CHARS - 1))
                        ? PREVIEW_CHARS - 1
                        : PREVIEW_CHARS;
        return new QueuedPrompt(
                UUID.randomUUID().toString(),
                author.userId(),
                author.name(),
                truncated ? text.substring(0, cut) : text,
                truncated);
    }

    /**
     * The live session, connecting (and so restoring the persisted session) when there is none.
     * Turn held.
     */
    private static Session session(
            ActorContext<State, WorkspaceVars> c, WorkspaceConfig config, WorkspaceVars vars)
            throws Exception {
        if (vars.link != null) {
            return vars.link.session();
        }
        String baseUrl = c.state().baseUrl();
        String agent = c.state().agent();
        AgentLink link =
                c.await(
                        () -> {
                            SandboxAgent sdk = config.sdk(baseUrl).persist(vars.persist).build();
                            return AgentLink.open(
                                    sdk,
                                    SessionCreateRequest.of(agent).withId(SESSION_ID),
                                    request -> onPermissionRequest(c, config, vars, sdk, request),
                                    error -> onSessionError(c, vars, sdk, error));
                        });
        vars.link = link;
        return link.session();
    }

    private static @Nullable Object cancel(ActionContext<State, WorkspaceVars> c) throws Exception {
        requireMember(caller(c), "cancel");
        WorkspaceVars vars = c.vars();
        if (vars.running == null) {
            return null;
        }
        if (!vars.runningSent) {
            vars.runningCancelled = true; // it has not reached the agent yet: it will not be sent
            return null;
        }
        AgentLink link = vars.link;
        if (link != null) {
            try {
                c.await(
                        () -> {
                            link.session().cancel();
                            return null;
                        });
            } catch (RuntimeException e) {
                if (e instanceof ActorError) {
                    throw e;
                }
                String ref = ref();
                c.log().warn("workspace {}: cancel failed (ref {})", c.key(), ref, e);
                throw new UserError(
                        "The agent could not be told to stop (ref " + ref + ").", "agent_failed");
            }
        }
        return null;
    }

    /**
     * The activation begins to stop (destroy, sleep, shutdown): waiting prompts fail, the running
     * turn ends.
     */
    private static void stopTurns(ActorContext<State, WorkspaceVars> c, WorkspaceVars vars) {
        vars.stopping = true;
        try {
            c.withTurn(
                    () -> {
                        vars.failWaiting(workspaceStopped());
                        vars.pendingPermissions.values().forEach(Pending::cancelTimer);
                        AgentLink link = vars.link;
                        if (link != null && vars.running != null && vars.runningSent) {
                            c.await(
                                    () -> {
                                        link.session().cancel();
                                        return null;
                                    });
                        }
                        return null;
                    });
        } catch (Exception e) {
            c.log()
                    .debug(
                            "workspace {}: ending its turns while stopping: {}",
                            c.key(),
                            e.toString());
        }
    }

    /**
     * {@code onSleep} / {@code onDestroy}: closes the agent session; a destroy also ends it on the
     * server.
     */
    private static void closeAgent(ActorContext<State, WorkspaceVars> c, boolean destroy)
            throws Exception {
        WorkspaceVars vars = c.vars();
        vars.stopping = true;
        vars.pendingPermissions.values().forEach(Pending::cancelTimer);
        AgentLink link = vars.link;
        vars.link = null;
        if (link == null) {
            return;
        }
        // Without the turn: the SDK's threads persist into the actor (they take the turn) while it
        // closes.
        Timeline timeline = vars.timeline;
        if (destroy) {
            if (!c.await(() -> link.destroy(DESTROY_WAIT))) {
                c.log()
                        .warn(
                                "workspace {}: its agent session is still closing after {}; it goes on in the background",
                                c.key(),
                                DESTROY_WAIT);
            }
        } else {
            c.await(
                    () -> {
                        link.close();
                        timeline.flush(); // the session's last events are in the timeline before
                        // the state is saved
                        return null;
                    });
            c.log().info("workspace {}: going to sleep, its agent session closed", c.key());
        }
    }

    /**
     * The turn failed: tell everyone (without the detail), and drop the link so the next prompt
     * restores it.
     */
    private static void failed(
            ActorContext<State, WorkspaceVars> c, WorkspaceVars vars, String ref) {
        vars.timeline.append("session.error", new SessionError(agentFailed(ref), c.nowMillis()));
        vars.pendingPermissions.values().forEach(Pending::cancelTimer);
        vars.pendingPermissions.clear();
        AgentLink link = vars.link;
        vars.link = null;
        if (link != null) {
            Thread.ofVirtual().name("workspace-link-close").start(link::close);
        }
    }

    private static String agentFailed(String ref) {
        return "The agent failed (ref " + ref + "); the next prompt restores the session.";
    }

    private static UserError workspaceStopped() {
        return new UserError(
                "The workspace stopped (it was destroyed, or its server shut down) during this prompt;"
                        + " the agent's turn was cancelled.",
                "workspace_stopped");
    }

    /**
     * A short random reference that ties a generic error text to the server's log line with the
     * detail.
     */
    static String ref() {
        return String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    }

    private static void broadcastQuietly(
            ActorContext<State, WorkspaceVars> c, String event, WorkspaceVars vars) {
        try {
            c.broadcast(event, vars.queueState());
        } catch (ActorError e) {
            // the actor stopped meanwhile: nobody is left to tell
        }
    }

    /**
     * SDK thread: an error of the session that no call reports (the store failed to keep the
     * session's events). A running turn fails with it and reports it itself ({@code agent_failed});
     * otherwise it is a {@code session.error} for everyone here, and the link is dropped so that
     * the next prompt restores the session.
     */
    private static void onSessionError(
            ActorContext<State, WorkspaceVars> c,
            WorkspaceVars vars,
            SandboxAgent sdk,
            SandboxAgentException error) {
        try {
            c.withTurn(
                    () -> {
                        AgentLink link = vars.link;
                        if (link == null || link.sdk() != sdk || vars.stopping) {
                            // Already reported and dropped, or the workspace is going away.
                            return null;
                        }
                        if (vars.running != null && vars.runningSent) {
                            c.log()
                                    .info(
                                            "workspace {}: the running turn fails with the session's error: {}",
                                            c.key(),
                                            error.toString());
                            return null;
                        }
                        String ref = ref();
                        c.log()
                                .warn(
                                        "workspace {}: the agent session failed (ref {})",
                                        c.key(),
                                        ref,
                                        error);
                        failed(c, vars, ref);
                        return null;
                    });
        } catch (Exception e) {
            c.log()
                    .warn(
                            "workspace {}: a session error while stopping: {}",
                            c.key(),
                            error.toString());
        }
    }

    // ------------------------------------------------------------------------------------------------ permissions

    /** SDK thread, after the request is persisted. */
    private static void onPermissionRequest(
            ActorContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            WorkspaceVars vars,
            SandboxAgent sdk,
            PermissionRequest request) {
        PermissionRequested requested =
                new PermissionRequested(
                        request.id(),
                        request.createdAt(),
                        request.toolCall(),
                        request.options(),
                        request.availableReplies().stream().map(WorkspaceActor::wire).toList());
        try {
            c.withTurn(
                    () -> {
                        vars.timeline.append(PERMISSION_REQUESTED, requested);
                        Pending pending = new Pending(requested, request, sdk);
                        if (!anyoneListens(c)) {
                            resolveByPolicy(c, config, vars, pending, "no_listener");
                            return null;
                        }
                        vars.pendingPermissions.put(request.id(), pending);
                        pending.timer =
                                later(
                                        config.permissionTimeout(),
                                        () -> timedOut(c, config, vars, request.id()));
                        return null;
                    });
        } catch (Exception e) {
            // The actor is stopping: the SDK answers the agent "cancelled" once it is disposed.
            c.log()
                    .warn(
                            "workspace {}: permission request {} dropped: {}",
                            c.key(),
                            request.id(),
                            e.toString());
        }
    }

    private static boolean anyoneListens(ActorContext<?, ?> c) {
        return c.conns().stream().anyMatch(conn -> conn.isSubscribed(PERMISSION_REQUESTED));
    }

    /** The permission timeout passed. */
    private static void timedOut(
            ActorContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            WorkspaceVars vars,
            String id) {
        try {
            c.withTurn(
                    () -> {
                        Pending pending = vars.pendingPermissions.get(id);
                        if (pending != null) {
                            pending.timedOut = true;
                            if (!pending.answering) {
                                resolveByPolicy(c, config, vars, pending, "timeout");
                            }
                        }
                        return null;
                    });
        } catch (Exception e) {
            c.log()
                    .debug(
                            "workspace {}: permission {} timed out while stopping: {}",
                            c.key(),
                            id,
                            e.toString());
        }
    }

    /**
     * Turn held: when no connection listens to permission requests any more, the policy answers
     * them all.
     */
    private static void resolveIfNobodyListens(
            ActorContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            WorkspaceVars vars,
            String reason)
            throws Exception {
        for (Pending pending : List.copyOf(vars.pendingPermissions.values())) {
            if (anyoneListens(c)) {
                return;
            }
            if (vars.pendingPermissions.get(pending.requested.id()) == pending
                    && !pending.answering) {
                resolveByPolicy(c, config, vars, pending, reason);
            }
        }
    }

    /**
     * Turn held: answers a request with the policy's reply (REJECT → {@code reject}; APPROVE →
     * {@code once}, else {@code always}), or cancels it when the agent offers no such reply, and
     * notes who resolved it.
     */
    private static void resolveByPolicy(
            ActorContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            WorkspaceVars vars,
            Pending pending,
            String reason)
            throws Exception {
        String id = pending.requested.id();
        vars.pendingPermissions.remove(id, pending);
        pending.cancelTimer();
        PermissionReply reply =
                policyReply(config.permissionPolicy(), pending.request.availableReplies());
        try {
            c.await(
                    () -> {
                        if (reply == null) {
                            pending.sdk.cancelPermission(id);
                        } else {
                            pending.sdk.respondPermission(id, reply);
                        }
                        return null;
                    });
        } catch (RuntimeException e) {
            if (e instanceof ActorError) {
                throw e;
            }
            // Its agent is gone (the SDK answers whatever is left "cancelled" when it is disposed).
            c.log()
                    .info(
                            "workspace {}: the policy's answer to permission {} did not reach the agent: {}",
                            c.key(),
                            id,
                            e.toString());
        }
        vars.timeline.append(
                "permission.resolved",
                new PermissionResolved(
                        id,
                        reply == null ? "cancelled" : wire(reply),
                        null,
                        null,
                        "policy",
                        reason));
    }

    static @Nullable PermissionReply policyReply(
            PermissionPolicy policy, List<PermissionReply> offered) {
        List<PermissionReply> nearest =
                switch (policy) {
                    case APPROVE -> List.of(PermissionReply.ONCE, PermissionReply.ALWAYS);
                    case REJECT -> List.of(PermissionReply.REJECT);
                };
        return nearest.stream().filter(offered::contains).findFirst().orElse(null);
    }

    private static @Nullable Object respondPermission(
            ActionContext<State, WorkspaceVars> c,
            WorkspaceConfig config,
            @Nullable PermissionAnswer answer)
            throws Exception {
        Caller caller = caller(c);
        requireMember(caller, "answer permissions");
        if (answer == null) {
            throw invalidReply(null);
        }
        PermissionReply reply = parseReply(answer.reply());
        String id = answer.id();
        WorkspaceVars vars = c.vars();
        Pending pending = id == null ? null : vars.pendingPermissions.get(id);
        if (id == null || pending == null || pending.answering) {
            throw alreadyResolved(id);
        }
        // Validate first: a reply the request does not offer leaves it pending.
        if (!pending.request.availableReplies().contains(reply)) {
            throw new UserError(
                    "This request offers "
                            + String.join(", ", pending.requested.availableReplies())
                            + "; not "
                            + wire(reply)
                            + ".",
                    "invalid_reply");
        }
        pending.answering = true;
        try {
            c.await(
                    () -> {
                        pending.sdk.respondPermission(id, reply);
                        return null;
                    });
        } catch (PermissionNotPendingException e) {
            // Its SDK has no such request any more (disposed, or the agent's session was lost).
            pending.answering = false;
            vars.pendingPermissions.remove(id, pending);
            pending.cancelTimer();
            throw alreadyResolved(id);
        } catch (RuntimeException e) {
            pending.answering = false;
            if (e instanceof ActorError) {
                throw e;
            }
            String ref = ref();
            c.log()
                    .warn(
                            "workspace {}: the answer to permission {} did not reach the agent (ref {})",
                            c.key(),
                            id,
                            ref,
                            e);
            // Still pending and answerable, unless it is nobody's to answer any more.
            if (vars.pendingPermissions.get(id) == pending
                    && (pending.timedOut || !anyoneListens(c))) {
                resolveByPolicy(
                        c, config, vars, pending, pending.timedOut ? "timeout" : "listeners_left");
            }
            throw new UserError(
                    "The answer did not reach the agent (ref " + ref + "); try again.",
                    "answer_not_delivered");
        }
        vars.pendingPermissions.remove(id, pending);
        pending.cancelTimer();
        vars.timeline.append(
                "permission.resolved",
                new PermissionResolved(
                        id, wire(reply), caller.userId(), caller.name(), "user", null));
        return null;
    }

    private static UserError alreadyResolved(@Nullable String id) {
        return new UserError(
                "Permission request '" + id + "' was already resolved or does not exist.",
                "permission_already_resolved");
    }

    private static PermissionReply parseReply(@Nullable String reply) {
        for (PermissionReply candidate : PermissionReply.values()) {
            if (wire(candidate).equals(reply)) {
                return candidate;
            }
        }
        throw invalidReply(reply);
    }

    private static UserError invalidReply(@Nullable String reply) {
        return new UserError(
                "A reply is once, always or reject; got '" + reply + "'.", "invalid_reply");
    }

    /** A reply as the page names it: {@code once}, {@code always}, {@code reject}. */
    private static String wire(PermissionReply reply) {
        return reply.name().toLowerCase(Locale.ROOT);
    }

    private static Future<?> later(Duration delay, Runnable task) {
        return TIMERS.schedule(
                () -> Thread.ofVirtual().name("workspace-permission-timeout").start(task),
                delay.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private static ScheduledThreadPoolExecutor timers() {
        ScheduledThreadPoolExecutor timers =
                new ScheduledThreadPoolExecutor(
                        1,
                        runnable -> {
                            Thread thread = new Thread(runnable, "workspace-timers");
                            thread.setDaemon(true);
                            return thread;
                        });
        timers.setRemoveOnCancelPolicy(true);
        return timers;
    }

    // ------------------------------------------------------------------------------------------------ migration

    /**
     * The previous version's timeline: the session's persisted events and the workspace's notes,
     * merged in the order they happened (each note after the session event it followed).
     */
    static List<Timeline.Entry> previousTimeline(List<Note> notes, SessionPersistDriver persist) {
        List<Timeline.Entry> timeline = new ArrayList<>();
        int next = 0;
        PageRequest page = PageRequest.first(PageRequest.MAX_LIMIT);
        while (page != null) {
            var events = persist.listEvents(SESSION_ID, page);
            for (SessionEvent event : events.items()) {
                while (next < notes.size()
                        && notes.get(next).afterEventIndex() < event.eventIndex()) {
                    Note note = notes.get(next++);
                    timeline.add(new Timeline.Entry(0, note.event(), note.data()));
                }
                timeline.add(new Timeline.Entry(0, Timeline.SESSION_EVENT, event));
            }
            page = events.hasMore() ? page.next(events.nextCursor()) : null;
        }
        while (next < notes.size()) {
            Note note = notes.get(next++);
            timeline.add(new Timeline.Entry(0, note.event(), note.data()));
        }
        return timeline;
    }
}
