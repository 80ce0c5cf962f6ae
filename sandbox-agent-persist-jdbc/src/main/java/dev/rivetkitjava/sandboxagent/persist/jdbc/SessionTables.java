package dev.rivetkitjava.sandboxagent.persist.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rivetkitjava.sandboxagent.persist.Cursors;
import dev.rivetkitjava.sandboxagent.persist.EventIndexConflictException;
import dev.rivetkitjava.sandboxagent.persist.ListPage;
import dev.rivetkitjava.sandboxagent.persist.PageRequest;
import dev.rivetkitjava.sandboxagent.persist.SessionEvent;
import dev.rivetkitjava.sandboxagent.persist.SessionRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The {@code sessions} and {@code events} tables as every JDBC driver reads and writes them: the
 * queries, the row ↔ record mapping, JSON columns as text, keyset paging and the idempotent event
 * insert.
 *
 * <p>A driver keeps what differs: its connections and transactions, its schema, its exception type,
 * and the two writes whose SQL is dialect-specific ({@link #SessionTables(String, String, String,
 * String) given here}). Every method runs on the caller's connection, inside the caller's
 * transaction where it writes, and leaves an {@link SQLException} for the caller to wrap.
 */
public final class SessionTables {
    /**
     * The columns of {@code sessions}, in the order the upsert given to the constructor binds them.
     */
    public static final String SESSION_COLUMNS =
            "id, agent, agent_session_id, last_connection_id, created_at, "
                    + "destroyed_at, sandbox_id, session_init_json, config_options_json, modes_json";

    /**
     * The columns of {@code events}, in the order the insert given to the constructor binds them.
     */
    public static final String EVENT_COLUMNS =
            "id, event_index, session_id, created_at, connection_id, sender, payload_json";

