// Runs ONE compatibility scenario with the official rivetkit JS client and prints
// one normalized JSON line per step.
//
// usage: node scenario.mjs <endpoint> <bare|json|cbor> <2.3.19|2.3.11> <scenario>
//
// Output lines: {"step":"…","result":…} or {"step":"…","error":{group,code,message,metadata[,actor]}}
// Exit 0 when the scenario ran to the end (whatever the server answered);
// non-zero only for harness failures (bad arguments, whole scenario > 60 s).
import { randomBytes } from "node:crypto";
import { decode as cborDecode } from "cbor-x";
import WS from "ws";

const SCENARIOS = [
	"stateless", "connect", "unsubscribe", "errors", "params-reject", "input", "get-missing",
	"create-existing", "keys", "sleep-wake", "raw", "reconnect-kick",
];
const [endpoint, encoding, clientVersion, scenario] = process.argv.slice(2);
if (endpoint === "--list") {
	console.log(SCENARIOS.join("\n"));
	process.exit(0);
}
if (!endpoint || !["bare", "json", "cbor"].includes(encoding) || !["2.3.19", "2.3.11"].includes(clientVersion) || !SCENARIOS.includes(scenario)) {
	console.error(`usage: node scenario.mjs <endpoint> <bare|json|cbor> <2.3.19|2.3.11> <${SCENARIOS.join("|")}>`);
	process.exit(2);
}
const watchdog = setTimeout(() => {
	console.error(`scenario.mjs: ${scenario} did not finish within 60 s`);
	process.exit(3);
}, 60_000);

// The client logs to stdout; keep stdout for our JSON lines (override for debugging).
process.env.RIVET_LOG_LEVEL ??= "silent";

// ---------------------------------------------------------------------------
// WebSocket tap: the client picks globalThis.WebSocket when defined. We hand it the
// `ws` class it would load anyway (also on Node 22+, for identical behaviour) and
// record, per /connect socket, the names of the Event frames the server sent, so a
// scenario can check what reached the wire even without a listener.
const sockets = [];
class TapWebSocket extends WS {
	constructor(url, protocols, options) {
		super(url, protocols, options);
		this.eventFrames = [];
		if (String(url).includes("/connect")) sockets.push(this);
		if (process.env.COMPAT_DEBUG) {
			const n = sockets.length;
			const hex = (d) => (typeof d === "string" ? d : Buffer.from(d).toString("hex"));
			const origSend = this.send.bind(this);
			this.send = (d, ...rest) => { console.error(`[ws ${n}] ${new Date().toISOString()} C->S ${hex(d)}`); return origSend(d, ...rest); };
			this.on("message", (d) => console.error(`[ws ${n}] ${new Date().toISOString()} S->C ${hex(Array.isArray(d) ? Buffer.concat(d) : d)}`));
			this.on("close", (code, reason) => console.error(`[ws] close ${code} ${reason}`));
		}
		this.on("message", (data, isBinary) => {
			const name = eventFrameName(data, isBinary);
			if (name !== undefined) this.eventFrames.push(name);
		});
	}
}
function eventFrameName(data, isBinary) {
	try {
		// the client sets binaryType "arraybuffer"; ws may also hand out Buffer or Buffer[]
		const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
		if (encoding === "bare") {
			// u16 LE version, then ToClient union tag (3 = Event), then name: uint len + utf8
			if (buf[2] !== 3) return undefined;
			let len = 0, shift = 0, i = 3;
			for (;;) { const b = buf[i++]; len |= (b & 0x7f) << shift; if (!(b & 0x80)) break; shift += 7; }
			return buf.subarray(i, i + len).toString("utf8");
		}
		const msg = encoding === "json" || !isBinary ? JSON.parse(buf.toString("utf8")) : cborDecode(buf);
		return msg?.body?.tag === "Event" ? msg.body.val.name : undefined;
	} catch {
		return undefined;
	}
}
globalThis.WebSocket = TapWebSocket;

const { createClient } = await import(clientVersion === "2.3.11" ? "rivetkit-2311/client" : "rivetkit/client");
const client = createClient({ endpoint, encoding });

// ---------------------------------------------------------------------------
// Normalization
const RUN = randomBytes(5).toString("hex"); // per-run key suffix, printed as <run>
const ids = new Map(); // raw id -> placeholder
const counters = { actor: 0, conn: 0 };
const ACTOR_FIELDS = new Set(["actorId", "actor_id", "existing_actor_id"]);
const CONN_FIELDS = new Set(["connId", "connectionId"]);

