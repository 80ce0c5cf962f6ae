package dev.rivetkitjava.workspace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.actor.ActionOptions;
import dev.rivetkitjava.actor.ActorContext;
import dev.rivetkitjava.actor.ActorType;
import dev.rivetkitjava.actor.Conn;
import dev.rivetkitjava.actor.UserError;
import dev.rivetkitjava.sandboxagent.PermissionReply;
import dev.rivetkitjava.sandboxagent.PermissionRequest;
import dev.rivetkitjava.sandboxagent.SandboxAgent;
import dev.rivetkitjava.sandboxagent.Session;
import dev.rivetkitjava.sandboxagent.SessionCreateRequest;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.actor.PersistedSessions;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionPersistDriver;
import dev.rivetkitjava.sandboxagent.persist.actor.ActorStatePersistDriver;
import dev.rivetkitjava.workspace.Workspace.ChatUser;
import dev.rivetkitjava.workspace.Workspace.CreateInput;
import dev.rivetkitjava.workspace.Workspace.Left;
import dev.rivetkitjava.workspace.Workspace.Note;
import dev.rivetkitjava.workspace.Workspace.Participant;
import dev.rivetkitjava.workspace.Workspace.PermissionAnswer;
import dev.rivetkitjava.workspace.Workspace.PermissionRequested;
import dev.rivetkitjava.workspace.Workspace.PromptInput;
import dev.rivetkitjava.workspace.Workspace.PromptResult;
import dev.rivetkitjava.workspace.Workspace.QueueState;
import dev.rivetkitjava.workspace.Workspace.QueuedPrompt;
import dev.rivetkitjava.workspace.Workspace.SessionError;
import dev.rivetkitjava.workspace.Workspace.SessionInfo;
import dev.rivetkitjava.workspace.Workspace.State;
import dev.rivetkitjava.workspace.Workspace.TimelineEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The seed's multiplayer workspace ({@code shared/seed/multiplayer.md}) made real: one actor per workspace (key
 * {@code [workspaceId]}) owns one Sandbox Agent session, persisted in the actor's state, and broadcasts what happens
 * in it to everyone connected. On top of the seed: a FIFO prompt queue (one turn at a time), shared permission
 * answers (first answer wins), presence, a history for late joiners, and agent failures reported to everyone.
 *
 * <p>The Sandbox Agent connection is made on the first prompt, not in {@code createVars}, so a workspace whose
 * Sandbox Agent is down still answers {@code getHistory()}, and a failed connection is simply made again by the
 * next prompt, which restores the session from its persisted events.
 */
public final class WorkspaceActor {

    public static final String NAME = "workspace";
    /** The workspace's one Sandbox Agent session (the seed's {@code resumeOrCreateSession({ id: "default" })}). */
    static final String SESSION_ID = "default";
    private static final int MAX_NOTES = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private WorkspaceActor() {
    }

    public static ActorType<State, WorkspaceVars> type(WorkspaceConfig config) {
        return ActorType.builder(NAME, State.class, WorkspaceVars.class)

                .createState(CreateInput.class, (c, input) -> new State(
                        config.sandboxId(),
                        config.baseUrl(),
                        input == null || input.agent() == null ? config.defaultAgent() : input.agent(),
                        new PersistedSessions(),
                        List.of()))

                .createVars(c -> {
                    if (!c.state().baseUrl().equals(config.baseUrl())) {
                        // A managed Sandbox Agent server gets a new port on every start.
                        c.setState(c.state().withBaseUrl(config.baseUrl()));
                    }
                    var persist = ActorStatePersistDriver.of(c, State::sessions);
                    return new WorkspaceVars(persist, lastEventIndex(persist));
                })

                .action("getSessionInfo", c -> new SessionInfo(c.key().get(0), c.state().sandboxId()))

                .action("prompt", PromptInput.class, (c, input) -> prompt(c, config, input), ActionOptions.noTimeout())

                .action("cancel", c -> {
                    AgentLink link = c.vars().link;
                    if (link != null && c.vars().running != null) {
                        c.await(() -> {
                            link.session().cancel();
                            return null;
                        });
                    }
                    return null;
                })

                .action("respondPermission", PermissionAnswer.class, WorkspaceActor::respondPermission)

                .action("getHistory", WorkspaceActor::history)

                .action("listParticipants", c -> List.copyOf(c.vars().participants.values()))

                .action("getQueue", c -> c.vars().queueState())

                .action("listPendingPermissions", c -> List.copyOf(c.vars().pendingPermissions.values()))

                .onConnect((c, conn) -> {
                    String userId = userId(conn);
                    if (c.vars().participants.containsKey(userId)) {
                        return;
                    }
                    Participant joined = new Participant(userId, c.nowMillis());
                    c.vars().participants.put(userId, joined);
                    c.broadcast("presence.join", joined);
                })

                .onDisconnect((c, conn) -> {
                    String userId = userId(conn);
                    boolean stillHere = c.conns().stream()
                            .anyMatch(other -> other != conn && userId(other).equals(userId));
                    if (!stillHere && c.vars().participants.remove(userId) != null) {
                        c.broadcast("presence.leave", new Left(userId));
                    }
                })

                .onSleep(c -> {
                    AgentLink link = c.vars().link;
                    if (link != null) {
                        link.close();
                    }
                })
                .build();
    }

