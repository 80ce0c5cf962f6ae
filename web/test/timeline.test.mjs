// The page's pure parts, with node's test runner (run by the app module's build: `node --test web/test/`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { firstSeq, foldTimeline, mergeHistory, prependHistory, reconcileHistory } from "../src/timeline.js";
import { takeTokenFromAddress, tokenFor } from "../src/tokens.js";

const event = (seq, id, update) => ({ seq, event: "session.event", data: { id, sender: "agent", payload: update } });
const live = ({ event: name, data }) => ({ event: name, data });
const chunk = (text) => ({ method: "session/update", params: { update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text } } } });
const ids = (entries) => entries.map((e) => e.data.id);

test("an older page goes before what the page holds, without what it already holds", () => {
  const held = [event(3, "c"), event(4, "d")];
  assert.deepEqual(ids(prependHistory([event(1, "a"), event(2, "b"), event(3, "c")], held)), ["a", "b", "c", "d"]);
  assert.equal(firstSeq([live(event(9, "x")), event(5, "y")]), 5);
  assert.equal(firstSeq([live(event(9, "x"))]), null);
});

test("a reconnect keeps the older pages when the latest page joins on to them", () => {
  const held = [event(1, "a"), event(2, "b"), event(3, "c"), live(event(4, "d"))];
  const joined = reconcileHistory(held, [event(3, "c"), event(4, "d"), event(5, "e")], [live(event(6, "f"))]);
  assert.deepEqual(ids(joined), ["a", "b", "c", "d", "e", "f"]);
  assert.equal(joined[3].seq, 4, "the held live entry is replaced by the page's, with its seq");
  // A gap (entries missing between what is held and the new page): only the new page.
  assert.deepEqual(ids(reconcileHistory(held, [event(7, "g"), event(8, "h")], [])), ["g", "h"]);
  assert.deepEqual(ids(reconcileHistory([], [event(7, "g")], [live(event(7, "g"))])), ["g"]);
  assert.deepEqual(ids(mergeHistory([event(1, "a")], [live(event(1, "a")), live(event(2, "b"))])), ["a", "b"]);
});

test("an older page joins the turn it cut, and turns after it keep their keys", () => {
  const page = [event(10, "t1", chunk("later ")), event(11, "t2", chunk("text"))];
  const after = foldTimeline(prependHistory([
    { seq: 8, event: "chat.user", data: { userId: "u-alice", name: "Alice", text: "hi", createdAt: 1 } },
    event(9, "t0", chunk("early ")),
  ], page));
  assert.deepEqual(after.map((i) => i.kind), ["user", "turn"]);
  assert.equal(after[1].parts[0].text, "early later text");
  assert.equal(after[0].name, "Alice");

  const user = { seq: 2, event: "chat.user", data: { userId: "u", name: "U", text: "x", createdAt: 2 } };
  const opened = [user, event(3, "a", chunk("one"))];
  const older = [{ seq: 1, event: "session.error", data: { message: "old", createdAt: 0 } }];
  assert.equal(foldTimeline(prependHistory(older, opened))[2].key, foldTimeline(opened)[1].key);
});

test("a permission resolved by the policy keeps who resolved it and why", () => {
  const items = foldTimeline([
    { seq: 1, event: "permission.requested", data: { id: "p1", availableReplies: ["once", "reject"] } },
    { seq: 2, event: "permission.resolved", data: { id: "p1", reply: "reject", by: "policy", reason: "no_listener" } },
  ]);
  assert.equal(items[0].resolution.by, "policy");
  assert.equal(items[0].resolution.reason, "no_listener");
});

test("a join link's token moves to sessionStorage, by workspace, and out of the address", () => {
  const storage = new Map();
  const store = { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, v) };
  const replaced = [];
  const history = { state: null, replaceState: (_s, _t, url) => replaced.push(url) };
  assert.equal(takeTokenFromAddress({ href: "http://h/?w=ws%201&token=abc.def.ghi#x" }, store, history), true);
  assert.deepEqual(replaced, ["/?w=ws+1#x"]);
  assert.equal(tokenFor("ws 1", store), "abc.def.ghi");
  assert.equal(tokenFor("other", store), null);
  takeTokenFromAddress({ href: "http://h/?token=star" }, store, history);
  assert.equal(tokenFor("other", store), "star", "a token for every workspace");
  assert.equal(tokenFor("ws 1", store), "abc.def.ghi", "a workspace's own token first");
  assert.equal(takeTokenFromAddress({ href: "http://h/?w=a" }, store, history), false);
  assert.equal(replaced.length, 2, "an address without a token stays as it is");
});
