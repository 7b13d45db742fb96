// The seed's useCollaboration hook: on mount, a CollaborationService
// connects and joins the workspace; on unmount it leaves and the store is
// cleared, so another workspace starts blank.
import { useEffect } from 'react';
import { workspaceStore } from '../store/workspaceStore.js';
import { CollaborationService } from './CollaborationService.js';

export function useCollaboration(workspaceId, username) {
  useEffect(() => {
    const service = new CollaborationService(workspaceStore);
    service.connect(workspaceId, username);
    return () => {
      service.disconnect();
      workspaceStore.getState().reset();
    };
  }, [workspaceId, username]);
}
