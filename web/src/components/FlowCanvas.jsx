// The React Flow canvas: add (drop from the sidebar), drag, connect, delete
// (Backspace/Delete). Every change goes through the store, which sends it.
// Only visible nodes and edges are rendered, so 1,000 nodes stay fluid.
import { useCallback } from 'react';
import { Background, Controls, ReactFlow, useReactFlow } from '@xyflow/react';
import { NODE_TYPES, NODE_TYPE_NAMES } from '../graph/nodeTypes.js';
import { newEdge, newNode } from '../graph/newElements.js';
import { useWorkspaceStore, workspaceStore } from '../store/workspaceStore.js';
import ParametricNode from './ParametricNode.jsx';
import RemoteCursors from './RemoteCursors.jsx';

export const NODE_TYPE_DRAG_FORMAT = 'application/x-trellis-node-type';

// Module-level so React Flow sees the same object on every render.
const nodeTypes = Object.fromEntries(NODE_TYPE_NAMES.map((name) => [name, ParametricNode]));

const { onNodesChange, onEdgesChange, addEdge, addNode, setLocalCursor } = workspaceStore.getState();
const onConnect = (connection) => addEdge(newEdge(connection));

export default function FlowCanvas() {
  const nodes = useWorkspaceStore((state) => state.nodes);
  const edges = useWorkspaceStore((state) => state.edges);
  const { screenToFlowPosition } = useReactFlow();

  const onDragOver = useCallback((event) => {
    if (!event.dataTransfer.types.includes(NODE_TYPE_DRAG_FORMAT)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback((event) => {
    const type = event.dataTransfer.getData(NODE_TYPE_DRAG_FORMAT);
    if (!NODE_TYPES[type]) return;
    event.preventDefault();
    addNode(newNode(type, screenToFlowPosition({ x: event.clientX, y: event.clientY })));
  }, [screenToFlowPosition]);

  const onMouseMove = useCallback((event) => {
    setLocalCursor(screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  }, [screenToFlowPosition]);

  return (
    <div className="flow-canvas" data-testid="flow-canvas" onMouseMove={onMouseMove} onMouseLeave={() => setLocalCursor(null)}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onDragOver={onDragOver}
        onDrop={onDrop}
        onlyRenderVisibleElements
        deleteKeyCode={['Backspace', 'Delete']}
        minZoom={0.05}
      >
        <Background gap={24} />
        <Controls />
        <RemoteCursors />
      </ReactFlow>
    </div>
  );
}
