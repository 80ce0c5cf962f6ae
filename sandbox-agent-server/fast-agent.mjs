#!/usr/bin/env node
// A small ACP agent for tests: newline-delimited JSON-RPC on stdio, no network, no waiting unless asked.
// A prompt's last text block holds its script, words separated by spaces:
//   chunks=N   stream N agent_message_chunk updates "chunk 1".."chunk N" (default 3)
//   delay=MS   wait MS between updates (default 0)
//   rate=R     send the chunks on a schedule of R per second from the first (open loop: a late chunk does not
//              delay the next ones, so the mean rate holds even where timers cannot wait less than 1 ms)
//   STAMP      chunks read "chunk N @<epoch ms when sent, to the microsecond>" (for latency figures)
//   TOOL       a tool_call and its completed tool_call_update
//   PERM       a tool_call that asks permission; the outcome is reported as a chunk "permission: <optionId|cancelled>"
//   HANG       after the chunks, wait for session/cancel (then stopReason "cancelled")
//   EXIT       exit with code 3 after the first chunk
// The first update of every turn is a chunk "echo: <blocks> blocks: <first 60 chars of the first block>".
// session/cancel stops a running turn with stopReason "cancelled". Modes "default" and "bypass" (session/set_mode
// reports a current_mode_update); session/set_config_option accepts any option and value.
import readline from "node:readline";

const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// Epoch ms = this + performance.now(), to the microsecond: taken at a tick of Date.now() (so the two agree to
// within microseconds, where performance.timeOrigin can be a millisecond or more off the wall clock).
const epochOffset = (() => {
	const start = Date.now();
	let now;
	while ((now = Date.now()) === start);
	return now - performance.now();
})();
const sessions = new Map(); // sessionId -> { cancelled: boolean, wake: () => void }
const pendingRequests = new Map(); // our request id -> resolve
let nextSession = 0;
let nextRequest = 0;

function update(sessionId, update) {
	send({ method: "session/update", params: { sessionId, update } });
}

function chunk(sessionId, text) {
	update(sessionId, { sessionUpdate: "agent_message_chunk", content: { type: "text", text } });
}

function request(method, params) {
	const id = "fast-" + ++nextRequest;
	send({ id, method, params });
	return new Promise((resolve) => pendingRequests.set(id, resolve));
}

async function prompt(id, params) {
	const session = sessions.get(params.sessionId);
	if (!session) {
		return send({ id, error: { code: -32002, message: "Resource not found: session " + params.sessionId } });
	}
	session.cancelled = false;
	const blocks = params.prompt ?? [];
	const script = (blocks.at(-1)?.text ?? "").split(/\s+/);
	const option = (name, fallback) => Number(script.find((w) => w.startsWith(name + "="))?.slice(name.length + 1) ?? fallback);
	const chunks = option("chunks", 3);
	const delay = option("delay", 0);
	const rate = option("rate", 0);
	const pause = async () => { if (delay > 0) await sleep(delay); };
	const start = performance.now();
	const due = async (i) => {
		const wait = start + ((i - 1) * 1000) / rate - performance.now();
		if (wait >= 1) await sleep(wait);
	};
	const sessionId = params.sessionId;

	chunk(sessionId, `echo: ${blocks.length} blocks: ${(blocks[0]?.text ?? "").slice(0, 60)}`);
	if (script.includes("EXIT")) process.exit(3);
	for (let i = 1; i <= chunks && !session.cancelled; i++) {
		if (rate > 0) await due(i);
		else await pause();
		chunk(sessionId, "chunk " + i + (script.includes("STAMP") ? " @" + (epochOffset + performance.now()).toFixed(3) : ""));
	}
	if (script.includes("TOOL") && !session.cancelled) {
		update(sessionId, { sessionUpdate: "tool_call", toolCallId: "read-1", title: "Reading a file", kind: "read", status: "pending" });
		await pause();
		update(sessionId, { sessionUpdate: "tool_call_update", toolCallId: "read-1", status: "completed" });
	}
	if (script.includes("PERM") && !session.cancelled) {
		const toolCall = { toolCallId: "edit-1", title: "Editing a file", kind: "edit", status: "pending" };
		update(sessionId, { sessionUpdate: "tool_call", ...toolCall });
		const reply = await request("session/request_permission", {
			sessionId,
			toolCall,
			options: [
				{ optionId: "allow", name: "Allow", kind: "allow_once" },
				{ optionId: "always", name: "Always allow", kind: "allow_always" },
				{ optionId: "reject", name: "Reject", kind: "reject_once" },
			],
		});
		const outcome = reply.result?.outcome;
		chunk(sessionId, "permission: " + (outcome?.outcome === "selected" ? outcome.optionId : outcome?.outcome ?? "error"));
	}
	if (script.includes("HANG") && !session.cancelled) {
		await new Promise((resolve) => { session.wake = resolve; });
	}
	send({ id, result: { stopReason: session.cancelled ? "cancelled" : "end_turn" } });
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
	let message;
	try {
		message = JSON.parse(line);
	} catch {
		return;
	}
	if (message.method === undefined) {
		pendingRequests.get(message.id)?.(message);
		pendingRequests.delete(message.id);
		return;
	}
	const params = message.params ?? {};
	switch (message.method) {
		case "initialize":
			return send({ id: message.id, result: { protocolVersion: 1, agentCapabilities: { loadSession: false }, authMethods: [] } });
		case "session/new": {
			const sessionId = `fast-${process.pid}-${++nextSession}`;
			sessions.set(sessionId, { cancelled: false, wake: () => {} });
			const modes = { currentModeId: "default", availableModes: [{ id: "default", name: "Default" }, { id: "bypass", name: "Bypass" }] };
			return send({ id: message.id, result: { sessionId, modes } });
		}
		case "session/set_mode":
			update(params.sessionId, { sessionUpdate: "current_mode_update", currentModeId: params.modeId });
			return send({ id: message.id, result: {} });
		case "session/set_config_option":
			return send({ id: message.id, result: { configOptions: [{ id: params.configId, currentValue: params.value }] } });
		case "session/prompt":
			return void prompt(message.id, params);
		case "session/cancel": {
			const session = sessions.get(params.sessionId);
			if (session) {
				session.cancelled = true;
				session.wake();
			}
			return;
		}
		default:
			if (message.id !== undefined) {
				send({ id: message.id, error: { code: -32601, message: "Method not found: " + message.method } });
			}
	}
});
