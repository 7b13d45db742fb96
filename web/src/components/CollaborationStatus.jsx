// The toolbar: connection state, the workspace link to share, the last
// error the server reported, and who is here.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useWorkspaceStore } from '../store/workspaceStore.js';
import UserPresence from './UserPresence.jsx';

const STATUS_LABELS = {
  connecting: 'Connecting…',
  joining: 'Joining…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  disconnected: 'Offline',
};

async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard permission (plain http, an embedded view): leave the
    // link selected for Ctrl-C.
    input?.select();
    return false;
  }
}

export default function CollaborationStatus({ workspaceId }) {
  const status = useWorkspaceStore((state) => state.connectionStatus);
  const lastError = useWorkspaceStore((state) => state.lastError);
  const [copied, setCopied] = useState(false);
  const link = `${window.location.origin}/workspace/${encodeURIComponent(workspaceId)}`;

  const onCopy = async (event) => {
    const input = event.currentTarget.previousElementSibling;
    setCopied(await copyText(link, input));
  };

  return (
    <header className="toolbar">
      <Link to="/" className="brand">Trellis</Link>
      <span className={`connection-status status-${status}`} data-testid="connection-status" data-status={status}>
        {STATUS_LABELS[status] ?? status}
      </span>
      <div className="share">
        <input readOnly value={link} data-testid="workspace-link" aria-label="Workspace link" onFocus={(event) => event.target.select()} />
        <button onClick={onCopy}>{copied ? 'Copied' : 'Copy link'}</button>
      </div>
      {lastError && <span className="server-error" role="status" title={lastError}>Server: {lastError}</span>}
      <UserPresence />
    </header>
  );
}
