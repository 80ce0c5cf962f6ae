// The server pings /connect sockets and raw WebSockets and drops those whose client answers nothing: the official
// client must answer by itself, so a connection (and a raw WebSocket) that sends nothing for many ping intervals stays
// the same one.
// usage: node pings.mjs <endpoint> <bare|json|cbor> <2.3.19|2.3.11> <quiet milliseconds>
import { randomBytes } from "node:crypto";

const [endpoint, encoding, clientVersion, quietMillis] = process.argv.slice(2);
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import(clientVersion === "2.3.11" ? "rivetkit-2311/client" : "rivetkit/client");
setTimeout(() => {
	console.error("pings.mjs: did not finish within 60 s");
	process.exit(3);
}, 60_000).unref();

const client = createClient({ endpoint, encoding });
const handle = client.counter.getOrCreate([`pings-${randomBytes(4).toString("hex")}`]);
const conn = handle.connect();
let opens = 0;
let closes = 0;
conn.onOpen(() => opens++);
conn.onClose(() => closes++);
await conn.ready;
const raw = await handle.webSocket("/ws");
let rawCloses = 0;
const rawMessages = [];
raw.addEventListener("close", () => rawCloses++);
raw.addEventListener("message", (ev) => rawMessages.push(String(ev.data)));
if (raw.readyState !== 1) await new Promise((resolve) => raw.addEventListener("open", resolve));
const before = await conn.increment(1);
await new Promise((resolve) => setTimeout(resolve, Number(quietMillis)));
const after = await conn.increment(1);
raw.send("still here");
while (rawMessages.length === 0 && rawCloses === 0) await new Promise((resolve) => setTimeout(resolve, 10));
console.log(JSON.stringify({ before, after, opens, closes, rawCloses, rawMessages }));
raw.close();
await conn.dispose();
