// One workspace: the connection to its actor, the state the page keeps of it, and the layout.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Timeline } from "./Timeline.jsx";
import { entryKey, foldTimeline, mergeHistory } from "./timeline.js";

const TIMELINE_EVENTS = ["chat.user", "session.event", "session.error", "permission.requested", "permission.resolved"];
const STATUS_LABELS = { connected: "Connected", connecting: "Connecting…", disconnected: "Reconnecting…", idle: "Offline" };

export function Workspace({ useActor, workspaceId, userId, onLeave }) {
  const workspace = useActor({ name: "workspace", key: [workspaceId], params: { userId } });
  const { connection, connStatus } = workspace;
  const [entries, setEntries] = useState([]);
  const [participants, setParticipants] = useState([]);
  const [queue, setQueue] = useState({ running: null, waiting: [] });
  const [notice, setNotice] = useState(null);
  // Live entries that arrive while getHistory() is in flight, merged into its answer.
  const racingHistory = useRef(null);

  const appendEntry = useCallback((event, data) => {
    const entry = { event, data };
    racingHistory.current?.push(entry);
    // The same event can arrive twice (a client that re-dialled during a restart may briefly hold two sockets).
    setEntries((current) => (current.some((e) => entryKey(e) === entryKey(entry)) ? current : [...current, entry]));
  }, []);
  for (const event of TIMELINE_EVENTS) {
    // A fixed list, so the hooks run in the same order on every render.
    workspace.useEvent(event, (data) => appendEntry(event, data));
  }
  workspace.useEvent("queue.updated", setQueue);
  workspace.useEvent("presence.join", (joined) =>
    setParticipants((current) => (current.some((p) => p.userId === joined.userId) ? current : [...current, joined])));
  workspace.useEvent("presence.leave", (left) =>
    setParticipants((current) => current.filter((p) => p.userId !== left.userId)));

  // On every (re)connect, the actor's own record replaces what this page holds: a reload, a late join and a
  // server restart all end up showing the same thing as everyone else.
  useEffect(() => {
    if (connStatus !== "connected" || !connection) return undefined;
    let current = true;
    const racing = [];
    racingHistory.current = racing;
    Promise.all([connection.getHistory(), connection.listParticipants(), connection.getQueue()])
      .then(([history, people, queueState]) => {
        if (!current) return;
        setEntries(mergeHistory(history, racing));
        setParticipants(people);
        setQueue(queueState);
      })
      .catch((error) => current && setNotice(`Could not load the workspace: ${error.message}`))
      .finally(() => {
        if (racingHistory.current === racing) racingHistory.current = null;
      });
    return () => {
      current = false;
    };
  }, [connStatus, connection]);

  const items = useMemo(() => foldTimeline(entries), [entries]);
  const call = (what, action) =>
    action().catch((error) => setNotice(`${what} failed: ${error.message}`));
  const prompt = (text) => call("Sending", () => connection.prompt({ userId, text }));
  const respond = (id, reply) => call("Answering", () => connection.respondPermission({ id, reply, userId }));
  const cancel = () => call("Cancelling", () => connection.cancel());
  const ready = connStatus === "connected" && connection;

  return (
    <div className="workspace">
      <header>
        <h1>
          Workspace <code>{workspaceId}</code>
        </h1>
        <span className={`status status-${connStatus}`} data-testid="connection" data-status={connStatus}>
          {STATUS_LABELS[connStatus] ?? connStatus}
        </span>
        <span className="me">
          you are <strong>{userId}</strong> · <button className="link" onClick={onLeave}>switch</button>
        </span>
      </header>
      <div className="notices">
        {workspace.error && <p className="notice">Connection error: {workspace.error.message}</p>}
        {notice && (
          <p className="notice" role="alert">
            {notice} <button className="link" onClick={() => setNotice(null)}>dismiss</button>
          </p>
        )}
      </div>
      <main>
        <Timeline items={items} onRespond={ready ? respond : null} />
        <Composer disabled={!ready} onPrompt={prompt} />
      </main>
      <aside>
        <section data-testid="participants">
          <h2>Here now</h2>
          <ul>
            {participants.map((p) => (
              <li key={p.userId} className={p.userId === userId ? "self" : undefined}>{p.userId}</li>
            ))}
          </ul>
        </section>
        <section data-testid="queue">
          <h2>Agent</h2>
          {queue.running ? (
            <p>
              Working on <strong>{queue.running.userId}</strong>'s prompt: <q>{queue.running.text}</q>
            </p>
          ) : (
            <p className="muted">Idle</p>
          )}
          <button onClick={cancel} disabled={!ready || !queue.running}>Cancel turn</button>
          {queue.waiting.length > 0 && (
            <>
              <h3>Waiting ({queue.waiting.length})</h3>
              <ol>
                {queue.waiting.map((w) => (
                  <li key={w.promptId}>
                    <strong>{w.userId}</strong>: {w.text}
                  </li>
                ))}
              </ol>
            </>
          )}
        </section>
      </aside>
    </div>
  );
}

function Composer({ disabled, onPrompt }) {
  const [text, setText] = useState("");
  const submit = (e) => {
    e.preventDefault();
    if (!text.trim()) return;
    onPrompt(text.trim());
    setText("");
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        name="prompt"
        value={text}
        placeholder="Ask the agent…"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && !e.shiftKey && submit(e)}
      />
      <button type="submit" disabled={disabled || !text.trim()}>Send</button>
    </form>
  );
}
