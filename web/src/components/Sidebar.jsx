// The component library: click a type to add it in the middle of the view
// (at the nearest place there that covers no other node), or drag it onto the
// canvas.
import { useStoreApi } from '@xyflow/react';
import { NODE_TYPES, NODE_TYPE_NAMES } from '../graph/nodeTypes.js';
import { freeSpot } from '../graph/freeSpot.js';
import { newNode } from '../graph/newElements.js';
import { workspaceStore } from '../store/workspaceStore.js';
import { NODE_TYPE_DRAG_FORMAT } from './FlowCanvas.jsx';

// A node not yet drawn (just added, or drawn by no one yet) is taken to be
// this big: about a parametric node with three parameters.
const UNMEASURED_SIZE = { width: 170, height: 110 };

// The other nodes' rectangles in flow units: as drawn where React Flow has
// measured them, else at their stored position with the estimated size.
function occupiedRects(nodes, nodeLookup) {
  return nodes.map((node) => {
    const drawn = nodeLookup.get(node.id);
    const position = drawn?.internals?.positionAbsolute ?? node.position;
    const width = drawn?.measured?.width ?? UNMEASURED_SIZE.width;
    const height = drawn?.measured?.height ?? UNMEASURED_SIZE.height;
    return { x: position.x, y: position.y, width, height };
  });
}

export default function Sidebar() {
  const flow = useStoreApi();

  const addAtCenter = (type) => {
    const { width, height, transform: [x, y, zoom], nodeLookup } = flow.getState();
    const middle = { x: (width / 2 - x) / zoom, y: (height / 2 - y) / zoom };
    const preferred = { x: middle.x - UNMEASURED_SIZE.width / 2, y: middle.y - UNMEASURED_SIZE.height / 2 };
    const store = workspaceStore.getState();
    store.addNode(newNode(type, freeSpot(preferred, UNMEASURED_SIZE, occupiedRects(store.nodes, nodeLookup))));
  };

  return (
    <aside className="sidebar">
      <h2>Components</h2>
      {['primitive', 'modifier'].map((role) => (
        <section key={role}>
          <h3>{role === 'primitive' ? 'Primitives' : 'Modifiers'}</h3>
          {NODE_TYPE_NAMES.filter((name) => NODE_TYPES[name].role === role).map((name) => (
            <button
              key={name}
              className={`library-item role-${role}`}
              data-testid={`add-${name}`}
              draggable
              onDragStart={(event) => {
                event.dataTransfer.setData(NODE_TYPE_DRAG_FORMAT, name);
                event.dataTransfer.effectAllowed = 'copy';
              }}
              onClick={() => addAtCenter(name)}
            >
              {NODE_TYPES[name].label}
            </button>
          ))}
        </section>
      ))}
      <p className="hint">Connect a modifier's right handle to a node's left handle to place it in 3-D.</p>
    </aside>
  );
}
