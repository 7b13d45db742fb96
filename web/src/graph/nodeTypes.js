// The parametric node types of the component library. Each node keeps its
// parameters as numbers in `data`, so one `node_data_update` carrying one key
// changes one parameter for everybody. Primitives become meshes in the 3-D
// view; modifiers (transform, group) place the nodes they are connected to.

export const NODE_TYPES = {
  box: {
    label: 'Box',
    role: 'primitive',
    parameters: {
      width: { default: 1, min: 0.01, step: 0.1 },
      height: { default: 1, min: 0.01, step: 0.1 },
      depth: { default: 1, min: 0.01, step: 0.1 },
    },
  },
  sphere: {
    label: 'Sphere',
    role: 'primitive',
    parameters: {
      radius: { default: 0.6, min: 0.01, step: 0.1 },
      segments: { default: 24, min: 3, max: 128, step: 1 },
    },
  },
  cylinder: {
    label: 'Cylinder',
    role: 'primitive',
    parameters: {
      radius: { default: 0.5, min: 0.01, step: 0.1 },
      height: { default: 1.2, min: 0.01, step: 0.1 },
      segments: { default: 24, min: 3, max: 128, step: 1 },
    },
  },
  transform: {
    label: 'Transform',
    role: 'modifier',
    parameters: {
      x: { default: 0, step: 0.1 },
      y: { default: 0, step: 0.1 },
      z: { default: 0, step: 0.1 },
      scale: { default: 1, min: 0.01, step: 0.1 },
      rotationY: { default: 0, step: 5 },
    },
  },
  group: {
    label: 'Group',
    role: 'modifier',
    parameters: {
      spacing: { default: 1.5, min: 0, step: 0.1 },
      y: { default: 0, step: 0.1 },
    },
  },
};

export const NODE_TYPE_NAMES = Object.keys(NODE_TYPES);

export function isPrimitive(type) {
  return NODE_TYPES[type]?.role === 'primitive';
}

export function isModifier(type) {
  return NODE_TYPES[type]?.role === 'modifier';
}

export function defaultParameters(type) {
  const parameters = NODE_TYPES[type]?.parameters ?? {};
  return Object.fromEntries(Object.entries(parameters).map(([name, spec]) => [name, spec.default]));
}

// A parameter as the 3-D view uses it: the node's number when it is a finite
// number, the type's default otherwise (another client, e.g. the native CLI,
// may write anything into `data`), clamped to the declared range.
export function parameterValue(type, data, name) {
  const spec = NODE_TYPES[type]?.parameters?.[name];
  const raw = data?.[name];
  let value = typeof raw === 'number' && Number.isFinite(raw) ? raw : spec?.default ?? 0;
  if (spec?.min !== undefined) value = Math.max(spec.min, value);
  if (spec?.max !== undefined) value = Math.min(spec.max, value);
  return value;
}
