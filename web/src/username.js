// The username is asked once and remembered in this browser.
const STORAGE_KEY = 'trellis.username';
export const MAX_USERNAME_LENGTH = 64;

export function loadUsername() {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY)?.trim() ?? '';
  } catch {
    return ''; // storage disabled (private mode, policy): ask every time
  }
}

export function saveUsername(name) {
  const trimmed = name.trim().slice(0, MAX_USERNAME_LENGTH);
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, trimmed);
  } catch {
    // Not remembered; the name still applies to this visit.
  }
  return trimmed;
}
