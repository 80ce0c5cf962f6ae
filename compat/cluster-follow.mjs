// The official rivetkit client's connection across its actor's move: connected through one endpoint
// to the "probe" actor of one key, it increments every 200 ms for the given seconds, while the test
// kills the actor's owner node meanwhile.
//
// usage: node cluster-follow.mjs <bare|json|cbor> <key> <seconds> <endpoint>
//
// Prints one JSON line: {"connIdAtStart", "connIdAtEnd", "statuses":[every status change],
// "acked":[counts the increments answered], "counts":[every count event, in arrival order],
// "errors":["group.code" of each failed increment]}.
import WS from "ws";

const [encoding, key, seconds, endpoint] = process.argv.slice(2);
if (!["bare", "json", "cbor"].includes(encoding) || !key || !(Number(seconds) > 0) || !endpoint) {
	console.error("usage: node cluster-follow.mjs <bare|json|cbor> <key> <seconds> <endpoint>");
	process.exit(2);
}
// As scenario.mjs: the client takes globalThis.WebSocket, the same ws class on every Node version.
globalThis.WebSocket = WS;
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import("rivetkit/client");

const conn = createClient({ endpoint, encoding }).probe.getOrCreate([key]).connect();
const statuses = [];
const counts = [];
const acked = [];
const errors = [];
conn.onStatusChange((status) => statuses.push(status));
conn.on("count", (count) => counts.push(count));
await conn.ready;
const connIdAtStart = conn.connId;

const end = Date.now() + Number(seconds) * 1000;
while (Date.now() < end) {
	try {
		acked.push(await conn.increment(1));
	} catch (e) {
		errors.push(`${e.group}.${e.code}`);
	}
	await new Promise((resolve) => setTimeout(resolve, 200));
}
// The last answer's event may still be on its way.
const deadline = Date.now() + 5_000;
while (acked.length > 0 && !counts.includes(acked.at(-1)) && Date.now() < deadline) {
	await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify({ connIdAtStart, connIdAtEnd: conn.connId, statuses, acked, counts, errors }));
await conn.dispose();
process.exit(0);
