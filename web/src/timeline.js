// The workspace's timeline: entries `{ seq, event, data }` as getHistory() returns them (a page at a time) and
// `{ event, data }` as live events arrive, folded into what the page shows. Pure functions, so the fold is the same
// for history and live events.

/** A stable identity per entry, to merge a history snapshot with live events that raced it. */
export function entryKey({ event, data }) {
  switch (event) {
    case "session.event":
      return `session.event:${data.id}`;
    case "permission.requested":
    case "permission.resolved":
      return `${event}:${data.id}`;
    case "chat.user":
      return `chat.user:${data.userId}:${data.createdAt}:${data.text}`;
    default:
      return `${event}:${data.createdAt}:${data.message}`;
  }
}

/** History first, then the live entries it does not already hold (received while it was being fetched). */
export function mergeHistory(history, live) {
  const known = new Set(history.map(entryKey));
  return history.concat(live.filter((entry) => {
    const key = entryKey(entry);
    return !known.has(key) && known.add(key);
  }));
}

/**
 * What the page holds after a (re)connect loaded the latest page of history: the older entries it already held
 * when the new page joins on to them (no entry can be missing between the two), then the page, then the live entries
 * that raced it. Entries held without a `seq` arrived live since the last load, so the new page holds them.
 */
export function reconcileHistory(held, page, racing) {
  const latest = mergeHistory(page, racing);
  const pageFirst = firstSeq(page);
  const heldSeqs = held.filter((e) => typeof e.seq === "number").map((e) => e.seq);
  if (pageFirst === null || heldSeqs.length === 0 || pageFirst > Math.max(...heldSeqs) + 1) return latest;
  return prependHistory(held.filter((e) => typeof e.seq === "number" && e.seq < pageFirst), latest);
}

/** An older page of history before what the page holds (entries it already holds are left out). */
export function prependHistory(older, current) {
  const known = new Set(current.map(entryKey));
  return older.filter((entry) => !known.has(entryKey(entry))).concat(current);
}

/** The smallest `seq` the page holds (live entries have none until the history is reloaded); null when none. */
export function firstSeq(entries) {
  for (const entry of entries) {
    if (typeof entry.seq === "number") return entry.seq;
  }
  return null;
}

/**
 * Folds entries into display items: `user` messages, agent `turn`s (text chunks merged, tool calls updated in
 * place, permission prompts in the order they came, the stop reason once the turn ended), standalone
 * `permission`s and `error`s.
 */
export function foldTimeline(entries) {
  const items = [];
  const permissions = new Map();
  let turn = null;
  // A turn is known by the entry that opened it, so its key stays the same when older pages are put before it.
  const openTurn = (opener) => {
    if (!turn) {
      turn = { kind: "turn", key: `turn:${entryKey(opener)}`, parts: [], stopReason: null };
      items.push(turn);
    }
    return turn;
  };
  for (const entry of entries) {
    const { event, data } = entry;
    if (event === "chat.user") {
      items.push({ kind: "user", key: entryKey({ event, data }), ...data });
    } else if (event === "session.error") {
      // The agent is gone: its running turn will not end by itself.
      if (turn) endTurn(turn, "error");
      items.push({ kind: "error", key: entryKey({ event, data }), ...data });
      turn = null;
    } else if (event === "permission.requested") {
      const permission = { kind: "permission", key: `permission-${data.id}`, request: data, resolution: null };
      permissions.set(data.id, permission);
      (turn ? turn.parts : items).push(permission);
    } else if (event === "permission.resolved") {
      const permission = permissions.get(data.id);
      if (permission) permission.resolution = data;
    } else if (event === "session.event" && data.sender === "agent") {
      const payload = data.payload ?? {};
      if (payload.method === "session/update") {
        applyUpdate(openTurn(entry), payload.params?.update ?? {});
      } else if (payload.result?.stopReason) {
        endTurn(openTurn(entry), payload.result.stopReason);
        turn = null;
      }
    }
  }
  return items;
}

/** A permission still unanswered when its turn ends can no longer be answered usefully. */
function endTurn(turn, stopReason) {
  turn.stopReason = stopReason;
  for (const part of turn.parts) {
    if (part.kind === "permission") part.turnEnded = true;
  }
}

function applyUpdate(turn, update) {
  const last = turn.parts[turn.parts.length - 1];
  switch (update.sessionUpdate) {
    case "agent_message_chunk": {
      const text = update.content?.type === "text" ? update.content.text : "";
      if (last?.kind === "text") last.text += text;
      else turn.parts.push({ kind: "text", key: `text-${turn.parts.length}`, text });
      break;
    }
    case "tool_call":
      turn.parts.push({ kind: "tool", key: `tool-${update.toolCallId}`, toolCallId: update.toolCallId, ...toolFields(update) });
      break;
    case "tool_call_update": {
      const tool = turn.parts.find((p) => p.kind === "tool" && p.toolCallId === update.toolCallId);
      if (tool) Object.assign(tool, toolFields(update));
      break;
    }
    default:
      break;
  }
}

/** The fields a tool call shows; an update carries only those that changed. */
function toolFields({ title, kind, status }) {
  const fields = { title, toolKind: kind, status };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined));
}
