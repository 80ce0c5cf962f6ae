// Server restart while connected: the official client must reconnect by itself and receive events again.
// usage: node restart.mjs <endpoint> <bare|json|cbor> <2.3.19|2.3.11>
// Prints {"step":"ready"} once connected; whoever runs it then replaces the server under the same endpoint.
// Exit 0 when the scenario ran to its end (its lines say what happened), non-zero on a harness failure.
import { randomBytes } from "node:crypto";

const [endpoint, encoding, clientVersion] = process.argv.slice(2);
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import(clientVersion === "2.3.11" ? "rivetkit-2311/client" : "rivetkit/client");
const watchdog = setTimeout(() => {
	console.error("restart.mjs: did not finish within 60 s");
	process.exit(3);
}, 60_000);

const print = (step, result) => console.log(JSON.stringify({ step, result }));
const client = createClient({ endpoint, encoding });
const conn = client.counter.getOrCreate([`restart-${randomBytes(4).toString("hex")}`]).connect();
const statuses = [];
const events = [];
conn.onStatusChange((status) => statuses.push(status));
conn.on("newCount", (count) => events.push(count));
await conn.ready;

print("increment before restart", await conn.increment(1));
await until(() => events.length === 1);
print("ready", true);

// The server goes away and comes back; the client must find the new one on its own.
await until(() => statuses.includes("disconnected") && statuses.at(-1) === "connected", 45_000);
print("increment after restart", await conn.increment(1));
await until(() => events.length === 2);
print("events", events);
print("reconnected", statuses.includes("disconnected") && statuses.at(-1) === "connected");
await conn.dispose();
await client.dispose();
clearTimeout(watchdog);
process.exit(0);

async function until(condition, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) {
			print("timed out", { statuses, events });
			process.exit(0);
		}
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}
