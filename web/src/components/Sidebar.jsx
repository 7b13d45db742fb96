// The component library: click a type to add it in the middle of the view,
// or drag it onto the canvas.
import { useStoreApi } from '@xyflow/react';
import { NODE_TYPES, NODE_TYPE_NAMES } from '../graph/nodeTypes.js';
import { newNode } from '../graph/newElements.js';
import { workspaceStore } from '../store/workspaceStore.js';
import { NODE_TYPE_DRAG_FORMAT } from './FlowCanvas.jsx';

// Spreads repeated clicks a little so new nodes do not stack exactly.
const jitter = () => Math.round((Math.random() - 0.5) * 240);

export default function Sidebar() {
  const flow = useStoreApi();

  const addAtCenter = (type) => {
    const { width, height, transform: [x, y, zoom] } = flow.getState();
    const center = { x: (width / 2 - x) / zoom - 80 + jitter(), y: (height / 2 - y) / zoom - 40 + jitter() };
    workspaceStore.getState().addNode(newNode(type, center));
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
