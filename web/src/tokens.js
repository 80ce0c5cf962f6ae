// Sign-in tokens from join links (/?w=W&token=T): kept in this tab's sessionStorage, keyed by workspace, and taken
// out of the address bar so that they do not end up in bookmarks, screenshots or the browser history.

const PREFIX = "rivetkit-java.token:";
const ANY = "*";

/** Moves a `token` in the address into sessionStorage (for its `w`, or for every workspace when there is none). */
export function takeTokenFromAddress(location = window.location, storage = window.sessionStorage, history = window.history) {
  const url = new URL(location.href);
  const token = url.searchParams.get("token")?.trim();
  if (!url.searchParams.has("token")) return false;
  const workspaceId = url.searchParams.get("w")?.trim() || ANY;
  if (token) storage.setItem(PREFIX + workspaceId, token);
  url.searchParams.delete("token");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  return Boolean(token);
}

/** The token this tab holds for a workspace: its own, else one for every workspace; null when none. */
export function tokenFor(workspaceId, storage = window.sessionStorage) {
  return storage.getItem(PREFIX + workspaceId) ?? storage.getItem(PREFIX + ANY);
}
