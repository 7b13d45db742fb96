// The seed's WorkspacePage: the workspace id comes from the URL; the user
// names themself once (remembered), then useCollaboration joins.
import { useState } from 'react';
import { useParams } from 'react-router-dom';
import AppLayout from '../components/AppLayout.jsx';
import CollaborationStatus from '../components/CollaborationStatus.jsx';
import UsernameField from '../components/UsernameField.jsx';
import { useCollaboration } from '../collaboration/useCollaboration.js';
import { loadUsername, saveUsername } from '../username.js';

function AskUsername({ onDone }) {
  const [draft, setDraft] = useState('');
  const submit = (event) => {
    event.preventDefault();
    if (draft.trim() !== '') onDone(saveUsername(draft));
  };
  return (
    <main className="home">
      <h1>Join workspace</h1>
      <form onSubmit={submit}>
        <UsernameField value={draft} onChange={setDraft} autoFocus />
        <button data-testid="username-submit" type="submit" disabled={draft.trim() === ''}>Join</button>
      </form>
    </main>
  );
}

function CollaborativeWorkspace({ workspaceId, username }) {
  useCollaboration(workspaceId, username);
  return (
    <div className="workspace">
      <CollaborationStatus workspaceId={workspaceId} />
      <AppLayout />
    </div>
  );
}

export default function WorkspacePage() {
  const { workspaceId } = useParams();
  const [username, setUsername] = useState(loadUsername);
  if (username === '') return <AskUsername onDone={setUsername} />;
  // Keyed by workspace: moving to another workspace is a fresh join.
  return <CollaborativeWorkspace key={workspaceId} workspaceId={workspaceId} username={username} />;
}
