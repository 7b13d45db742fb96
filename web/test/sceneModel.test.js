import { describe, expect, it } from 'vitest';
import { buildSceneModel } from '../src/scene/sceneModel.js';

const node = (id, type, data = {}) => ({ id, type, position: { x: 0, y: 0 }, data });
const edge = (id, source, target) => ({ id, source, target });
const rounded = (values) => values.map((value) => Math.round(value * 1000) / 1000);

describe('buildSceneModel', () => {
  it('renders each primitive with its parameters, defaults for missing or bad ones', () => {
    const model = buildSceneModel([node('b', 'box', { width: 3, height: 'x' }), node('t', 'transform')], []);
    expect(model).toHaveLength(1);
    expect(model[0]).toMatchObject({ id: 'b', kind: 'box', parameters: { width: 3, height: 1, depth: 1 } });
  });

  it('lines unparented primitives up along x, by id', () => {
    const model = buildSceneModel([node('b', 'sphere'), node('a', 'box')], []);
    expect(model.map((primitive) => [primitive.id, primitive.position[0]])).toEqual([['a', -1], ['b', 1]]);
  });

  it('a transform connected to a primitive moves and scales it', () => {
    const model = buildSceneModel(
      [node('b', 'box'), node('t', 'transform', { x: 2, y: 3, z: -1, scale: 2 })],
      [edge('e', 't', 'b')],
    );
    expect(rounded(model[0].position)).toEqual([2, 3, -1]);
    expect(model[0].scale).toBe(2);
  });

  it('chains compose: a transform of a group of boxes', () => {
    const model = buildSceneModel(
      [node('a', 'box'), node('b', 'box'), node('g', 'group', { spacing: 4 }), node('t', 'transform', { y: 5, scale: 2 })],
      [edge('e1', 'g', 'a'), edge('e2', 'g', 'b'), edge('e3', 't', 'g')],
    );
    expect(model.map((primitive) => rounded(primitive.position))).toEqual([[-4, 5, 0], [4, 5, 0]]);
  });

  it('takes the parent with the smallest edge id, whatever the edge order', () => {
    const nodes = [node('b', 'box'), node('t1', 'transform', { x: 1 }), node('t2', 'transform', { x: 2 })];
    const one = buildSceneModel(nodes, [edge('e2', 't2', 'b'), edge('e1', 't1', 'b')]);
    const other = buildSceneModel(nodes, [edge('e1', 't1', 'b'), edge('e2', 't2', 'b')]);
    expect(one).toEqual(other);
    expect(one[0].position[0]).toBe(1);
  });

  it('survives a cycle of modifiers', () => {
    const model = buildSceneModel(
      [node('b', 'box'), node('t1', 'transform', { x: 1 }), node('t2', 'transform', { x: 2 })],
      [edge('e1', 't1', 'b'), edge('e2', 't2', 't1'), edge('e3', 't1', 't2')],
    );
    expect(model).toHaveLength(1);
    expect(Number.isFinite(model[0].position[0])).toBe(true);
  });
});
