// The shared timeline. Everything the agent or a user wrote is rendered as React text (text nodes), never as HTML.
import { useEffect, useRef } from "react";

const REPLY_LABELS = { once: "Approve", always: "Always allow", reject: "Deny" };
const RESOLUTION_LABELS = { once: "Approved", always: "Always allowed", reject: "Denied" };

export function Timeline({ items, onRespond }) {
  const end = useRef(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" }); // it returns a promise in newer browsers: not a cleanup
  }, [items]);
  return (
    <ol className="timeline" data-testid="timeline">
      {items.length === 0 && <li className="muted">Nothing yet. Send the agent a prompt.</li>}
      {items.map((item) => (
        <li key={item.key} className={`item item-${item.kind}`}>
          <Item item={item} onRespond={onRespond} />
        </li>
      ))}
      <li ref={end} aria-hidden="true" />
    </ol>
  );
}

function Item({ item, onRespond }) {
  switch (item.kind) {
    case "user":
      return (
        <>
          <div className="who">
            {item.userId} <time>{formatTime(item.createdAt)}</time>
          </div>
          <p className="text">{item.text}</p>
        </>
      );
    case "turn":
      return (
        <>
          <div className="who">agent</div>
          {item.parts.map((part) => (
            <Part key={part.key} part={part} onRespond={onRespond} />
          ))}
          {item.stopReason ? (
            <div className="stop">turn ended: {item.stopReason}</div>
          ) : (
            <div className="stop working">working…</div>
          )}
        </>
      );
    case "permission":
      return <Permission permission={item} onRespond={onRespond} />;
    case "error":
      return (
        <p className="text" role="alert">
          Agent error: {item.message}
        </p>
      );
    default:
      return null;
  }
}

function Part({ part, onRespond }) {
  switch (part.kind) {
    case "text":
      // A chunk after a tool call often starts a new paragraph; the card already does.
      return <p className="text agent-text">{part.text.replace(/^\n+/, "")}</p>;
    case "tool":
      return (
        <div className={`tool tool-${part.status}`} data-tool-call={part.toolCallId}>
          <span className="tool-kind">{part.toolKind ?? "tool"}</span> {part.title}{" "}
          <span className="tool-status">{part.status}</span>
        </div>
      );
    case "permission":
      return <Permission permission={part} onRespond={onRespond} />;
    default:
      return null;
  }
}

function Permission({ permission: { request, resolution, turnEnded }, onRespond }) {
  return (
    <div className={`permission ${resolution || turnEnded ? "resolved" : "pending"}`} data-permission={request.id}>
      <div>
        The agent asks permission: <strong>{request.toolCall?.title ?? "a tool call"}</strong>
      </div>
      {resolution ? (
        <div className={`resolution resolution-${resolution.reply}`}>
          {RESOLUTION_LABELS[resolution.reply] ?? resolution.reply} by <strong>{resolution.userId}</strong>
        </div>
      ) : turnEnded ? (
        <div className="resolution expired">The turn ended before anyone answered.</div>
      ) : (
        <div className="actions">
          {(request.availableReplies ?? []).map((reply) => (
            <button key={reply} className={`reply-${reply}`} disabled={!onRespond} onClick={() => onRespond(request.id, reply)}>
              {REPLY_LABELS[reply] ?? reply}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function formatTime(millis) {
  return new Date(millis).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
