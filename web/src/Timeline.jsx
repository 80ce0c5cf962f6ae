// The shared timeline. Everything the agent or a user wrote is rendered as React text (text nodes), never as HTML.
import { useLayoutEffect, useRef } from "react";

const REPLY_LABELS = { once: "Approve", always: "Always allow", reject: "Deny" };
const RESOLUTION_LABELS = { once: "Approved", always: "Always allowed", reject: "Denied" };
const POLICY_LABELS = {
  once: "Approved automatically", always: "Approved automatically", reject: "Rejected automatically",
  cancelled: "Cancelled automatically",
};
const POLICY_REASONS = {
  no_listener: "nobody could answer",
  listeners_left: "everyone who could answer left",
  timeout: "nobody answered in time",
};
/** How close to the top (px) the timeline loads its older page, and to the bottom it keeps following new entries. */
const EDGE = 120;

/**
 * The timeline follows new entries while it is scrolled to its end; scrolled to its top, it asks for the page before
 * (onReachTop) and keeps what was on screen where it was once that page is put above it.
 */
export function Timeline({ items, onRespond, firstSeq, loadingOlder, reachedStart, onReachTop }) {
  const list = useRef(null);
  const following = useRef(true);
  // What was on screen when an older page was asked for: an item and its distance from the top of the view.
  const anchor = useRef(null);

  const onScroll = () => {
    const el = list.current;
    following.current = el.scrollHeight - el.scrollTop - el.clientHeight < EDGE;
    if (el.scrollTop < EDGE && !loadingOlder && !reachedStart && firstSeq !== null) {
      anchor.current = anchorOf(el);
      onReachTop();
    }
  };

  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    const kept = anchor.current;
    const item = kept && el.querySelector(`[data-key="${CSS.escape(kept.key)}"]`);
    if (kept && item && !loadingOlder) {
      el.scrollTop = item.offsetTop - kept.offset;
      anchor.current = null;
    } else if (kept && !loadingOlder) {
      el.scrollTop = el.scrollHeight - kept.fromBottom;
      anchor.current = null;
    } else if (following.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [items, loadingOlder]);

  // A timeline too short to scroll cannot be scrolled to its top: load the page before at once.
  useLayoutEffect(() => {
    const el = list.current;
    if (el && el.scrollHeight <= el.clientHeight && !loadingOlder && !reachedStart && firstSeq !== null) {
      anchor.current = anchorOf(el);
      onReachTop();
    }
  }, [items, loadingOlder, reachedStart, firstSeq, onReachTop]);

  return (
    <div className="timeline-scroll" ref={list} onScroll={onScroll}>
      {reachedStart && items.length > 0 && <p className="muted start" data-testid="timeline-start">Beginning of the workspace</p>}
      {!reachedStart && firstSeq !== null && (
        <p className="muted start">{loadingOlder ? "Loading earlier entries…" : "Scroll up for earlier entries"}</p>
      )}
      <ol className="timeline" data-testid="timeline" data-first-seq={firstSeq ?? ""}
        data-reached-start={String(reachedStart)} data-loading={String(loadingOlder)}>
        {items.length === 0 && <li className="muted">Nothing yet. Send the agent a prompt.</li>}
        {items.map((item) => (
          <li key={item.key} data-key={item.key} className={`item item-${item.kind}`}>
            <Item item={item} onRespond={onRespond} />
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The second item in view (the first may be a turn that grows when the older page joins it), else the bottom. */
function anchorOf(el) {
  const top = el.scrollTop;
  const items = [...el.querySelectorAll("li[data-key]")];
  const visible = items.filter((li) => li.offsetTop + li.offsetHeight > top);
  const pick = visible[1] ?? visible[0];
  return {
    key: pick?.dataset.key ?? "",
    offset: pick ? pick.offsetTop - top : 0,
    fromBottom: el.scrollHeight - top,
  };
}

function Item({ item, onRespond }) {
  switch (item.kind) {
    case "user":
      return (
        <>
          <div className="who">
            {item.name ?? item.userId} <time>{formatTime(item.createdAt)}</time>
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
      {resolution?.by === "policy" ? (
        <div className={`resolution resolution-${resolution.reply} by-policy`}>
          {POLICY_LABELS[resolution.reply] ?? resolution.reply} ({POLICY_REASONS[resolution.reason] ?? "nobody could answer"})
        </div>
      ) : resolution ? (
        <div className={`resolution resolution-${resolution.reply}`}>
          {RESOLUTION_LABELS[resolution.reply] ?? resolution.reply} by <strong>{resolution.name ?? resolution.userId}</strong>
        </div>
      ) : turnEnded ? (
        <div className="resolution expired">The turn ended before anyone answered.</div>
      ) : (
        <div className="actions">
          {(request.availableReplies ?? []).map((reply) => (
            <button key={reply} className={`reply-${reply}`} disabled={!onRespond} onClick={() => onRespond?.(request.id, reply)}>
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
