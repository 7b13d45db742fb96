// The seed's HomePage: create a workspace, or join one by id or link.
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { createWorkspace, workspaceIdFromInput } from '../api.js';
import UsernameField from '../components/UsernameField.jsx';
import { loadUsername, saveUsername } from '../username.js';

export default function HomePage() {
  const navigate = useNavigate();
  const [username, setUsername] = useState(loadUsername);
  const [joinInput, setJoinInput] = useState('');
  const [error, setError] = useState(null);
  const [creating, setCreating] = useState(false);

  const haveName = username.trim() !== '';
  const open = (workspaceId) => {
    saveUsername(username);
    navigate(`/workspace/${encodeURIComponent(workspaceId)}`);
  };

  const onCreate = async () => {
    setCreating(true);
    setError(null);
    try {
      open(await createWorkspace());
    } catch (failure) {
      setError(`Could not create a workspace: ${failure.message}`);
    } finally {
      setCreating(false);
    }
  };

  const onJoin = (event) => {
    event.preventDefault();
    const workspaceId = workspaceIdFromInput(joinInput);
    if (workspaceId) open(workspaceId);
    else setError('A workspace id is 1–128 letters, digits, "_" or "-" (or paste the whole link).');
  };

  return (
    <main className="home">
      <h1>Trellis</h1>
      <p className="tagline">Edit a parametric node graph together, live.</p>
      <UsernameField value={username} onChange={setUsername} autoFocus={!haveName} />
      <button data-testid="create-workspace" disabled={!haveName || creating} onClick={onCreate}>
        {creating ? 'Creating…' : 'Create Workspace'}
      </button>
      <form className="join-form" onSubmit={onJoin}>
        <input
          data-testid="join-input"
          value={joinInput}
          placeholder="Workspace id or link"
          onChange={(event) => setJoinInput(event.target.value)}
        />
        <button type="submit" disabled={!haveName || joinInput.trim() === ''}>Join Workspace</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
    </main>
  );
}
