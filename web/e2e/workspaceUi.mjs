// What the browser test reads from and does to one user's page. Every wait
// is bounded; a timeout names what was awaited and what was last seen.

export const WAIT_MS = 10000;

// Polls `read` until `accept` holds for its value, for at most `ms`.
export async function eventually(read, accept, what, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const nodeLocator = (page, nodeId) => page.locator(`.react-flow__node[data-id="${nodeId}"]`);

export function nodeIds(page) {
  return page.locator('.react-flow__node').evaluateAll((elements) => elements.map((element) => element.dataset.id).sort());
}

export function edgeIds(page) {
  return page.locator('.react-flow__edge').evaluateAll((elements) =>
    elements.map((element) => element.dataset.id ?? element.getAttribute('data-testid').replace('rf__edge-', '')).sort());
}

// The node's flow position, from the transform React Flow gives its element.
export async function nodePosition(page, nodeId) {
  const transform = await nodeLocator(page, nodeId).evaluate((element) => element.style.transform).catch(() => null);
  const match = transform?.match(/translate\(\s*(-?[\d.]+)px,\s*(-?[\d.]+)px\)/);
  return match ? { x: Number(match[1]), y: Number(match[2]) } : null;
}

// The meshes the 3-D view reports (what is in its three.js scene).
export async function sceneMeshes(page) {
  const text = await page.getByTestId('three-viewer').getAttribute('data-scene');
  return text ? JSON.parse(text) : [];
}

export async function meshOf(page, nodeId) {
  return (await sceneMeshes(page)).find((mesh) => mesh.id === nodeId) ?? null;
}

export function presenceNames(page) {
  return page.getByTestId('presence-user').locator('.user-name').allTextContents();
}

export async function waitConnected(page) {
  await page.locator('[data-testid="connection-status"][data-status="connected"]').waitFor({ timeout: WAIT_MS });
}

// The on-screen rectangles of the nodes that overlap node `nodeId`'s.
function overlappingNodes(page, nodeId) {
  return page.locator('.react-flow__node').evaluateAll((elements, id) => {
    const rectOf = (element) => element.getBoundingClientRect();
    const mine = rectOf(elements.find((element) => element.dataset.id === id));
    return elements.filter((element) => element.dataset.id !== id).filter((element) => {
      const other = rectOf(element);
      return mine.left < other.right && other.left < mine.right && mine.top < other.bottom && other.top < mine.bottom;
    }).map((element) => element.dataset.id);
  }, nodeId);
}

// Adds a node from the sidebar by clicking, checks that it covers no other
// node (a click would land on the wrong one), returns its id.
export async function clickToAdd(page, type) {
  const before = new Set(await nodeIds(page));
  await page.getByTestId(`add-${type}`).click();
  const after = await eventually(() => nodeIds(page), (ids) => ids.length === before.size + 1, `a new ${type} node`);
  const added = after.find((id) => !before.has(id));
  await eventually(() => overlappingNodes(page, added), (ids) => ids.length === 0, `the new ${type} clear of the other nodes`, 1000);
  return added;
}

// Adds a node by dragging it from the sidebar onto the canvas at (x, y)
// relative to the canvas, returns its id.
export async function dropToAdd(page, type, x, y) {
  const before = new Set(await nodeIds(page));
  await page.dragAndDrop(`[data-testid="add-${type}"]`, '[data-testid="flow-canvas"]', { targetPosition: { x, y } });
  const after = await eventually(() => nodeIds(page), (ids) => ids.length === before.size + 1, `a dropped ${type} node`);
  return after.find((id) => !before.has(id));
}

async function center(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element is not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

// A real pointer drag in small steps, as a person would.
async function pointerDrag(page, from, to, steps = 12) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps });
  await page.mouse.up();
}

export async function dragNodeBy(page, nodeId, dx, dy) {
  const start = await center(nodeLocator(page, nodeId).locator('.node-title'));
  await pointerDrag(page, start, { x: start.x + dx, y: start.y + dy });
}

export async function connect(page, sourceId, targetId) {
  const from = await center(nodeLocator(page, sourceId).locator('.react-flow__handle.source'));
  const to = await center(nodeLocator(page, targetId).locator('.react-flow__handle.target'));
  await pointerDrag(page, from, to);
}

export async function selectNode(page, nodeId) {
  await nodeLocator(page, nodeId).locator('.node-title').click();
  await page.locator(`[data-testid="parameter-panel"][data-node-id="${nodeId}"]`).waitFor({ timeout: WAIT_MS });
}

export async function setParameter(page, nodeId, name, value) {
  await selectNode(page, nodeId);
  await page.locator(`[data-testid="parameter-panel"] input[data-param="${name}"]`).fill(String(value));
  // Leave the field so that it shows the store's value again.
  await page.locator(`[data-testid="parameter-panel"] input[data-param="${name}"]`).blur();
}

export function panelValue(page, name) {
  return page.locator(`[data-testid="parameter-panel"] input[data-param="${name}"]`).inputValue({ timeout: 1000 }).catch(() => null);
}
