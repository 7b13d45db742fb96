// Who is in the workspace, each in their color; a user who has a node
// selected shows which.
import { useWorkspaceStore } from '../store/workspaceStore.js';

function UserBadge({ user, isSelf, selectedNodeId }) {
  return (
    <li className="presence-user" data-testid="presence-user" data-user-id={user.id} data-self={isSelf || undefined}>
      <span className="user-dot" style={{ background: user.color }} />
      <span className="user-name">{user.username}{isSelf ? ' (you)' : ''}</span>
      {selectedNodeId && <span className="user-selection" title="selected node">▸ {selectedNodeId}</span>}
    </li>
  );
}

export default function UserPresence() {
  const currentUser = useWorkspaceStore((state) => state.currentUser);
  const remoteUsers = useWorkspaceStore((state) => state.remoteUsers);
  const presenceByUser = useWorkspaceStore((state) => state.presenceByUser);
  return (
    <ul className="user-presence" data-testid="user-presence" aria-label="Users in this workspace">
      {currentUser && <UserBadge user={currentUser} isSelf />}
      {remoteUsers.map((user) => (
        <UserBadge key={user.id} user={user} selectedNodeId={presenceByUser[user.id]?.selectedNodeId} />
      ))}
    </ul>
  );
}
