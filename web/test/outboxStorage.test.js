// The stored outbox: what a page leaves behind and what the next one adopts.
import { describe, expect, it } from 'vitest';
import { adoptOutboxes, isOutboxEntry, OUTBOX_KEY_PREFIX, saveOutbox } from '../src/collaboration/outboxStorage.js';
import { memoryStorage } from './memoryStorage.js';

const add = (id) => ({ event: 'node_change', payload: { type: 'add', node: { id, type: 'box', position: { x: 0, y: 0 }, data: {} } } });
const data = (nodeId, values) => ({ event: 'node_data_update', payload: { nodeId, data: values } });
const edge = (id) => ({ event: 'edge_change', payload: { type: 'add', edge: { id, source: 'a', target: 'b' } } });

describe('outboxStorage', () => {
  it('accepts the entries the replay applies and nothing else', () => {
    for (const entry of [add('a'), data('a', { width: 2 }), edge('e'),
      { event: 'node_change', payload: { type: 'delete', node: { id: 'a' } } }]) {
      expect(isOutboxEntry(entry)).toBe(true);
    }
    for (const entry of [null, 'x', [], {}, { event: 'node_change' }, { event: 'join_workspace', payload: {} },
      { event: 'node_change', payload: { type: 'move', node: { id: 'a' } } },
      { event: 'node_change', payload: { type: 'add', node: { id: 7 } } },
      { event: 'node_change', payload: { type: 'add', node: { id: '' } } },
      { event: 'edge_change', payload: { type: 'add', edge: null } },
      { event: 'node_data_update', payload: { nodeId: 'a', data: [1] } },
      { event: 'node_data_update', payload: { nodeId: '', data: {} } }]) {
      expect(isOutboxEntry(entry)).toBe(false);
    }
  });

  it('gives a workspace every outbox its pages left, oldest first, and removes them', () => {
    const storage = memoryStorage();
    storage.setItem(`${OUTBOX_KEY_PREFIX}ws/page-2`, JSON.stringify({ savedAt: 20, entries: [add('late')] }));
    storage.setItem(`${OUTBOX_KEY_PREFIX}ws/page-1`, JSON.stringify({ savedAt: 10, entries: [add('early'), data('early', { width: 3 })] }));
    storage.setItem('unrelated', 'kept');
    expect(adoptOutboxes(storage, 'ws', 100)).toEqual([add('early'), data('early', { width: 3 }), add('late')]);
    expect([...storage.items.keys()]).toEqual(['unrelated']);
    expect(adoptOutboxes(storage, 'ws', 100)).toEqual([]);
  });

  it('keeps workspaces apart, even when one id starts with another', () => {
    const storage = memoryStorage();
    for (const workspace of ['ws', 'ws.b', 'ws/b', 'w']) saveOutbox(storage, workspace, 'p', [add(workspace)]);
    expect(adoptOutboxes(storage, 'ws', 100)).toEqual([add('ws')]);
    expect(adoptOutboxes(storage, 'ws.b', 100)).toEqual([add('ws.b')]);
    expect(adoptOutboxes(storage, 'ws/b', 100)).toEqual([add('ws/b')]);
    expect(adoptOutboxes(storage, 'w', 100)).toEqual([add('w')]);
    expect(storage.length).toBe(0);
  });

  it('drops what it cannot read and stops at the limit', () => {
    const storage = memoryStorage();
    storage.setItem(`${OUTBOX_KEY_PREFIX}ws/garbage`, '{not json');
    storage.setItem(`${OUTBOX_KEY_PREFIX}ws/wrong`, JSON.stringify({ entries: 'no' }));
    storage.setItem(`${OUTBOX_KEY_PREFIX}ws/mixed`, JSON.stringify({ savedAt: 1, entries: [add('a'), { event: 'x' }, add('b'), add('c')] }));
    expect(adoptOutboxes(storage, 'ws', 2)).toEqual([add('a'), add('b')]);
    expect(storage.length).toBe(0);
  });

  it('removes a page\'s key when its outbox empties, and says when storage refuses', () => {
    const storage = memoryStorage();
    expect(saveOutbox(storage, 'ws', 'p', [add('a')])).toBe(true);
    expect(storage.length).toBe(1);
    expect(saveOutbox(storage, 'ws', 'p', [])).toBe(true);
    expect(storage.length).toBe(0);
    expect(saveOutbox(memoryStorage({ failWrites: true }), 'ws', 'p', [add('a')])).toBe(false);
    expect(saveOutbox(null, 'ws', 'p', [add('a')])).toBe(true);
    expect(adoptOutboxes(null, 'ws', 10)).toEqual([]);
  });
});
