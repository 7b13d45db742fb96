import { describe, expect, it } from 'vitest';
import { freeSpot } from '../src/graph/freeSpot.js';

const size = { width: 170, height: 110 };
const rect = (x, y, width = 170, height = 110) => ({ x, y, width, height });
const overlapping = (spot, other) =>
  spot.x < other.x + other.width && other.x < spot.x + size.width && spot.y < other.y + other.height && other.y < spot.y + size.height;

describe('freeSpot', () => {
  it('keeps the preferred place when nothing is near it', () => {
    expect(freeSpot({ x: 10, y: 20 }, size, [rect(400, 400)])).toEqual({ x: 10, y: 20 });
    expect(freeSpot({ x: 10, y: 20 }, size, [])).toEqual({ x: 10, y: 20 });
  });

  it('moves off a node that sits on the preferred place, to the nearest free spot', () => {
    const occupied = [rect(0, 0)];
    const spot = freeSpot({ x: 0, y: 0 }, size, occupied);
    expect(overlapping(spot, occupied[0])).toBe(false);
    // Straight above or below the node is nearer than beside it (a node is
    // wider than high): 110 + 16 rounded up to the 40-unit grid.
    expect(spot).toEqual({ x: 0, y: -160 });
  });

  it('never lands on any of many nodes around the middle', () => {
    const occupied = [];
    for (let i = -2; i <= 2; i += 1) for (let j = -2; j <= 2; j += 1) occupied.push(rect(i * 200, j * 140));
    const spot = freeSpot({ x: 0, y: 0 }, size, occupied);
    for (const other of occupied) expect(overlapping(spot, other)).toBe(false);
    expect(Math.hypot(spot.x, spot.y)).toBeLessThan(700);
  });

  it('places repeated adds beside each other, not on top', () => {
    const occupied = [];
    for (let n = 0; n < 12; n += 1) {
      const spot = freeSpot({ x: 0, y: 0 }, size, occupied);
      for (const other of occupied) expect(overlapping(spot, other)).toBe(false);
      occupied.push(rect(spot.x, spot.y));
    }
  });

  it('gives the preferred place back when the whole search area is covered', () => {
    expect(freeSpot({ x: 0, y: 0 }, size, [rect(-5000, -5000, 10000, 10000)])).toEqual({ x: 0, y: 0 });
  });
});
