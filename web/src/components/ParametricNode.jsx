// One node of the canvas. Memoized, and reading from the store only its own
// remote-selection color, so a change to another node (or a cursor move)
// does not re-render it: with 1,000 nodes only the touched one renders.
import { memo } from 'react';
import { Handle, Position } from '@xyflow/react';
import { NODE_TYPES } from '../graph/nodeTypes.js';
import { useWorkspaceStore } from '../store/workspaceStore.js';

const formatNumber = (value) => (typeof value === 'number' ? String(Math.round(value * 100) / 100) : '–');

function ParametricNode({ id, type, data, selected }) {
  const remoteColor = useWorkspaceStore((state) => state.remoteSelections[id]);
  const definition = NODE_TYPES[type];
  const names = Object.keys(definition?.parameters ?? {});
  const style = remoteColor ? { '--remote-color': remoteColor } : undefined;
  return (
    <div
      className={`parametric-node role-${definition?.role ?? 'unknown'}${selected ? ' selected' : ''}${remoteColor ? ' remote-selected' : ''}`}
      style={style}
      data-remote-selected={remoteColor ?? undefined}
    >
      <Handle type="target" position={Position.Left} />
      <div className="node-title">{definition?.label ?? type}</div>
      <dl className="node-parameters">
        {names.map((name) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd data-param-value={name}>{formatNumber(data?.[name])}</dd>
          </div>
        ))}
      </dl>
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

export default memo(ParametricNode);
