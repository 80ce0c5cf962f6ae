// The server pings /connect sockets and drops those whose client answers nothing: the official client must answer by
// itself, so a connection that sends nothing for many ping intervals stays the same connection.
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
const conn = client.counter.getOrCreate([`pings-${randomBytes(4).toString("hex")}`]).connect();
let opens = 0;
let closes = 0;
conn.onOpen(() => opens++);
conn.onClose(() => closes++);
await conn.ready;
const before = await conn.increment(1);
await new Promise((resolve) => setTimeout(resolve, Number(quietMillis)));
const after = await conn.increment(1);
console.log(JSON.stringify({ before, after, opens, closes }));
await conn.dispose();
