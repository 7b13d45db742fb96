// A Web Storage stand-in for tests.

// The part of the Web Storage interface the module uses, over a Map.
export function memoryStorage({ failWrites = false } = {}) {
  const items = new Map();
  return {
    items,
    get length() { return items.size; },
    key(i) { return [...items.keys()][i] ?? null; },
    getItem(key) { return items.has(key) ? items.get(key) : null; },
    setItem(key, value) {
      if (failWrites) throw new Error('QuotaExceededError');
      items.set(key, String(value));
    },
    removeItem(key) { items.delete(key); },
  };
}

