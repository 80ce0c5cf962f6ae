// The seed's browser snippet (https://sandboxagent.dev/docs/multiplayer, "Client (browser)"), unchanged but for its
// TypeScript-only lines (`import type` and the generic on createClient). Runs until killed, as in a browser.
import { createClient } from "rivetkit/client";

const client = createClient({
  endpoint: process.env.NEXT_PUBLIC_RIVET_ENDPOINT,
});

const workspaceId = "workspace-42";
const room = client.workspace.getOrCreate([workspaceId]);
const conn = room.connect();

conn.on("chat.user", (event) => {
  console.log("user message", event);
});

conn.on("session.event", (event) => {
  console.log("sandbox event", event);
});

await conn.prompt({
  userId: "user-123",
  text: "Propose a refactor plan for auth middleware.",
});
