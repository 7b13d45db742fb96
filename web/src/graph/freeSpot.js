// Where a node added "in the middle of the view" goes: the nearest place to
// the middle where it covers no other node. A new node on top of an old one
// hides it and takes its clicks, which a user then has to drag apart.

// Room kept between a new node and its neighbours, in flow units.
const GAP = 16;
// Candidates are tried on square rings around the preferred place, this far
// apart, out to MAX_RINGS rings (about 1,900 flow units each way).
const STEP = 40;
const MAX_RINGS = 48;

function overlaps(a, b) {
  return a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP;
}

function isFree(spot, size, occupied) {
  const rect = { x: spot.x, y: spot.y, width: size.width, height: size.height };
  return occupied.every((other) => !overlaps(rect, other));
}

// The offsets on ring r (a square of side 2r steps), nearest first, so the
// search prefers a spot straight beside the middle to one in a corner.
function ringOffsets(r) {
  const offsets = [];
  for (let i = -r; i <= r; i += 1) {
    offsets.push([i, -r], [i, r]);
    if (i !== -r && i !== r) offsets.push([-r, i], [r, i]);
  }
  return offsets.sort((a, b) => a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]) || a[1] - b[1] || a[0] - b[0]);
}

// preferred: the top-left corner the node would have without neighbours.
// size: the new node's {width, height}. occupied: the other nodes'
// {x, y, width, height}. Returns a top-left corner; the preferred one when
// nothing near it is free (a canvas that full has no better answer).
export function freeSpot(preferred, size, occupied) {
  if (isFree(preferred, size, occupied)) return preferred;
  for (let r = 1; r <= MAX_RINGS; r += 1) {
    for (const [dx, dy] of ringOffsets(r)) {
      const spot = { x: preferred.x + dx * STEP, y: preferred.y + dy * STEP };
      if (isFree(spot, size, occupied)) return spot;
    }
  }
  return preferred;
}
