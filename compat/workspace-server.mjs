// The seed's multiplayer workspace (shared/seed/multiplayer.md) on the TypeScript original: RivetKit 2.3.19
// behind Rivet Engine 2.3.19, the official Sandbox Agent SDK (npm sandbox-agent 0.4.2, matching the 0.4.2
// server), one Sandbox Agent session per workspace persisted in the actor's state. The TypeScript twin of
// rivetkit-java's WorkspaceActor for side-by-side figures (bin/bench workspace --compare).
//
// As the seed: `createVars` connects the SDK and resumes or creates the session "default", every session event
// is broadcast as `session.event`, `prompt({ userId, text })` broadcasts `chat.user` and runs a turn,
// `getSessionInfo()` returns `{ workspaceId, sandboxId }`. `@sandbox-agent/persist-rivet` is not published for
// 0.4.x, so the persist driver is inline over `c.state`, as the Sandbox Agent docs' multiplayer page now shows.
// Differences from the seed, all needed to run it here: the Sandbox Agent URL and the agent come from the
// environment; timeouts are raised (a turn is longer than the 60 s action default; connecting the SDK and
// starting the agent process can take longer than the 5 s createVars default on a busy machine).
//
// Env: RIVET_ENDPOINT (engine), RIVET_RUN_ENGINE=0, RIVET_RUN_SERVICES=0 (see start-workspace.sh),
//      SANDBOX_AGENT_URL (required), WORKSPACE_AGENT (default amp: sandbox-agent-server/fast-agent.mjs),
//      WORKSPACE_PERSIST=state (default: the driver over actor state) | memory (the SDK's in-memory driver: a
//      diagnostic, to tell the persistence's share of the cost from the relay's).
import { actor, setup } from "rivetkit";
import { InMemorySessionPersistDriver, SandboxAgent } from "sandbox-agent";

const SANDBOX_AGENT_URL = process.env.SANDBOX_AGENT_URL;
const AGENT = process.env.WORKSPACE_AGENT ?? "amp";
const PERSIST = process.env.WORKSPACE_PERSIST ?? "state";
if (!SANDBOX_AGENT_URL) {
	console.error("workspace-server: SANDBOX_AGENT_URL is not set");
	process.exit(2);
}

/**
 * SessionPersistDriver (sandbox-agent 0.4.2) over actor state: `c.state[stateKey]` =
 * `{ sessions: { [id]: SessionRecord }, events: { [sessionId]: SessionEvent[] } }`, the layout of the
 * unpublished @sandbox-agent/persist-rivet. Like the SDK's in-memory driver: at most 1 024 sessions (the oldest
 * go, with their events) and 500 events per session (the oldest trimmed), pages of 100 by default, cursors are
 * decimal offsets, sessions ordered by (createdAt, id) and events by (eventIndex, id), records copied in and out.
 */
class ActorStateSessionPersistDriver {
	constructor(c, { stateKey = "_sandboxAgentPersist", maxSessions = 1024, maxEventsPerSession = 500 } = {}) {
		this.c = c;
		this.stateKey = stateKey;
		this.maxSessions = maxSessions;
		this.maxEventsPerSession = maxEventsPerSession;
		if (!this.c.state[stateKey]) {
			this.c.state[stateKey] = { sessions: {}, events: {} };
		}
	}

	get data() {
		return this.c.state[this.stateKey];
	}

	async getSession(id) {
		const session = this.data.sessions[id];
		return session ? copy(session) : undefined;
	}

	async listSessions(request = {}) {
		const sorted = Object.values(this.data.sessions).sort(
			(a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id),
		);
		return page(sorted, request);
	}

	async updateSession(session) {
		const data = this.data;
		data.sessions[session.id] = copy(session);
		if (!data.events[session.id]) {
			data.events[session.id] = [];
		}
		const ids = Object.keys(data.sessions);
		if (ids.length <= this.maxSessions) {
			return;
		}
		const oldest = Object.values(data.sessions)
			.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
			.slice(0, ids.length - this.maxSessions);
		for (const { id } of oldest) {
			delete data.sessions[id];
			delete data.events[id];
		}
	}

	async listEvents(request) {
		const events = [...(this.data.events[request.sessionId] ?? [])].sort(
			(a, b) => a.eventIndex - b.eventIndex || a.id.localeCompare(b.id),
		);
		return page(events, request);
	}

	async insertEvent(sessionId, event) {
		const data = this.data;
		if (!data.events[sessionId]) {
			data.events[sessionId] = [];
		}
		const events = data.events[sessionId];
		events.push(copy(event));
		if (events.length > this.maxEventsPerSession) {
			events.splice(0, events.length - this.maxEventsPerSession);
		}
	}
}

/** A plain copy (state values are proxies; undefined fields are dropped, as JSON does). */
function copy(value) {
	return JSON.parse(JSON.stringify(value));
}

function page(items, { cursor, limit } = {}) {
	const offset = Math.max(0, Number.parseInt(cursor ?? "0", 10) || 0);
	const size = Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : 100;
	const slice = items.slice(offset, offset + size).map(copy);
	const next = offset + slice.length;
	return { items: slice, nextCursor: next < items.length ? String(next) : undefined };
}

const workspace = actor({
	createState: () => ({
		sandboxId: "local",
		baseUrl: SANDBOX_AGENT_URL,
		_sandboxAgentPersist: { sessions: {}, events: {} },
	}),

	createVars: async (c) => {
		// A restarted stack may give the Sandbox Agent server another port.
		if (c.state.baseUrl !== SANDBOX_AGENT_URL) {
			c.state.baseUrl = SANDBOX_AGENT_URL;
		}
		const persist = PERSIST === "memory" ? new InMemorySessionPersistDriver() : new ActorStateSessionPersistDriver(c);
		const sdk = await SandboxAgent.connect({ baseUrl: c.state.baseUrl, persist });
		const session = await sdk.resumeOrCreateSession({ id: "default", agent: AGENT });
		const unsubscribe = session.onEvent((event) => {
			c.broadcast("session.event", event);
		});
		return { sdk, session, unsubscribe };
	},

	actions: {
		getSessionInfo: (c) => ({
			workspaceId: c.key[0],
			sandboxId: c.state.sandboxId,
		}),

		prompt: async (c, input) => {
			c.broadcast("chat.user", {
				userId: input.userId,
				text: input.text,
				createdAt: Date.now(),
			});
			await c.vars.session.prompt([{ type: "text", text: input.text }]);
		},
	},

	onSleep: async (c) => {
		c.vars.unsubscribe?.();
		await c.vars.sdk.dispose();
	},

	options: {
		createVarsTimeout: 120_000,
		actionTimeout: 30 * 60_000,
	},
});

export const registry = setup({ use: { workspace } });
registry.start();