    // ------------------------------------------------------------------------------------------------ prompts

    private static PromptResult prompt(ActorContext<State, WorkspaceVars> c, WorkspaceConfig config,
                                       PromptInput input) throws Exception {
        if (input == null || input.text() == null || input.text().isBlank()) {
            throw new UserError("a prompt needs some text", "empty_prompt");
        }
        String userId = input.userId() == null ? "anonymous" : input.userId();
        WorkspaceVars vars = c.vars();
        ChatUser chat = new ChatUser(userId, input.text(), c.nowMillis());
        c.broadcast("chat.user", chat);
        note(c, "chat.user", chat);

        QueuedPrompt ticket = new QueuedPrompt(UUID.randomUUID().toString(), userId, input.text());
        CompletableFuture<Void> turn = vars.enqueue(ticket);
        c.broadcast("queue.updated", vars.queueState());
        try {
            c.await(turn);
        } catch (Exception e) {
            vars.abandon(ticket);
            c.broadcast("queue.updated", vars.queueState());
            throw e;
        }
        try {
            Session session = session(c, config);
            String stopReason = c.await(() -> session.prompt(input.text()).stopReason());
            return new PromptResult(stopReason);
        } catch (UserError e) {
            throw e;
        } catch (Exception e) {
            c.log().warn("the agent turn of workspace {} failed: {}", c.key(), e.toString());
            failed(c, e);
            throw new UserError(errorMessage(e), "agent_failed");
        } finally {
            vars.finishRunning();
            c.broadcast("queue.updated", vars.queueState());
        }
    }

    /** The live session, connecting (and so restoring the persisted session) when there is none. Turn held. */
    private static Session session(ActorContext<State, WorkspaceVars> c, WorkspaceConfig config) throws Exception {
        WorkspaceVars vars = c.vars();
        if (vars.link != null) {
            return vars.link.session();
        }
        String baseUrl = c.state().baseUrl();
        String agent = c.state().agent();
        AgentLink link = c.await(() -> AgentLink.open(config.sdk(baseUrl).persist(vars.persist).build(),
                SessionCreateRequest.of(agent).withId(SESSION_ID),
                event -> onSessionEvent(c, event),
                request -> onPermissionRequest(c, request)));
        vars.link = link;
        return link.session();
    }

    /** SDK thread, after the event is persisted. */
    private static void onSessionEvent(ActorContext<State, WorkspaceVars> c, SessionEvent event) {
        c.vars().lastEventIndex = Math.max(c.vars().lastEventIndex, event.eventIndex());
        c.broadcast("session.event", event);
    }

    /** SDK thread. */
    private static void onPermissionRequest(ActorContext<State, WorkspaceVars> c, PermissionRequest request) {
        PermissionRequested requested = new PermissionRequested(request.id(), request.createdAt(),
                request.toolCall(), request.options(),
                request.availableReplies().stream().map(WorkspaceActor::wire).toList());
        try {
            c.withTurn(() -> {
                c.vars().pendingPermissions.put(requested.id(), requested);
                note(c, "permission.requested", requested);
                return null;
            });
        } catch (Exception e) {
            // The actor is going to sleep: the SDK answers the agent "cancelled" once it is disposed.
            c.log().warn("permission request {} of workspace {} dropped: {}", request.id(), c.key(), e.toString());
            return;
        }
        c.broadcast("permission.requested", requested);
    }

