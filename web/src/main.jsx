// The multiplayer workspace page: join a workspace by id, then work in it together.
//   Token mode (serve --auth-secret-file): a join link /?w=W&token=T signs you in; the token is kept in this tab's
//   sessionStorage and taken out of the address bar.
//   Open demo mode: you declare a display name in a form.
import { createRivetKit } from "@rivetkit/react";
import { useState } from "react";
import { createRoot } from "react-dom/client";
import { takeTokenFromAddress, tokenFor } from "./tokens.js";
import { Workspace } from "./Workspace.jsx";

// The page is served by the rivetkit-java server itself, so its RivetKit endpoint is its own origin. The client
// turns RivetKit's devtools on for localhost pages; this server does not serve them.
const { useActor } = createRivetKit({ endpoint: window.location.origin, devtools: false });
const NAME_KEY = "rivetkit-java.displayName";

takeTokenFromAddress();

function workspaceIdFromUrl() {
  return new URLSearchParams(window.location.search).get("w")?.trim() || "";
}

/** Who joins: with a sign-in token for the workspace when this tab holds one, else under a self-declared name. */
function sessionFor(workspaceId, userId) {
  if (!workspaceId) return null;
  if (tokenFor(workspaceId)) return { workspaceId, mode: "token" };
  return userId ? { workspaceId, mode: "open", userId } : null;
}

function App() {
  const [session, setSession] = useState(() => sessionFor(workspaceIdFromUrl(), localStorage.getItem(NAME_KEY)));
  const join = ({ workspaceId, userId }) => {
    if (userId) localStorage.setItem(NAME_KEY, userId);
    window.history.pushState(null, "", `?w=${encodeURIComponent(workspaceId)}`);
    setSession(sessionFor(workspaceId, userId));
  };
  const leave = () => {
    window.history.pushState(null, "", window.location.pathname);
    setSession(null);
  };
  return session ? (
    <Workspace key={`${session.workspaceId}/${session.mode}/${session.userId ?? ""}`} useActor={useActor} {...session}
      onLeave={leave} />
  ) : (
    <JoinForm onJoin={join} />
  );
}

function JoinForm({ onJoin }) {
  const [workspaceId, setWorkspaceId] = useState(() => workspaceIdFromUrl() || `ws-${crypto.randomUUID().slice(0, 8)}`);
  const [userId, setUserId] = useState(() => localStorage.getItem(NAME_KEY) ?? "");
  // A token for every workspace ('*') signs in wherever you go: no name to declare.
  const signedIn = Boolean(tokenFor(workspaceId.trim() || "*"));
  const submit = (e) => {
    e.preventDefault();
    if (!workspaceId.trim()) return;
    if (signedIn) onJoin({ workspaceId: workspaceId.trim() });
    else if (userId.trim()) onJoin({ workspaceId: workspaceId.trim(), userId: userId.trim() });
  };
  return (
    <form className="join" onSubmit={submit}>
      <h1>Coding-agent workspace</h1>
      <p>Create a workspace or join one by its id; everyone with the id sees the same agent session.</p>
      <label>
        Workspace id
        <input name="workspace" value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)} required />
      </label>
      {signedIn ? (
        <p className="muted">You are signed in by your link.</p>
      ) : (
        <label>
          Your display name
          <input name="name" value={userId} onChange={(e) => setUserId(e.target.value)} autoFocus required maxLength={40} />
        </label>
      )}
      <button type="submit">Join</button>
      {!signedIn && (
        <p className="muted small">
          On a server that requires sign-in, open the link you were given instead.
        </p>
      )}
    </form>
  );
}

createRoot(document.getElementById("root")).render(<App />);
