// The WorkspaceStore of the seed: graph state, collaboration state, and the
// two directions of the seed's data flow.
//
// Local edits (from the canvas, the sidebar, the parameter panel) change the
// state first and then, if the workspace is collaborative and the change is
// not itself the application of a remote event, hand it to the `sender` (the
// CollaborationService). Remote events are applied by the applyRemote*
// actions, which raise `isRemoteUpdate` around the very same local mutators:
// that flag is what keeps a received change from being sent back.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { applyEdgeChanges, applyNodeChanges } from '@xyflow/react';
import {
  parseEdgeChange, parseNodeChange, parseNodeDataUpdate, parsePresence,
  parseUserJoined, parseUserLeft, parseWorkspaceSync,
} from '../collaboration/serverPayloads.js';
import {
  mergeSelection, patchNodeData, removeNodeWithEdges, upsertEdge, upsertNode, wireEdge, wireNode,
} from './graphElements.js';
import { remoteSelectionColors } from './presence.js';

const initialState = {
  nodes: [],
  edges: [],
  selectedNode: null, // id of the node the parameter panel shows
  isCollaborative: false,
  workspaceId: null,
  currentUser: null,
  remoteUsers: [],
  isRemoteUpdate: false,
  connectionStatus: 'disconnected',
  lastError: null,
  presenceByUser: {}, // userId -> {cursor, selectedNodeId}
  remoteSelections: {}, // nodeId -> color of a remote user who selected it
};