    private final String store;
    private final String selectSession;
    private final String selectSessions;
    private final String selectSessionsAfter;
    private final String selectEvents;
    private final String selectEventId;
    private final String upsertSession;
    private final String insertEventUnlessTaken;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param store names the store in error messages, e.g. {@code SQLite session store
     *     /data/sessions.db}
     * @param tablePrefix goes before the table names: {@code ""}, or a quoted schema and a dot
     * @param upsertSession inserts a session or replaces the one with its id; binds {@link
     *     #SESSION_COLUMNS}
     * @param insertEventUnlessTaken inserts an event, or nothing when its {@code (session_id,
     *     event_index)} is taken; binds {@link #EVENT_COLUMNS}
     */
    public SessionTables(
            String store, String tablePrefix, String upsertSession, String insertEventUnlessTaken) {
        this.store = Objects.requireNonNull(store, "store");
        String sessions = tablePrefix + "sessions";
        String events = tablePrefix + "events";
        this.selectSession = "SELECT " + SESSION_COLUMNS + " FROM " + sessions + " WHERE id = ?";
        // One row more than the page tells whether another page follows.
        this.selectSessions =
                "SELECT "
                        + SESSION_COLUMNS
                        + " FROM "
                        + sessions
                        + " ORDER BY created_at, id LIMIT ?";
        this.selectSessionsAfter =
                "SELECT "
                        + SESSION_COLUMNS
                        + " FROM "
                        + sessions
                        + " WHERE (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?";
        this.selectEvents =
                "SELECT "
                        + EVENT_COLUMNS
                        + " FROM "
                        + events
                        + " WHERE session_id = ? AND event_index > ? ORDER BY event_index LIMIT ?";
        this.selectEventId =
                "SELECT id FROM " + events + " WHERE session_id = ? AND event_index = ?";
        this.upsertSession = Objects.requireNonNull(upsertSession, "upsertSession");
        this.insertEventUnlessTaken =
                Objects.requireNonNull(insertEventUnlessTaken, "insertEventUnlessTaken");
    }

    public Optional<SessionRecord> getSession(Connection connection, String id)
            throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(selectSession)) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(session(rows)) : Optional.empty();
            }
        }
    }

    public ListPage<SessionRecord> listSessions(Connection connection, PageRequest request)
            throws SQLException {
        Cursors.SessionPosition after = Cursors.sessionAfter(request);
        try (PreparedStatement select =
                connection.prepareStatement(after == null ? selectSessions : selectSessionsAfter)) {
            int next = 1;
            if (after != null) {
                select.setLong(next++, after.createdAt());
                select.setString(next++, after.id());
            }
            select.setInt(next, request.limit() + 1);
            List<SessionRecord> sessions = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    sessions.add(session(rows));
                }
            }
            return ListPage.ofLookahead(sessions, request.limit(), Cursors::afterSession);
        }
    }

    public void updateSession(Connection connection, SessionRecord session) throws SQLException {
        try (PreparedStatement upsert = connection.prepareStatement(upsertSession)) {
            upsert.setString(1, session.id());
            upsert.setString(2, session.agent());
            upsert.setString(3, session.agentSessionId());
            upsert.setString(4, session.lastConnectionId());
            upsert.setLong(5, session.createdAt());
            if (session.destroyedAt() == null) {
                upsert.setNull(6, Types.BIGINT);
            } else {
                upsert.setLong(6, session.destroyedAt());
            }
            upsert.setString(7, session.sandboxId());
            upsert.setString(8, text(session.sessionInit()));
            upsert.setString(9, text(session.configOptions()));
            upsert.setString(10, text(session.modes()));
            upsert.executeUpdate();
        }
    }

    public ListPage<SessionEvent> listEvents(
            Connection connection, String sessionId, PageRequest request) throws SQLException {
        long after = Cursors.eventIndexAfter(request);
        try (PreparedStatement select = connection.prepareStatement(selectEvents)) {
            select.setString(1, sessionId);
            select.setLong(2, after);
            select.setInt(3, request.limit() + 1);
            List<SessionEvent> events = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    events.add(event(rows));
                }
            }
            return ListPage.ofLookahead(events, request.limit(), Cursors::afterEvent);
        }
    }

    /**
     * Adds the events as one batch in the caller's transaction. An index already taken by the very
     * same event (a retry) is fine; taken by another one it is an {@link
     * EventIndexConflictException}, and the caller's rollback leaves the whole batch out.
     */
    public void insertEvents(Connection connection, String sessionId, List<SessionEvent> events)
            throws SQLException {
        int[] counts;
        try (PreparedStatement insert = connection.prepareStatement(insertEventUnlessTaken)) {
            for (SessionEvent event : events) {
                insert.setString(1, event.id());
                insert.setLong(2, event.eventIndex());
                insert.setString(3, sessionId);
                insert.setLong(4, event.createdAt());
                insert.setString(5, event.connectionId());
                insert.setString(6, event.sender().wire());
                insert.setString(7, text(event.payload()));
                insert.addBatch();
            }
            counts = insert.executeBatch();
        }
        try (PreparedStatement select = connection.prepareStatement(selectEventId)) {
            for (int i = 0; i < events.size(); i++) {
                // 0: skipped, the index was taken; SUCCESS_NO_INFO: unknown, so check.
                if (counts[i] != 1) {
                    requireStoredAt(select, sessionId, events.get(i));
                }
            }
        }
    }

    private static void requireStoredAt(
            PreparedStatement select, String sessionId, SessionEvent event) throws SQLException {
        select.setString(1, sessionId);
        select.setLong(2, event.eventIndex());
        try (ResultSet rows = select.executeQuery()) {
            if (!rows.next() || !rows.getString(1).equals(event.id())) {
                throw new EventIndexConflictException(sessionId, event.eventIndex());
            }
        }
    }

    private SessionRecord session(ResultSet row) throws SQLException {
        long destroyedAt = row.getLong(6);
        Long destroyed = row.wasNull() ? null : destroyedAt;
        return new SessionRecord(
                row.getString(1),
                row.getString(2),
                row.getString(3),
                row.getString(4),
                row.getLong(5),
                destroyed,
                row.getString(7),
                treeOrNull(row.getString(8)),
                treeOrNull(row.getString(9)),
                treeOrNull(row.getString(10)));
    }

    private SessionEvent event(ResultSet row) throws SQLException {
        return new SessionEvent(
                row.getString(1),
                row.getLong(2),
                row.getString(3),
                row.getLong(4),
                row.getString(5),
                SessionEvent.Sender.fromWire(row.getString(6)),
                tree(row.getString(7)));
    }

    private @Nullable String text(@Nullable JsonNode node) {
        if (node == null) {
            return null;
        }
        try {
            return json.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** A nullable column's JSON; null stays null. */
    private @Nullable JsonNode treeOrNull(@Nullable String text) {
        return text == null ? null : tree(text);
    }

    private JsonNode tree(String text) {
        try {
            return json.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    store + " holds JSON that does not parse: " + e.getOriginalMessage(), e);
        }
    }
}
