// The server's HTTP API used by the frontend.

// POST /api/workspaces answers 201 {"workspaceId": "..."}.
export async function createWorkspace() {
  const response = await fetch('/api/workspaces', { method: 'POST' });
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const body = await response.json();
  if (typeof body?.workspaceId !== 'string' || body.workspaceId === '') {
    throw new Error('the server sent no workspace id');
  }
  return body.workspaceId;
}

// The id a user pastes may be a whole workspace link.
export function workspaceIdFromInput(input) {
  const trimmed = input.trim();
  const fromLink = trimmed.match(/\/workspace\/([^/?#]+)/);
  const id = fromLink ? decodeURIComponent(fromLink[1]) : trimmed;
  return /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : null;
}
