// One workspace: the connection to its actor, the state the page keeps of it, and the layout.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Timeline } from "./Timeline.jsx";
import { entryKey, firstSeq, foldTimeline, prependHistory, reconcileHistory } from "./timeline.js";
import { tokenFor } from "./tokens.js";

const TIMELINE_EVENTS = ["chat.user", "session.event", "session.error", "permission.requested", "permission.resolved"];
const STATUS_LABELS = { connected: "Connected", connecting: "Connecting…", disconnected: "Reconnecting…", idle: "Offline" };
/** Entries asked for per older page. */
const PAGE = 200;

export function Workspace({ useActor, workspaceId, mode, userId, onLeave }) {
  // Read on every render: a new join link in this tab takes effect on the next connection.
  const params = mode === "token" ? { token: tokenFor(workspaceId) } : { userId };
  // A refused connection (no, expired or forged token) is final: stop dialling and say why.
  const [refused, setRefused] = useState(null);
  const workspace = useActor({ name: "workspace", key: [workspaceId], params, enabled: !refused });
  const { connection, connStatus } = workspace;
  const [me, setMe] = useState(null);
  const [entries, setEntries] = useState([]);
  const [paging, setPaging] = useState({ loading: false, reachedStart: false });
  const [participants, setParticipants] = useState([]);
  const [queue, setQueue] = useState({ running: null, waiting: [] });
  const [notice, setNotice] = useState(null);
  // Live entries that arrive while getHistory() is in flight, merged into its answer.
  const racingHistory = useRef(null);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;

  // The client reports a refusal on the connection, and React's useActor dials again at once: catch it both where
  // it is reported and where it shows.
  const refuse = useCallback((error) => {
    if (error?.group === "auth") setRefused({ code: error.code, message: error.message });
  }, []);
  useEffect(() => connection?.onError(refuse), [connection, refuse]);
  useEffect(() => refuse(workspace.error), [workspace.error, refuse]);

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

  // On every (re)connect, the actor's own record replaces what this page holds: who this connection is, the latest
  // page of the timeline (joined on to the older pages held, when nothing can be missing between them), presence and
  // queue. A reload, a late join and a server restart all end up showing the same thing as everyone else; older
  // pages load as the timeline is scrolled to its top.
  useEffect(() => {
    if (connStatus !== "connected" || !connection) return undefined;
    let current = true;
    const racing = [];
    racingHistory.current = racing;
    Promise.all([connection.whoami(), connection.getHistory(), connection.listParticipants(), connection.getQueue()])
      .then(([caller, history, people, queueState]) => {
        if (!current) return;
        setMe(caller);
        const entries = reconcileHistory(entriesRef.current, history, racing);
        setEntries(entries);
        // Older pages held before stay, and so does having reached the start, when the new page joins on to them.
        const keptOlder = firstSeq(entries) !== firstSeq(history);
        setPaging((was) => ({ loading: false, reachedStart: startsTheWorkspace(history) || (keptOlder && was.reachedStart) }));
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

  const loadOlder = useCallback(() => {
    const beforeSeq = firstSeq(entriesRef.current);
    if (!connection || connStatus !== "connected" || beforeSeq === null || paging.loading || paging.reachedStart) {
      return;
    }
    setPaging({ loading: true, reachedStart: false });
    connection.getHistory({ beforeSeq, limit: PAGE })
      .then((older) => {
        setEntries((current) => prependHistory(older, current));
        setPaging({ loading: false, reachedStart: startsTheWorkspace(older) });
      })
      .catch((error) => {
        setPaging({ loading: false, reachedStart: false });
        setNotice(`Could not load older entries: ${error.message}`);
      });
  }, [connection, connStatus, paging]);

  const items = useMemo(() => foldTimeline(entries), [entries]);
  const call = (what, action) =>
    action().catch((error) => setNotice(`${what} failed: ${error.message}`));
  const prompt = (text) => call("Sending", () => connection.prompt({ text }));
  const respond = (id, reply) => call("Answering", () => connection.respondPermission({ id, reply }));
  const cancel = () => call("Cancelling", () => connection.cancel());
  const ready = connStatus === "connected" && connection && me;
  const member = me?.role === "member";
  const viewOnly = me?.role === "viewer";

  if (refused) {
    return <Refused workspaceId={workspaceId} refused={refused} onLeave={onLeave} />;
  }
  return (
    <div className="workspace">
      <header>
        <h1>
          Workspace <code>{workspaceId}</code>
        </h1>
        <span className={`status status-${connStatus}`} data-testid="connection" data-status={connStatus}>
          {STATUS_LABELS[connStatus] ?? connStatus}
        </span>
        <span className="me" data-testid="me" data-role={me?.role ?? ""}>
          {me ? (
            <>
              you are <strong>{me.name}</strong> <span className={`role role-${me.role}`}>{me.role}</span>
            </>
          ) : (
            <>signing in…</>
          )}{" "}
          · <button className="link" onClick={onLeave}>switch</button>
        </span>
      </header>
      <div className="notices">
        {workspace.error && workspace.error.group !== "auth" && (
          <p className="notice">Connection error: {workspace.error.message}</p>
        )}
        {notice && (
          <p className="notice" role="alert">
            {notice} <button className="link" onClick={() => setNotice(null)}>dismiss</button>
          </p>
        )}
      </div>
      <main>
        <Timeline items={items} onRespond={ready && member ? respond : null} firstSeq={firstSeq(entries)}
          loadingOlder={paging.loading} reachedStart={paging.reachedStart} onReachTop={loadOlder} />
        <Composer disabled={!ready || !member} viewOnly={viewOnly} onPrompt={prompt} />
      </main>
      <aside>
        <section data-testid="participants">
          <h2>Here now</h2>
          <ul>
            {participants.map((p) => (
              <li key={p.userId} className={p.userId === me?.userId ? "self" : undefined} data-role={p.role}>
                {p.name ?? p.userId}
                {p.role === "viewer" && <span className="muted"> · viewer</span>}
              </li>
            ))}
          </ul>
        </section>
        <section data-testid="queue">
          <h2>Agent</h2>
          {queue.running ? (
            <p>
              Working on <strong>{queue.running.name ?? queue.running.userId}</strong>'s prompt:{" "}
              <q>{preview(queue.running)}</q>
            </p>
          ) : (
            <p className="muted">Idle</p>
          )}
          <button onClick={cancel} disabled={!ready || !member || !queue.running}
            title={viewOnly ? "view only" : undefined}>Cancel turn</button>
          {queue.waiting.length > 0 && (
            <>
              <h3>Waiting ({queue.waiting.length})</h3>
              <ol>
                {queue.waiting.map((w) => (
                  <li key={w.promptId}>
                    <strong>{w.name ?? w.userId}</strong>: {preview(w)}
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

/** Whether a page of history is the first one: empty, or holding the workspace's first entry. */
function startsTheWorkspace(page) {
  return page.length === 0 || page[0].seq === 1;
}

/** A queued prompt's text as the actor previews it (the first 200 characters). */
function preview({ text, truncated }) {
  return truncated ? `${text}…` : text;
}

function Refused({ workspaceId, refused, onLeave }) {
  return (
    <div className="join refused" data-testid="auth-error" data-code={refused.code}>
      <h1>Can't open workspace <code>{workspaceId}</code></h1>
      <p className="error-message">{refused.message}</p>
      <p className="muted">
        The server refused this sign-in ({refused.code}). <button className="link" onClick={onLeave}>Back</button>
      </p>
    </div>
  );
}

function Composer({ disabled, viewOnly, onPrompt }) {
  const [text, setText] = useState("");
  const submit = (e) => {
    e.preventDefault();
    if (disabled || !text.trim()) return;
    onPrompt(text.trim());
    setText("");
  };
  return (
    <form className="composer" onSubmit={submit}>
      <textarea
        name="prompt"
        value={text}
        disabled={viewOnly}
        placeholder={viewOnly ? "View only: you can read and follow along, not prompt." : "Ask the agent…"}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && !e.shiftKey && submit(e)}
      />
      <button type="submit" disabled={disabled || !text.trim()}>Send</button>
      {viewOnly && <span className="hint" data-testid="view-only">view only</span>}
    </form>
  );
}
