// A server started with a token: the official client's `token` option must open every route, and no token none.
// usage: node token.mjs <endpoint> <bare|json|cbor> <2.3.19|2.3.11> <token>
import { randomBytes } from "node:crypto";

const [endpoint, encoding, clientVersion, token] = process.argv.slice(2);
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import(clientVersion === "2.3.11" ? "rivetkit-2311/client" : "rivetkit/client");
setTimeout(() => {
	console.error("token.mjs: did not finish within 60 s");
	process.exit(3);
}, 60_000).unref();

const print = (step, outcome) => console.log(JSON.stringify({ step, ...outcome }));
async function step(name, run) {
	try {
		print(name, { result: await run() });
	} catch (e) {
		print(name, { error: `${e.group}.${e.code}` });
	}
}

const key = [`token-${randomBytes(4).toString("hex")}`];
const withToken = createClient({ endpoint, encoding, token });
const handle = withToken.counter.getOrCreate(key);
await step("stateless increment with token", () => handle.increment(1));
const id = await handle.resolve();
await step("getForId with token (direct path)", () => withToken.counter.getForId(id).getCount());
await step("connection with token", async () => {
	const conn = handle.connect();
	await conn.ready;
	const count = await conn.increment(1);
	await conn.dispose();
	return count;
});

const without = createClient({ endpoint, encoding });
await step("stateless without token", () => without.counter.getOrCreate(key).getCount());
await step("connection without token", () => new Promise((resolve) => {
	const conn = without.counter.getOrCreate(key).connect();
	conn.onError((e) => {
		resolve(`${e.group}.${e.code}`);
		conn.dispose();
	});
}));
await withToken.dispose();
await without.dispose();
process.exit(0);
