// Reference RivetKit 2.3.19 registry with the fixture actors the compatibility
// scenarios use. Same actors as research/rivetkit-capture/scripts/server.mjs
// (counter without its queue/run loop, lifecycle unchanged).
// A rivetkit-java server must implement `counter` and `lifecycle` identically.
//
// Env: RIVET_ENDPOINT (engine), RIVET_RUN_ENGINE=0, RIVET_RUN_SERVICES=0,
//      SLEEP_TIMEOUT (counter idle sleep, ms, default 8000).
import { actor, setup, UserError } from "rivetkit";

const L = (...a) => console.log("[actor]", new Date().toISOString(), ...a);

const counter = actor({
	state: { count: 0 },
	createVars: (c) => {
		L("createVars", c.key);
		return { wokeAt: Date.now() };
	},
	createConnState: (c, params) => {
		L("createConnState", JSON.stringify(params));
		return { user: params?.user ?? "anon" };
	},
	onCreate: (c, input) => L("onCreate key=", JSON.stringify(c.key), "input=", JSON.stringify(input)),
	onWake: (c) => L("onWake", c.actorId, "count=", c.state.count),
	onSleep: (c) => L("onSleep", c.actorId, "count=", c.state.count),
	onDestroy: (c) => L("onDestroy", c.actorId),
	onBeforeConnect: (c, params) => {
		L("onBeforeConnect", JSON.stringify(params));
		if (params?.reject) throw new UserError("connection rejected", { code: "rejected" });
	},
	onConnect: (c, conn) => L("onConnect", conn.id, JSON.stringify(conn.state)),
	onDisconnect: (c, conn) => L("onDisconnect", conn.id),
	onStateChange: (c, newState) => L("onStateChange", JSON.stringify(newState)),
	onRequest: (c, request) => {
		const url = new URL(request.url);
		L("onRequest", request.method, url.pathname + url.search);
		return new Response(JSON.stringify({ path: url.pathname, search: url.search, count: c.state.count }), {
			headers: { "content-type": "application/json" },
		});
	},
	onWebSocket: (c, ws) => {
		L("onWebSocket open");
		ws.addEventListener("message", (ev) => ws.send(`echo:${ev.data}`));
	},
	actions: {
		increment: (c, amount = 1) => {
			c.state.count += amount;
			c.broadcast("newCount", c.state.count);
			return c.state.count;
		},
		getCount: (c) => c.state.count,
		whoami: (c) => ({ connId: c.conn.id, connState: c.conn.state, params: c.conn.params, key: c.key, actorId: c.actorId, name: c.name }),
		fail: () => {
			throw new UserError("boom", { code: "custom_code", metadata: { a: 1 } });
		},
		internalFail: () => {
			throw new Error("secret internal detail");
		},
		slow: async (c, ms) => {
			await new Promise((r) => setTimeout(r, ms));
			return ms;
		},
		types: () => ({ big: 10n, bytes: new Uint8Array([1, 2, 3]), undef: undefined, date: new Date(0), set: new Set([1]), map: new Map([["k", 1]]) }),
		kick: (c) => {
			const conn = c.conn;
			setTimeout(() => conn.disconnect("kicked"), 50);
			return "kicking";
		},
		sendToMe: (c, msg) => {
			c.conn.send("direct", msg, 2);
			return true;
		},
		goToSleep: (c) => {
			c.sleep();
			return "ok";
		},
	},
	options: { sleepTimeout: Number(process.env.SLEEP_TIMEOUT ?? 8000) },
});

const lifecycle = actor({
	createState: (c, input) => {
		L("LC createState input=", JSON.stringify(input));
		return { input: input ?? null, log: ["createState"], scheduled: 0 };
	},
	onMigrate: (c, isNew) => L("LC onMigrate isNew=", isNew),
	onCreate: (c, input) => { L("LC onCreate"); c.state.log.push("onCreate"); },
	createVars: (c) => { L("LC createVars"); return { n: 0 }; },
	onWake: (c) => { L("LC onWake"); c.state.log.push("onWake"); },
	onSleep: (c) => { L("LC onSleep"); c.state.log.push("onSleep"); },
	onDestroy: (c) => L("LC onDestroy"),
	actions: {
		getState: (c) => c.state,
		scheduleTick: async (c, ms) => { const id = await c.schedule.after(ms, "tick", "from-schedule"); return id; },
		tick: (c, arg) => { L("LC tick", arg); c.state.scheduled += 1; c.broadcast("ticked", c.state.scheduled, arg); return c.state.scheduled; },
		destroyMe: (c) => { c.destroy(); return "destroying"; },
		bumpVars: (c) => ++c.vars.n,
	},
	options: { sleepTimeout: 3000 },
});

export const registry = setup({ use: { counter, lifecycle } });
registry.start();
