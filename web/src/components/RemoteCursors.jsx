// Other users' pointers, drawn in flow coordinates (the coordinates presence
// carries), so they stay on the right spot whatever each user's zoom.
import { ViewportPortal } from '@xyflow/react';
import { useWorkspaceStore } from '../store/workspaceStore.js';

export default function RemoteCursors() {
  const remoteUsers = useWorkspaceStore((state) => state.remoteUsers);
  const presenceByUser = useWorkspaceStore((state) => state.presenceByUser);
  return (
    <ViewportPortal>
      {remoteUsers.map((user) => {
        const cursor = presenceByUser[user.id]?.cursor;
        if (!cursor) return null;
        return (
          <div
            key={user.id}
            className="remote-cursor"
            data-testid="remote-cursor"
            data-user-id={user.id}
            style={{ transform: `translate(${cursor.x}px, ${cursor.y}px)`, '--user-color': user.color }}
          >
            <svg width="14" height="18" viewBox="0 0 14 18" aria-hidden="true">
              <path d="M0 0 L14 10 L7 11 L4 18 Z" />
            </svg>
            <span>{user.username}</span>
          </div>
        );
      })}
    </ViewportPortal>
  );
}
