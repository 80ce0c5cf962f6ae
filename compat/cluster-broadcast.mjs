// The official rivetkit client across a cluster: a caller connected to the first endpoint
// increments the "probe" actor of one key and listens to its "count" broadcasts, and one viewer
// per endpoint listens too. Then a raw WebSocket through the first endpoint (handle.webSocket) to
// the same actor: two frames sent at once, both echoed.
//
// usage: node cluster-broadcast.mjs <bare|json|cbor> <key> <increments> <endpoint>...
//
// Prints one JSON line: {"acked":[counts the increments answered],
// "received":[{"endpoint":…,"counts":[every count event, in arrival order]}, …], "raw":[the echoes,
// in arrival order]}, the caller's list first. Exit 0 once every listener received the last acknowledged count.
import WS from "ws";

const [encoding, key, increments, ...endpoints] = process.argv.slice(2);
if (!["bare", "json", "cbor"].includes(encoding) || !key || !(Number(increments) > 0) || endpoints.length === 0) {
	console.error("usage: node cluster-broadcast.mjs <bare|json|cbor> <key> <increments> <endpoint>...");
	process.exit(2);
}
const watchdog = setTimeout(() => {
	console.error("cluster-broadcast.mjs: did not finish within 60 s");
	process.exit(3);
}, 60_000);
// As scenario.mjs: the client takes globalThis.WebSocket, the same ws class on every Node version.
globalThis.WebSocket = WS;
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import("rivetkit/client");

function listen(endpoint) {
	const conn = createClient({ endpoint, encoding }).probe.getOrCreate([key]).connect();
	const counts = [];
	conn.on("count", (count) => counts.push(count));
	return { endpoint, conn, counts };
}
const caller = listen(endpoints[0]);
const listeners = [caller, ...endpoints.map(listen)];
await Promise.all(listeners.map((l) => l.conn.ready));

const acked = [];
const everyoneHas = (count) => listeners.every((l) => l.counts.includes(count));
async function until(condition, what) {
	const deadline = Date.now() + 15_000;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}
// A subscription travels to the owner on its own; increment until every listener got one count,
// so each list starts at some acknowledged count and must hold every later one exactly once.
for (;;) {
	acked.push(await caller.conn.increment(1));
	if (listeners.every((l) => l.counts.length > 0)) break;
	await new Promise((r) => setTimeout(r, 100));
}
for (let i = 0; i < Number(increments); i++) acked.push(await caller.conn.increment(1));
await until(() => everyoneHas(acked[acked.length - 1]), "the last count on every listener");
await Promise.all(listeners.map((l) => l.conn.dispose()));

const raw = [];
const ws = await createClient({ endpoint: endpoints[0], encoding }).probe.getOrCreate([key]).webSocket("/echo");
await new Promise((resolve, reject) => {
	const onOpen = () => { ws.send("ping"); ws.send("pong"); };
	if (ws.readyState === 1) onOpen();
	else ws.addEventListener("open", onOpen);
	ws.addEventListener("message", (ev) => { raw.push(String(ev.data)); if (raw.length === 2) resolve(); });
	ws.addEventListener("error", () => reject(new Error("raw WebSocket error")));
});
ws.close();
console.log(JSON.stringify({ acked, received: listeners.map(({ endpoint, counts }) => ({ endpoint, counts })), raw }));
clearTimeout(watchdog);
