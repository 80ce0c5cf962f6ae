// The official client across kill -9 of the server: calls in a loop, one at a time, and prints each outcome as a
// JSON line, until its stdin closes (then it exits 0).
// usage: node faults.mjs <endpoint> counter <key>     increments counter [key] by 1: {"ack":N} (N: the count the
//                                                     increment returned) or {"failed":"why"}
//        node faults.mjs <endpoint> prompt <workspace> prompts workspace [workspace]: {"stopReason":"…"} or {"failed":…}
// A failed call is not retried as such: the next call is a new increment (it may have been applied before the kill,
// which whoever reads the output allows for: +1 at most per failed call).
const [endpoint, role, key] = process.argv.slice(2);
process.env.RIVET_LOG_LEVEL ??= "silent";
const { createClient } = await import("rivetkit/client");

const print = (line) => process.stdout.write(JSON.stringify(line) + "\n");
const client = createClient({ endpoint });
let running = true;
process.stdin.on("end", () => {
	running = false;
});
process.stdin.on("data", () => {});
process.stdin.resume();

while (running) {
	try {
		if (role === "counter") {
			print({ ack: await withTimeout(client.counter.getOrCreate([key]).increment(1), 30_000) });
		} else {
			const result = await withTimeout(
				client.workspace.getOrCreate([key]).prompt({ userId: "faults", text: "Propose a refactor plan." }),
				120_000,
			);
			print({ stopReason: result.stopReason });
		}
	} catch (error) {
		print({ failed: String(error?.message ?? error).slice(0, 200) });
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}
await client.dispose().catch(() => {});
process.exit(0);

function withTimeout(promise, ms) {
	let timer;
	return Promise.race([
		promise,
		new Promise((_, reject) => {
			timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
		}),
	]).finally(() => clearTimeout(timer));
}
