// The multiplayer workspace page: join a workspace by id under a display name, then work in it together.
import { createRivetKit } from "@rivetkit/react";
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { Workspace } from "./Workspace.jsx";

// The page is served by the rivetkit-java server itself, so its RivetKit endpoint is its own origin. The client
// turns RivetKit's devtools on for localhost pages; this server does not serve them.
const { useActor } = createRivetKit({ endpoint: window.location.origin, devtools: false });
const NAME_KEY = "rivetkit-java.displayName";

function workspaceIdFromUrl() {
  return new URLSearchParams(window.location.search).get("w")?.trim() || "";
}

function App() {
  const [session, setSession] = useState(() => {
    const workspaceId = workspaceIdFromUrl();
    const userId = localStorage.getItem(NAME_KEY) ?? "";
    return workspaceId && userId ? { workspaceId, userId } : null;
  });
  const join = (next) => {
    localStorage.setItem(NAME_KEY, next.userId);
    window.history.pushState(null, "", `?w=${encodeURIComponent(next.workspaceId)}`);
    setSession(next);
  };
  const leave = () => {
    window.history.pushState(null, "", window.location.pathname);
    setSession(null);
  };
  return session ? (
    <Workspace key={`${session.workspaceId}/${session.userId}`} useActor={useActor} {...session} onLeave={leave} />
  ) : (
    <JoinForm onJoin={join} />
  );
}

function JoinForm({ onJoin }) {
  const [workspaceId, setWorkspaceId] = useState(() => workspaceIdFromUrl() || `ws-${crypto.randomUUID().slice(0, 8)}`);
  const [userId, setUserId] = useState(() => localStorage.getItem(NAME_KEY) ?? "");
  const submit = (e) => {
    e.preventDefault();
    if (workspaceId.trim() && userId.trim()) onJoin({ workspaceId: workspaceId.trim(), userId: userId.trim() });
  };
  return (
    <form className="join" onSubmit={submit}>
      <h1>Coding-agent workspace</h1>
      <p>Create a workspace or join one by its id; everyone with the id sees the same agent session.</p>
      <label>
        Workspace id
        <input name="workspace" value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)} required />
      </label>
      <label>
        Your display name
        <input name="name" value={userId} onChange={(e) => setUserId(e.target.value)} autoFocus required maxLength={40} />
      </label>
      <button type="submit">Join</button>
    </form>
  );
}

createRoot(document.getElementById("root")).render(<App />);