function placeholder(kind, raw) {
	if (typeof raw !== "string" || raw === "" || /^<(actor|conn):\d+>$/.test(raw)) return raw;
	if (!ids.has(raw)) ids.set(raw, `<${kind}:${++counters[kind]}>`);
	return ids.get(raw);
}

// Turn any client value into plain JSON with sorted keys and explicit markers for
// types JSON cannot carry (so bare/cbor/json differences stay visible).
function toPlain(v) {
	if (v === undefined) return { $undefined: true };
	if (v === null || typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
	if (typeof v === "bigint") return { $bigint: v.toString() };
	if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? "invalid" : v.toISOString() };
	if (v instanceof Uint8Array) return { [`$${v.constructor.name}`]: [...v] };
	if (v instanceof ArrayBuffer) return { $ArrayBuffer: [...new Uint8Array(v)] };
	if (ArrayBuffer.isView(v)) return { [`$${v.constructor.name}`]: [...v] };
	if (v instanceof Set) return { $set: [...v].map(toPlain) };
	if (v instanceof Map) return { $map: [...v].map(([k, x]) => [toPlain(k), toPlain(x)]) };
	if (Array.isArray(v)) return v.map(toPlain);
	if (typeof v === "object") {
		const out = {};
		for (const k of Object.keys(v).sort()) out[k] = toPlain(v[k]);
		return out;
	}
	return { $unsupported: typeof v };
}

// Pass 1: assign placeholders to ids found in id-carrying fields (first appearance order).
function collectIds(v) {
	if (Array.isArray(v)) v.forEach(collectIds);
	else if (v && typeof v === "object") {
		for (const [k, x] of Object.entries(v)) {
			if (ACTOR_FIELDS.has(k)) placeholder("actor", x);
			else if (CONN_FIELDS.has(k)) placeholder("conn", x);
			else collectIds(x);
		}
	}
}
// Pass 2: replace known ids and the run suffix inside every string.
function scrub(v) {
	if (typeof v === "string") {
		let s = v;
		for (const [raw, ph] of ids) if (s.includes(raw)) s = s.split(raw).join(ph);
		return s.split(RUN).join("<run>");
	}
	if (Array.isArray(v)) return v.map(scrub);
	if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
	return v;
}
function normalize(v) {
	const plain = toPlain(v);
	collectIds(plain);
	return scrub(plain);
}
function errorOf(e) {
	const err = { group: e?.group ?? null, code: e?.code ?? null, message: e?.message ?? String(e), metadata: e?.metadata };
	if (e?.actor !== undefined) err.actor = e.actor;
	if (e?.group === undefined) err.class = e?.constructor?.name ?? typeof e;
	return normalize(err);
}

