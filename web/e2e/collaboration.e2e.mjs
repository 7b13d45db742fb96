// Two users in two browser contexts of headless Chromium edit one workspace
// through trellisd (SQLite storage, serving the built web/dist), and each sees
// the other's changes in the canvas, the parameter panel and the 3-D view;
// the graph survives a server restart, and edits made while the server is
// down reach the other user once it is back.
//
//   TRELLISD=build/release/server/trellisd npm run e2e      (from web/, after web/build.sh)
//
// Env: TRELLISD (required), CHROMIUM (default /usr/bin/chromium),
// E2E_OUTPUT_DIR (screenshots, default web/test-results/).
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTrellisd } from './trellisd.mjs';
import {
  WAIT_MS, clickToAdd, connect, dragNodeBy, dropToAdd, edgeIds, eventually, meshOf, nodeIds, nodeLocator,
  nodePosition, panelValue, presenceNames, selectNode, setParameter, waitConnected,
} from './workspaceUi.mjs';

const webDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const webRoot = path.join(webDir, 'dist');
const outputDir = process.env.E2E_OUTPUT_DIR ?? path.join(webDir, 'test-results');
const STEP_TIMEOUT_MS = 60000;

const round = (value) => Math.round(value * 1000) / 1000;

describe('two users in one workspace', { timeout: 5 * 60000 }, () => {
  let dataDir;
  let server;
  let browser;
  let alice; // page of user A
  let bob; // page of user B
  let workspaceId;
  const pageErrors = [];
  const ids = {};

  // Stops trellisd (it must exit 0 on SIGTERM), waits for A's page to notice,
  // returns the port to restart it on.
  const stopServer = async () => {
    const { port } = server;
    assert.equal(await server.stop(), 0, 'trellisd stops cleanly on SIGTERM');
    await eventually(() => alice.getByTestId('connection-status').getAttribute('data-status'),
      (status) => status !== 'connected', 'A noticing the server is gone');
    return port;
  };

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'trellis-e2e-'));
    server = await startTrellisd({ dataDir, webRoot });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // WebGL through SwiftShader, so the 3-D view draws in a headless browser.
      args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
      timeout: 30000,
    });
    const newPage = async (name) => {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT_MS);
      page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
      return page;
    };
    alice = await newPage('A');
    bob = await newPage('B');
  });

  after(async () => {
    await mkdir(outputDir, { recursive: true });
    for (const [name, page] of [['user-a', alice], ['user-b', bob]]) {
      await page?.screenshot({ path: path.join(outputDir, `${name}.png`) }).catch(() => {});
    }
    await browser?.close();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('A creates a workspace from the home page', { timeout: STEP_TIMEOUT_MS }, async () => {
    await alice.goto(server.url);
    await alice.getByTestId('username-input').fill('Alice');
    await alice.getByTestId('create-workspace').click();
    await alice.waitForURL(/\/workspace\/[A-Za-z0-9_-]+$/);
    workspaceId = new URL(alice.url()).pathname.split('/').pop();
    await waitConnected(alice);
  });

  it('B opens the shared link, is asked for a name once, and joins', { timeout: STEP_TIMEOUT_MS }, async () => {
    const link = await alice.getByTestId('workspace-link').inputValue();
    assert.equal(link, `${server.url}/workspace/${workspaceId}`);
    await bob.goto(link);
    await bob.getByTestId('username-input').fill('Bob');
    await bob.getByTestId('username-submit').click();
    await waitConnected(bob);
  });

  it('both see each other in the presence list', { timeout: STEP_TIMEOUT_MS }, async () => {
    await eventually(() => presenceNames(alice), (names) => names.includes('Bob'), "Bob in A's presence list");
    await eventually(() => presenceNames(bob), (names) => names.includes('Alice (you)') === false
      && names.includes('Alice'), "Alice in B's presence list");
    // Each user's color is the same on both screens.
    const colorOf = (page, name) => page.locator('[data-testid="presence-user"]', { hasText: name })
      .locator('.user-dot').evaluate((element) => element.style.background);
    assert.equal(await colorOf(alice, 'Bob'), await colorOf(bob, 'Bob (you)'));
    assert.equal(await colorOf(bob, 'Alice'), await colorOf(alice, 'Alice (you)'));
  });

  it('A adds a box; B sees it, in the canvas and in 3-D', { timeout: STEP_TIMEOUT_MS }, async () => {
    ids.box = await clickToAdd(alice, 'box');
    await nodeLocator(bob, ids.box).waitFor();
    await eventually(() => meshOf(bob, ids.box), (mesh) => mesh?.kind === 'box', "the box in B's 3-D view");
  });

  it('B drags the box; A sees it where B left it', { timeout: STEP_TIMEOUT_MS }, async () => {
    const start = await nodePosition(bob, ids.box);
    await dragNodeBy(bob, ids.box, 150, 80);
    // React Flow starts a drag past a small threshold, so the node moves a
    // few pixels less than the pointer.
    const moved = await eventually(() => nodePosition(bob, ids.box),
      (position) => position && position.x - start.x > 120 && position.y - start.y > 60,
      `the box moved by about (150, 80) from ${JSON.stringify(start)} on B's canvas`);
    await eventually(() => nodePosition(alice, ids.box),
      (position) => position?.x === moved.x && position?.y === moved.y, `the box at ${JSON.stringify(moved)} on A's canvas`);
  });

  it("A edits the box's width; B's panel and 3-D view change", { timeout: STEP_TIMEOUT_MS }, async () => {
    await selectNode(bob, ids.box);
    assert.equal(await panelValue(bob, 'width'), '1');
    assert.equal((await meshOf(bob, ids.box)).parameters.width, 1);
    await setParameter(alice, ids.box, 'width', 3.5);
    await eventually(() => panelValue(bob, 'width'), (value) => value === '3.5', "width 3.5 in B's panel");
    await eventually(() => meshOf(bob, ids.box), (mesh) => mesh?.parameters.width === 3.5, "a 3.5 wide box in B's 3-D view");
    assert.equal((await meshOf(bob, ids.box)).parameters.height, 1, 'only the edited key changed');
  });

  it("each user sees the other's selection and cursor in the other's color", { timeout: STEP_TIMEOUT_MS }, async () => {
    const bobColor = await bob.locator('[data-testid="presence-user"][data-self] .user-dot')
      .evaluate((element) => getComputedStyle(element).backgroundColor);
    // B selected the box in the step before; A's box is outlined in B's color.
    await eventually(() => nodeLocator(alice, ids.box).locator('.parametric-node')
      .evaluate((element) => getComputedStyle(element).outlineColor),
    (color) => color === bobColor, `the box outlined in B's color ${bobColor} on A's canvas`);
    await bob.mouse.move(700, 300);
    await bob.mouse.move(720, 320, { steps: 3 });
    await alice.locator('[data-testid="remote-cursor"]', { hasText: 'Bob' }).waitFor();
  });

  it('A adds a transform and a sphere by drag and drop; B connects them to the box; A sees the edges and the box moved in 3-D', { timeout: STEP_TIMEOUT_MS }, async () => {
    ids.transform = await dropToAdd(alice, 'transform', 60, 80);
    ids.sphere = await dropToAdd(alice, 'sphere', 120, 560);
    await setParameter(alice, ids.transform, 'x', 3);
    await nodeLocator(bob, ids.transform).waitFor();
    await nodeLocator(bob, ids.sphere).waitFor();
    await eventually(() => nodeLocator(bob, ids.transform).locator('[data-param-value="x"]').textContent(),
      (text) => text === '3', "transform x = 3 on B's canvas");

    await connect(bob, ids.transform, ids.box);
    await connect(bob, ids.box, ids.sphere);
    const bobEdges = await eventually(() => edgeIds(bob), (edges) => edges.length === 2, "B's two edges");
    await eventually(() => edgeIds(alice), (edges) => JSON.stringify(edges) === JSON.stringify(bobEdges), "B's edges on A's canvas");
    // The transform (x = 3) now places the box; the sphere, alone in the
    // root row, stands at the origin.
    for (const page of [alice, bob]) {
      await eventually(() => meshOf(page, ids.box), (mesh) => mesh && round(mesh.position[0]) === 3, 'the box at x = 3 in 3-D');
    }
  });

  it('A deletes the transform; its edge disappears for both, the other stays', { timeout: STEP_TIMEOUT_MS }, async () => {
    const edgesBefore = await edgeIds(alice);
    await selectNode(alice, ids.transform);
    await alice.keyboard.press('Delete');
    for (const page of [alice, bob]) {
      await eventually(() => nodeIds(page), (nodes) => !nodes.includes(ids.transform), 'the transform gone');
      const edges = await eventually(() => edgeIds(page), (list) => list.length === 1, 'one edge left');
      assert.ok(edgesBefore.includes(edges[0]));
      // Without its transform the box is back in the root row, beside the sphere.
      await eventually(() => meshOf(page, ids.box), (mesh) => mesh && round(mesh.position[0]) !== 3, 'the box back in the row');
    }
  });

  it('after a server restart with the SQLite store, a reload shows the same graph', { timeout: STEP_TIMEOUT_MS }, async () => {
    const graphOf = async (page) => ({
      nodes: await nodeIds(page),
      edges: await edgeIds(page),
      boxPosition: await nodePosition(page, ids.box),
      boxWidth: await nodeLocator(page, ids.box).locator('[data-param-value="width"]').textContent(),
    });
    const expected = await graphOf(alice);
    assert.deepEqual(await graphOf(bob), expected);
    assert.equal(expected.boxWidth, '3.5');
    // Nothing the users did so far was refused by the server.
    for (const page of [alice, bob]) assert.deepEqual(await page.locator('.server-error').allTextContents(), []);

    const port = await stopServer();
    server = await startTrellisd({ dataDir, webRoot, port });

    for (const page of [alice, bob]) {
      await page.reload();
      await waitConnected(page);
      await eventually(() => graphOf(page), (graph) => JSON.stringify(graph) === JSON.stringify(expected),
        `the graph ${JSON.stringify(expected)} after the restart`);
      await eventually(() => meshOf(page, ids.box), (mesh) => mesh?.parameters.width === 3.5, 'the 3.5 wide box in 3-D after the restart');
    }
    await eventually(() => presenceNames(alice), (names) => names.includes('Bob'), 'Bob back in presence after the restart');
  });

  it('A keeps editing while the server is down; when it is back, B sees those edits without a reload', { timeout: STEP_TIMEOUT_MS }, async () => {
    const port = await stopServer();
    await setParameter(alice, ids.box, 'width', 4.25);
    ids.cylinder = await clickToAdd(alice, 'cylinder');
    server = await startTrellisd({ dataDir, webRoot, port });
    for (const page of [alice, bob]) await waitConnected(page);
    await nodeLocator(bob, ids.cylinder).waitFor({ timeout: WAIT_MS });
    await eventually(() => nodeLocator(bob, ids.box).locator('[data-param-value="width"]').textContent(),
      (text) => text === '4.25', "A's offline width 4.25 on B's canvas");
    await eventually(() => meshOf(bob, ids.box), (mesh) => mesh?.parameters.width === 4.25, "the 4.25 wide box in B's 3-D view");
    await eventually(() => nodeIds(alice), (nodes) => nodes.includes(ids.cylinder), 'A still has the cylinder it added offline');
  });

  it('A edits offline and closes the tab; a tab A opens later sends those edits', { timeout: STEP_TIMEOUT_MS }, async () => {
    const port = await stopServer();
    await setParameter(alice, ids.box, 'depth', 0.75);
    ids.sphere2 = await clickToAdd(alice, 'sphere');
    // The edits are in the browser's storage before the tab goes away.
    await eventually(() => alice.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('trellis.outbox.')).length),
      (count) => count === 1, "A's offline edits in localStorage");
    const url = alice.url();
    const context = alice.context();
    await alice.close();

    server = await startTrellisd({ dataDir, webRoot, port });
    alice = await context.newPage();
    alice.setDefaultTimeout(WAIT_MS);
    alice.on('pageerror', (error) => pageErrors.push(`A: ${error.message}`));
    await alice.goto(url);
    await waitConnected(alice);
    await waitConnected(bob);
    await nodeLocator(bob, ids.sphere2).waitFor({ timeout: WAIT_MS });
    await eventually(() => nodeLocator(bob, ids.box).locator('[data-param-value="depth"]').textContent().catch(() => null),
      (text) => text === '0.75', "A's offline depth 0.75 on B's canvas");
    await nodeLocator(alice, ids.sphere2).waitFor({ timeout: WAIT_MS });
    // Sent once: nothing is left in storage.
    await eventually(() => alice.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('trellis.outbox.')).length),
      (count) => count === 0, 'the stored outbox emptied');
  });

  it('A orbits its 3-D view: edits keep A\'s camera, a double click frames all again', { timeout: STEP_TIMEOUT_MS }, async () => {
    const camera = (page) => page.getByTestId('three-viewer').getAttribute('data-camera');
    // The previous step's edits are in both 3-D views (they refresh after a
    // short delay) before the framing is taken as the reference.
    for (const page of [alice, bob]) {
      await eventually(() => meshOf(page, ids.cylinder), (mesh) => mesh !== null, 'the cylinder in 3-D');
      await eventually(() => meshOf(page, ids.box), (mesh) => mesh?.parameters.width === 4.25, 'the 4.25 wide box in 3-D');
    }
    const framed = await eventually(() => camera(alice), (c) => c !== null, "A's framed camera");
    const bobFramed = await camera(bob);
    const canvas = alice.getByTestId('three-viewer').locator('canvas');
    const area = await canvas.boundingBox();
    assert.ok(area, "A's 3-D view is drawn");
    const from = { x: area.x + area.width / 2, y: area.y + area.height / 2 };
    await alice.mouse.move(from.x, from.y);
    await alice.mouse.down();
    await alice.mouse.move(from.x + 120, from.y + 40, { steps: 8 });
    await alice.mouse.up();
    const orbited = await eventually(() => camera(alice), (c) => c !== framed, "A's camera to move");
    assert.equal(await camera(bob), bobFramed, "B's camera is B's own");

    // B makes the box wider: both scenes change, B's framing follows, A's
    // camera stays where A left it.
    await setParameter(bob, ids.box, 'width', 6);
    await eventually(() => meshOf(alice, ids.box), (mesh) => mesh?.parameters.width === 6, "the 6 wide box in A's 3-D view");
    await eventually(() => camera(bob), (c) => c !== bobFramed, "B's framing to follow the wider box");
    assert.equal(await camera(alice), orbited, "A's camera where A left it");

    // A double click hands A's camera back to the framing: it follows B's
    // next edit, and with the box as wide as before frames as before.
    await canvas.dblclick();
    await eventually(() => camera(alice), (c) => c !== orbited, 'A framed again after the double click');
    await setParameter(bob, ids.box, 'width', 4.25);
    await eventually(() => camera(alice), (c) => c === framed, "A's camera framing the 4.25 wide box as before");
  });

  it('no page threw an uncaught error, and the server reported none', async () => {
    assert.deepEqual(pageErrors, []);
    for (const page of [alice, bob]) {
      assert.deepEqual(await page.locator('.server-error').allTextContents(), []);
    }
  });
});
