// The selected node's parameters. An edit sends node_data_update with only
// the key that changed, so concurrent edits of other keys survive.
import { NODE_TYPES } from '../graph/nodeTypes.js';
import { useWorkspaceStore, workspaceStore } from '../store/workspaceStore.js';
import ParameterField from './ParameterField.jsx';

const { updateNodeData, deleteNode } = workspaceStore.getState();

// Known types list their declared parameters; a node of another type (made
// by another client) shows whatever numbers its data holds.
function parameterSpecs(node) {
  const declared = NODE_TYPES[node.type]?.parameters;
  if (declared) return declared;
  return Object.fromEntries(Object.entries(node.data ?? {})
    .filter(([, value]) => typeof value === 'number')
    .map(([name]) => [name, {}]));
}

export default function ParameterPanel() {
  const node = useWorkspaceStore((state) => state.nodes.find((candidate) => candidate.id === state.selectedNode));
  if (!node) {
    return <section className="parameter-panel empty" data-testid="parameter-panel">Select a node to edit its parameters.</section>;
  }
  const specs = parameterSpecs(node);
  return (
    <section className="parameter-panel" data-testid="parameter-panel" data-node-id={node.id}>
      <header>
        <h2>{NODE_TYPES[node.type]?.label ?? node.type}</h2>
        <button className="danger" data-testid="delete-node" onClick={() => deleteNode(node.id)}>Delete</button>
      </header>
      <code className="node-id">{node.id}</code>
      {Object.entries(specs).map(([name, spec]) => {
        const raw = node.data?.[name];
        const value = typeof raw === 'number' && Number.isFinite(raw) ? raw : spec.default ?? 0;
        return (
          <ParameterField
            key={name}
            name={name}
            spec={spec}
            value={value}
            onCommit={(key, number) => updateNodeData(node.id, { [key]: number })}
          />
        );
      })}
    </section>
  );
}