export function createWorkspaceStore() {
  return createStore((set, get) => {
    // The CollaborationService, or null when working alone.
    let sender = null;

    const shouldSend = () => sender !== null && get().isCollaborative && !get().isRemoteUpdate;

    // The seed's remote-apply bracket: setIsRemoteUpdate(true), apply,
    // setIsRemoteUpdate(false) — also when applying throws.
    const applyRemotely = (apply) => {
      set({ isRemoteUpdate: true });
      try {
        apply();
      } finally {
        set({ isRemoteUpdate: false });
      }
      return true;
    };

    const withPresence = (presenceByUser, remoteUsers = get().remoteUsers) => ({
      presenceByUser,
      remoteSelections: remoteSelectionColors(presenceByUser, remoteUsers),
    });

    const actions = {
      setSender(next) { sender = next; },
      setConnectionStatus(connectionStatus) { set({ connectionStatus }); },
      setError(lastError) { set({ lastError }); },
      setIsRemoteUpdate(isRemoteUpdate) { set({ isRemoteUpdate }); },
      setWorkspace(workspaceId) { set({ workspaceId }); },

      // ---- local edits ------------------------------------------------------

      addNode(node) {
        set({ nodes: upsertNode(get().nodes, node) });
        if (shouldSend()) sender.sendNodeChange('add', wireNode(node));
      },

      updateNode(node) {
        set({ nodes: upsertNode(get().nodes, node) });
        if (shouldSend()) sender.sendNodeChange('update', wireNode(node));
      },

      deleteNode(nodeId) {
        if (!get().nodes.some((node) => node.id === nodeId)) return;
        const selectedNode = get().selectedNode === nodeId ? null : get().selectedNode;
        set({ ...removeNodeWithEdges(get().nodes, get().edges, nodeId), selectedNode });
        if (shouldSend()) sender.sendNodeChange('delete', { id: nodeId });
      },

      // Writes only the keys of `patch`, and sends only them.
      updateNodeData(nodeId, patch) {
        const nodes = patchNodeData(get().nodes, nodeId, patch);
        if (nodes === get().nodes) return;
        set({ nodes });
        if (shouldSend()) sender.sendNodeDataUpdate(nodeId, { ...patch });
      },

      addEdge(edge) {
        const { nodes, edges } = get();
        const endpointsExist = nodes.some((node) => node.id === edge.source)
          && nodes.some((node) => node.id === edge.target);
        const duplicate = edges.some((other) => other.id === edge.id
          || (other.source === edge.source && other.target === edge.target));
        if (!get().isRemoteUpdate && (!endpointsExist || duplicate)) return;
        set({ edges: upsertEdge(edges, edge) });
        if (shouldSend()) sender.sendEdgeChange('add', wireEdge(edge));
      },

      deleteEdge(edgeId) {
        if (!get().edges.some((edge) => edge.id === edgeId)) return;
        set({ edges: get().edges.filter((edge) => edge.id !== edgeId) });
        if (shouldSend()) sender.sendEdgeChange('delete', { id: edgeId });
      },

      selectNode(nodeId) {
        if (get().selectedNode === nodeId) return;
        set({ selectedNode: nodeId });
        sender?.sendPresence({ selectedNodeId: nodeId }, { immediate: true });
      },

      setLocalCursor(cursor) {
        sender?.sendPresence({ cursor });
      },

      // React Flow's change lists from the canvas. Removals go through
      // deleteNode/deleteEdge (which send them); moves are sent throttled, the
      // last one of a drag always.
      onNodesChange(changes) {
        const removals = changes.filter((change) => change.type === 'remove');
        const others = changes.filter((change) => change.type !== 'remove');
        if (others.length > 0) set({ nodes: applyNodeChanges(others, get().nodes) });
        for (const change of removals) actions.deleteNode(change.id);

        for (const change of others) {
          if (change.type === 'select') {
            if (change.selected) actions.selectNode(change.id);
            else if (get().selectedNode === change.id) actions.selectNode(null);
          }
          if (change.type === 'position' && shouldSend()) {
            const node = get().nodes.find((candidate) => candidate.id === change.id);
            if (node) sender.sendNodeMove(wireNode(node), { final: change.dragging !== true });
          }
        }
      },

      onEdgesChange(changes) {
        const removals = changes.filter((change) => change.type === 'remove');
        const others = changes.filter((change) => change.type !== 'remove');
        if (others.length > 0) set({ edges: applyEdgeChanges(others, get().edges) });
        for (const change of removals) actions.deleteEdge(change.id);
      },

      // ---- remote apply (each returns false for a payload it ignored) -------

      applyRemoteNodeChange(payload) {
        const change = parseNodeChange(payload);
        if (!change) return false;
        return applyRemotely(() => {
          if (change.type === 'delete') actions.deleteNode(change.node.id);
          else actions.updateNode(change.node);
        });
      },

      applyRemoteEdgeChange(payload) {
        const change = parseEdgeChange(payload);
        if (!change) return false;
        return applyRemotely(() => {
          if (change.type === 'delete') actions.deleteEdge(change.edge.id);
          else actions.addEdge(change.edge);
        });
      },

      applyRemoteNodeData(payload) {
        const update = parseNodeDataUpdate(payload);
        if (!update) return false;
        return applyRemotely(() => actions.updateNodeData(update.nodeId, update.data));
      },

      // The full state replaces the store's graph; the local selection is
      // kept where its node still exists.
      applyWorkspaceSync(payload) {
        const sync = parseWorkspaceSync(payload);
        if (!sync) return false;
        return applyRemotely(() => {
          const selectedIds = new Set(get().nodes.filter((node) => node.selected).map((node) => node.id));
          const nodes = mergeSelection(sync.nodes, selectedIds);
          const currentUser = sync.currentUser ?? get().currentUser;
          const remoteUsers = sync.users.filter((user) => user.id !== currentUser?.id);
          const selectedNode = nodes.some((node) => node.id === get().selectedNode) ? get().selectedNode : null;
          set({
            nodes, edges: sync.edges, selectedNode, currentUser, remoteUsers,
            isCollaborative: true, ...withPresence({}, remoteUsers),
          });
        });
      },

      applyUserJoined(payload) {
        const joined = parseUserJoined(payload);
        if (!joined || joined.user.id === get().currentUser?.id) return false;
        const remoteUsers = [...get().remoteUsers.filter((user) => user.id !== joined.user.id), joined.user];
        set({ remoteUsers, ...withPresence(get().presenceByUser, remoteUsers) });
        return true;
      },

      applyUserLeft(payload) {
        const left = parseUserLeft(payload);
        if (!left) return false;
        const remoteUsers = get().remoteUsers.filter((user) => user.id !== left.userId);
        const { [left.userId]: _gone, ...presenceByUser } = get().presenceByUser;
        set({ remoteUsers, ...withPresence(presenceByUser, remoteUsers) });
        return true;
      },

      applyRemotePresence(payload) {
        const presence = parsePresence(payload);
        if (!presence || presence.userId === get().currentUser?.id) return false;
        set(withPresence({ ...get().presenceByUser, [presence.userId]: presence.state }));
        return true;
      },

      // Back to a blank, non-collaborative store (leaving a workspace).
      reset() {
        sender = null;
        set({ ...initialState });
      },
    };

    return { ...initialState, ...actions };
  });
}

// The application's store, and the hook components read it with (always
// with a narrow selector, so a remote event re-renders only what it changed).
export const workspaceStore = createWorkspaceStore();

export function useWorkspaceStore(selector) {
  return useStore(workspaceStore, selector);
}
