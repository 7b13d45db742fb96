// Derived presence: which node each remote user has selected, as a map the
// node components can read in O(1) (a node re-renders only when its own
// entry changes, not on every cursor move).

export function remoteSelectionColors(presenceByUser, remoteUsers) {
  const colors = {};
  for (const user of remoteUsers) {
    const selected = presenceByUser[user.id]?.selectedNodeId;
    if (selected && colors[selected] === undefined) colors[selected] = user.color;
  }
  return colors;
}