function print(obj) {
	if (process.env.COMPAT_DEBUG) console.error(`[step] ${new Date().toISOString()} ${obj.step}`);
	process.stdout.write(`${JSON.stringify(obj)}\n`);
}
// Thrown to end a scenario early (exit 0) when continuing makes no sense, e.g. a
// connection that never became ready: the printed error step shows up in the diff.
class Abort extends Error {}
async function step(name, fn, { critical = false } = {}) {
	try {
		const result = await fn();
		print({ step: name, result: normalize(result) });
		return result;
	} catch (e) {
		print({ step: name, error: errorOf(e) });
		if (critical) throw new Abort(name);
		return undefined;
	}
}
// Wait for a connection silently; on failure print it as a step and abort the scenario.
async function ready(conn, label) {
	try {
		await withTimeout(conn.ready, 15000, `${label} not ready`);
	} catch (e) {
		print({ step: `${label} ready`, error: errorOf(e) });
		throw new Abort(label);
	}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(promise, ms, what) {
	return Promise.race([promise, sleep(ms).then(() => { throw { group: "harness", code: "timeout", message: `${what} within ${ms} ms` }; })]);
}

// Records event deliveries per name so scenarios can await them one by one,
// independent of whether they arrive before or after an action's reply.
function recorder(conn) {
	const queues = new Map(); // name -> { items, waiters }
	const q = (name) => {
		if (!queues.has(name)) queues.set(name, { items: [], waiters: [] });
		return queues.get(name);
	};
	const push = (name, args) => {
		const e = q(name);
		const w = e.waiters.shift();
		if (w) w(args);
		else e.items.push(args);
	};
	return {
		on: (name, tag = name) => conn.on(name, (...args) => push(tag, args)),
		once: (name, tag = name) => conn.once(name, (...args) => push(tag, args)),
		next: (name, ms = 5000) => {
			const e = q(name);
			if (e.items.length) return Promise.resolve(e.items.shift());
			return withTimeout(new Promise((r) => e.waiters.push(r)), ms, `no event "${name}"`);
		},
		pending: (name) => q(name).items.length,
	};
}
const event = (label, rec, name, ms) => step(label, () => rec.next(name, ms));
function statusLog(conn) {
	const log = [];
	conn.onStatusChange((s) => log.push(s));
	return log;
}
async function waitForStatus(conn, status, ms) {
	const t0 = Date.now();
	while (conn.connStatus !== status && Date.now() - t0 < ms) await sleep(20);
	return conn.connStatus;
}
const lastConnectSocket = () => sockets[sockets.length - 1];
const key = (prefix) => `${prefix}-${RUN}`;

// ---------------------------------------------------------------------------
// Scenarios
const scenarios = {
	// getOrCreate + stateless (HTTP) actions
	async stateless() {
		const h = client.counter.getOrCreate([key("stateless")]);
		await step("increment(5)", () => h.increment(5));
		await step("increment()", () => h.increment());
		await step("getCount()", () => h.getCount());
		await step("whoami() without params", () => h.whoami());
		const hp = client.counter.getOrCreate([key("stateless")], { params: { user: "carol", token: "abc" } });
		await step("whoami() with params", () => hp.whoami());
		await step("types()", () => h.types());
		await step("resolve()", async () => ({ actorId: await h.resolve() }));
	},

	// connection with params, subscribe, broadcast, per-connection send, second connection
	async connect() {
		const h = client.counter.getOrCreate([key("connect")]);
		const a = h.connect({ user: "alice" });
		const ra = recorder(a);
		ra.on("newCount");
		ra.on("direct");
		await step("A ready", async () => {
			await withTimeout(a.ready, 15000, "A not ready");
			return { status: a.connStatus, connId: a.connId, actorId: a.actorId };
		}, { critical: true });
		await step("A.increment(1)", () => a.increment(1));
		await event("A event newCount", ra, "newCount");
		await step("A.whoami()", () => a.whoami());
		await step("A.sendToMe(hello)", () => a.sendToMe("hello"));
		await event("A event direct", ra, "direct");
		const b = h.connect();
		const rb = recorder(b);
		rb.on("newCount");
		await step("B ready", async () => {
			await withTimeout(b.ready, 15000, "B not ready");
			return { status: b.connStatus, connId: b.connId, actorId: b.actorId };
		}, { critical: true });
		await step("B.whoami()", () => b.whoami());
		await step("B.increment(2)", () => b.increment(2));
		await event("A event newCount", ra, "newCount");
		await event("B event newCount", rb, "newCount");
		await step("A.getCount()", () => a.getCount());
		await step("stateless getCount()", () => h.getCount());
		await b.dispose();
		await a.dispose();
		await step("statuses after dispose", () => ({ a: a.connStatus, b: b.connStatus }));
	},

	// subscription follows listeners: the server stops sending once the last one is gone
	async unsubscribe() {
		const h = client.counter.getOrCreate([key("unsub")]);
		const a = h.connect();
		const ra = recorder(a);
		const off1 = ra.on("newCount", "newCount#1");
		const off2 = ra.on("newCount", "newCount#2");
		await ready(a, "A");
		const sockA = lastConnectSocket();
		const b = h.connect();
		const rb = recorder(b);
		rb.on("newCount");
		await ready(b, "B");
		// B's SubscriptionRequest travels on B's socket; a round trip on that socket makes
		// sure the actor has processed it before A's increment broadcasts.
		await step("B.getCount() (subscription settled)", () => b.getCount());
		await step("A.increment(1) with two listeners", () => a.increment(1));
		await event("A listener 1 event newCount", ra, "newCount#1");
		await event("A listener 2 event newCount", ra, "newCount#2");
		await event("B event newCount", rb, "newCount");
		off1();
		await step("A.increment(1) after removing listener 1", () => a.increment(1));
		await event("A listener 2 event newCount", ra, "newCount#2");
		await event("B event newCount", rb, "newCount");
		off2();
		const before = sockA.eventFrames.length;
		await step("A.increment(1) after removing the last listener", () => a.increment(1));
		await event("B event newCount", rb, "newCount");
		await sleep(300);
		await step("Event frames A received after the last listener was removed", () => sockA.eventFrames.slice(before));
		await step("A listener 1 calls after removal", () => ra.pending("newCount#1"));
		const off3 = ra.on("newCount", "newCount#3");
		await step("A.increment(1) after subscribing again", () => a.increment(1));
		await event("A listener 3 event newCount", ra, "newCount#3");
		await event("B event newCount", rb, "newCount");
		off3();
		const before2 = sockA.eventFrames.length;
		await step("A.sendToMe(x) without a direct listener", () => a.sendToMe("x"));
		await sleep(300);
		await step("Event frames A received for it", () => sockA.eventFrames.slice(before2));
		await step("Event frames A received in total", () => sockA.eventFrames);
		await b.dispose();
		await a.dispose();
	},

	// UserError with code+metadata, internal error, missing action — over the connection and stateless
	async errors() {
		const h = client.counter.getOrCreate([key("errors")]);
		const conn = h.connect();
		await ready(conn, "conn");
		await step("conn fail()", () => conn.fail());
		await step("conn internalFail()", () => conn.internalFail());
		await step("conn nope() (missing action)", () => conn.nope());
		await step("conn still usable: increment(1)", () => conn.increment(1));
		await step("stateless fail()", () => h.fail());
		await step("stateless internalFail()", () => h.internalFail());
		await step("stateless nope() (missing action)", () => h.nope());
		await step("stateless getCount()", () => h.getCount());
		await conn.dispose();
	},

	// onBeforeConnect rejection
	async "params-reject"() {
		const h = client.counter.getOrCreate([key("reject")]);
		await step("stateless increment(1) to create the actor", () => h.increment(1));
		const conn = h.connect({ reject: true });
		const statuses = statusLog(conn);
		const errs = [];
		const firstError = new Promise((resolve) => conn.onError((e) => { errs.push(e); resolve(); }));
		let ready = "pending";
		conn.ready.then(() => { ready = "resolved"; }, (e) => { ready = { rejected: errorOf(e) }; });
		await step("first onError", async () => {
			await withTimeout(firstError, 15000, "no onError");
			return errorOf(errs[0]);
		});
		await sleep(1000);
		await step("onError calls within 1 s", () => errs.map((e) => `${e.group}.${e.code}`));
		await step("ready after 1 s", () => ready);
		await step("status transitions", () => statuses);
		await conn.dispose();
		const hr = client.counter.getOrCreate([key("reject")], { params: { reject: true } });
		await step("stateless getCount() with rejecting params", () => hr.getCount());
		const ok = h.connect({ user: "dave" });
		await step("connect with accepted params", async () => {
			await withTimeout(ok.ready, 15000, "not ready");
			return ok.whoami();
		});
		await ok.dispose();
	},

	// createWithInput reaches createState/onCreate; hook order
	async input() {
		const h = client.lifecycle.getOrCreate([key("input")], { createWithInput: { hello: "input", n: 1 } });
		await step("getState()", () => h.getState());
		await step("bumpVars()", () => h.bumpVars());
		await step("bumpVars()", () => h.bumpVars());
		const h2 = client.lifecycle.getOrCreate([key("input")], { createWithInput: { other: "ignored" } });
		await step("getState() via getOrCreate with another input", () => h2.getState());
		const h3 = client.lifecycle.getOrCreate([key("input-none")]);
		await step("getState() of an actor created without input", () => h3.getState());
	},

	async "get-missing"() {
		await step("get(missing).getCount()", () => client.counter.get([key("missing")]).getCount());
	},

	async "create-existing"() {
		const k = [key("fresh")];
		const created = await step("create(fresh key)", async () => {
			const h = await client.counter.create(k, { input: { hello: "world" } });
			return { actorId: await h.resolve(), increment: await h.increment(2) };
		});
		if (created) await step("getForId(id).getCount()", () => client.counter.getForId(created.actorId).getCount());
		await step("getOrCreate(same key).getCount()", () => client.counter.getOrCreate(k).getCount());
		await step("create(same key) again", async () => {
			const h = await client.counter.create(k);
			return { actorId: await h.resolve() };
		});
	},

	// how keys travel: "/", ",", unicode, empty components
	async keys() {
		const cases = [
			["slash", [`a/b-${RUN}`]],
			["comma", [`c,d-${RUN}`]],
			["slash+comma", [`a/b-${RUN}`, "c,d"]],
			["unicode", [`ключ-日本-🎉-${RUN}`]],
			["empty component", [`e-${RUN}`, "", "z"]],
			["backslash", [`b\\s-${RUN}`]],
		];
		for (const [label, k] of cases) {
			const h = client.counter.getOrCreate(k);
			await step(`${label}: whoami()`, async () => {
				const w = await h.whoami();
				return { key: w.key, actorId: w.actorId };
			});
			await step(`${label}: fail() actor.key`, () => h.fail());
			await step(`${label}: resolve()`, async () => ({ actorId: await h.resolve() }));
			await step(`${label}: connect + whoami()`, async () => {
				const conn = h.connect();
				try {
					await withTimeout(conn.ready, 15000, "not ready");
					const w = await conn.whoami();
					return { key: w.key, actorId: w.actorId };
				} finally {
					await conn.dispose();
				}
			});
		}
	},

	// actor sleeps while the client stays connected; next action wakes it
	async "sleep-wake"() {
		const h = client.counter.getOrCreate([key("sleepy")]);
		await step("stateless increment(7)", () => h.increment(7));
		const conn = h.connect({ user: "erin" });
		const statuses = statusLog(conn);
		await ready(conn, "conn");
		await step("whoami()", () => conn.whoami());
		await step("fail() shows generation", () => conn.fail());
		await step("goToSleep()", () => conn.goToSleep());
		await sleep(2000);
		await step("status while asleep", () => conn.connStatus);
		await step("getCount() after sleep", () => conn.getCount());
		await step("fail() shows generation after wake", () => conn.fail());
		await step("whoami() after wake", () => conn.whoami());
		await step("status transitions", () => statuses);
		await conn.dispose();
		await step("stateless getCount()", () => h.getCount());
	},

	// raw HTTP (onRequest) and raw WebSocket (onWebSocket)
	async raw() {
		const h = client.counter.getOrCreate([key("raw")]);
		await step("increment(3)", () => h.increment(3));
		await step("fetch POST /hello?x=1", async () => {
			const res = await h.fetch("/hello?x=1", { method: "POST", body: "hi", headers: { "x-custom": "1" } });
			return { status: res.status, contentType: res.headers.get("content-type"), body: JSON.parse(await res.text()) };
		});
		await step("fetch GET /", async () => {
			const res = await h.fetch("/");
			return { status: res.status, contentType: res.headers.get("content-type"), body: JSON.parse(await res.text()) };
		});
		await step("webSocket /ws echo", async () => {
			const ws = await h.webSocket("/ws");
			const got = [];
			await withTimeout(new Promise((resolve, reject) => {
				const onOpen = () => { ws.send("ping"); ws.send("pong"); };
				if (ws.readyState === 1) onOpen();
				else ws.addEventListener("open", onOpen);
				ws.addEventListener("message", (ev) => { got.push(String(ev.data)); if (got.length === 2) resolve(); });
				ws.addEventListener("error", () => reject(new Error("ws error")));
			}), 10000, "no echo");
			ws.close();
			return got;
		});
	},

	// server-initiated disconnect: the client reconnects with a new connection and keeps its subscriptions
	async "reconnect-kick"() {
		const h = client.counter.getOrCreate([key("kick")], { params: { user: "bob" } });
		const conn = h.connect();
		const rec = recorder(conn);
		rec.on("newCount");
		rec.once("direct");
		await step("ready", async () => {
			await withTimeout(conn.ready, 15000, "not ready");
			return { status: conn.connStatus, connId: conn.connId };
		}, { critical: true });
		await step("sendToMe(hello)", () => conn.sendToMe("hello"));
		await event("event direct (once)", rec, "direct");
		await step("increment(1)", () => conn.increment(1));
		await event("event newCount", rec, "newCount");
		const statuses = statusLog(conn);
		await step("kick()", () => conn.kick());
		await step("status transitions until connected again", async () => {
			const t0 = Date.now();
			while (!(statuses.includes("disconnected") && conn.connStatus === "connected") && Date.now() - t0 < 10000) await sleep(20);
			return statuses;
		});
		await step("whoami() after reconnect", () => conn.whoami());
		await step("connId after reconnect", () => ({ connId: conn.connId }));
		await step("increment(1) after reconnect", () => conn.increment(1));
		await event("event newCount after reconnect", rec, "newCount");
		const sock = lastConnectSocket();
		await step("sendToMe(again) (the once listener is gone)", () => conn.sendToMe("again"));
		await sleep(300);
		await step("Event frames on the new socket", () => sock.eventFrames);
		await conn.dispose();
	},
};

try {
	await scenarios[scenario]().catch((e) => {
		if (!(e instanceof Abort)) throw e;
	});
	await client.dispose();
} catch (e) {
	console.error("scenario.mjs: harness failure:", e);
	process.exit(1);
}
clearTimeout(watchdog);
process.exit(0);