    private static Object respondPermission(ActorContext<State, WorkspaceVars> c, PermissionAnswer answer)
            throws Exception {
        PermissionReply reply = parseReply(answer.reply());
        PermissionRequested pending = answer.id() == null ? null : c.vars().pendingPermissions.remove(answer.id());
        if (pending == null) {
            throw new UserError("permission request '" + answer.id() + "' was already answered or does not exist",
                    "permission_already_resolved");
        }
        AgentLink link = c.vars().link;
        if (link != null) {
            c.await(() -> {
                link.sdk().respondPermission(pending.id(), reply);
                return null;
            });
        }
        PermissionAnswer resolved = new PermissionAnswer(pending.id(), wire(reply),
                answer.userId() == null ? "anonymous" : answer.userId());
        note(c, "permission.resolved", resolved);
        c.broadcast("permission.resolved", resolved);
        return null;
    }

    private static PermissionReply parseReply(String reply) {
        for (PermissionReply candidate : PermissionReply.values()) {
            if (wire(candidate).equals(reply)) {
                return candidate;
            }
        }
        throw new UserError("reply must be one of once, always, reject; got '" + reply + "'", "invalid_reply");
    }

    /** A reply as the page names it: {@code once}, {@code always}, {@code reject}. */
    private static String wire(PermissionReply reply) {
        return reply.name().toLowerCase(Locale.ROOT);
    }

    /** The turn failed: tell everyone, and drop the connection so the next prompt restores the session. */
    private static void failed(ActorContext<State, WorkspaceVars> c, Exception cause) {
        SessionError error = new SessionError(errorMessage(cause), c.nowMillis());
        note(c, "session.error", error);
        c.broadcast("session.error", error);
        WorkspaceVars vars = c.vars();
        vars.pendingPermissions.clear();
        AgentLink link = vars.link;
        vars.link = null;
        if (link != null) {
            Thread.ofVirtual().name("workspace-link-close").start(link::close);
        }
    }

    private static String errorMessage(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message + " (the next prompt restores the session)";
    }

    // ------------------------------------------------------------------------------------------------ history

    /** Adds one of the workspace's own entries to the timeline. Turn held. */
    private static void note(ActorContext<State, WorkspaceVars> c, String event, Object data) {
        State state = c.state();
        List<Note> notes = new ArrayList<>(state.notes());
        notes.add(new Note(c.vars().lastEventIndex, event, JSON.valueToTree(data)));
        if (notes.size() > MAX_NOTES) {
            notes.subList(0, notes.size() - MAX_NOTES).clear();
        }
        c.setState(new State(state.sandboxId(), state.baseUrl(), state.agent(), state.sessions(), notes));
    }

    /** The session's persisted events and the workspace's notes, merged in the order they happened. */
    private static List<TimelineEntry> history(ActorContext<State, WorkspaceVars> c) {
        List<Note> notes = c.state().notes();
        List<TimelineEntry> timeline = new ArrayList<>();
        int next = 0;
        PageRequest page = PageRequest.first(PageRequest.MAX_LIMIT);
        while (page != null) {
            var events = c.vars().persist.listEvents(SESSION_ID, page);
            for (SessionEvent event : events.items()) {
                while (next < notes.size() && notes.get(next).afterEventIndex() < event.eventIndex()) {
                    timeline.add(entry(notes.get(next++)));
                }
                timeline.add(new TimelineEntry("session.event", event));
            }
            page = events.hasMore() ? page.next(events.nextCursor()) : null;
        }
        while (next < notes.size()) {
            timeline.add(entry(notes.get(next++)));
        }
        return timeline;
    }

    private static long lastEventIndex(SessionPersistDriver persist) {
        long last = 0;
        PageRequest page = PageRequest.first(PageRequest.MAX_LIMIT);
        while (page != null) {
            var events = persist.listEvents(SESSION_ID, page);
            if (!events.items().isEmpty()) {
                last = events.items().getLast().eventIndex();
            }
            page = events.hasMore() ? page.next(events.nextCursor()) : null;
        }
        return last;
    }

    private static TimelineEntry entry(Note note) {
        return new TimelineEntry(note.event(), note.data());
    }

    private static String userId(Conn conn) {
        JsonNode userId = conn.params() == null ? null : conn.params().get("userId");
        return userId == null || !userId.isTextual() || userId.asText().isBlank() ? "anonymous" : userId.asText();
    }
}
